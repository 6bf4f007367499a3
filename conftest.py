"""Configuração do pytest para o repositório inteiro (o nbval dos notebooks e tests/).

Toda a sessão de testes usa um store do MLflow novo e temporário: os testes nunca tocam no
store do usuário (mlflow.db da raiz ou MLFLOW_TRACKING_URI).

Os kernels do nbval herdam o ambiente deste processo, e ele fica como o de quem abre os
notebooks no JupyterLab ou num editor: além do store temporário, nada é acrescentado. O que
o executor antigo injetava para estabilizar as saídas (`MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`,
`MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT`) é REMOVIDO, assim como um `ALUNO` exportado no
terminal, e a pasta de programas do .venv sai do PATH: cada aula fixa o que precisa no próprio
kernel (curso_mlops.aula).

O nbval de notebooks/ é coletado primeiro (testpaths) e é a 1ª execução do curso: os hooks
abaixo anotam se ela foi até o fim, para `tests/conftest.py` reaproveitar o store que ela
deixou em vez de executar o curso de novo.

Com o pytest-xdist (`make test`, `--dist loadgroup`), cada item recebe um grupo
(tests/grupos_do_xdist.py): o nbval e tudo o que usa as execuções compartilhadas ou a turma
ficam juntos no grupo `curso`, que roda inteiro num processo só; o resto vai por arquivo, e os
testes de uma fixture de sessão cara usada em vários arquivos vão juntos.
"""

import atexit
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from curso_mlops import notebooks as nbs
from tests import apoio
from tests import grupos_do_xdist as grupos

RAIZ = Path(__file__).resolve().parent
PASTA_NOTEBOOKS = RAIZ / "notebooks"
# O nbval roda os kernels como o JupyterLab de um aluno: sem as variáveis que as aulas fixam
# sozinhas (curso_mlops.notebooks.VARIAVEIS_QUE_MUDAM_SAIDAS) e sem ALUNO.
VARIAVEIS_REMOVIDAS = (*nbs.VARIAVEIS_QUE_MUDAM_SAIDAS, "ALUNO")
# O que o nbval diz quando só a saída difere (o store foi escrito do mesmo jeito).
SAIDA_DIFERENTE = "Cell outputs differ"


class PrimeiraExecucao:
    """O que o nbval de notebooks/ fez nesta sessão: quais notebooks, e se algum quebrou."""

    def __init__(self, pasta_store: Path):
        self.pasta_store = pasta_store
        self.uri = "sqlite:///" + (pasta_store / "mlflow.db").as_posix()
        self.coletadas: dict[str, int] = {}   # notebook -> células coletadas
        self.executadas: dict[str, int] = {}  # notebook -> células executadas até o fim
        self.problemas: list[str] = []        # exceções nas células (não só saídas diferentes)

    def completa(self, notebooks: list[str]) -> bool:
        """Todos os `notebooks` rodaram todas as células, em ordem, sem exceção?"""
        return (not self.problemas and list(self.coletadas) == notebooks
                and all(self.executadas.get(n) == self.coletadas[n] for n in notebooks))

    def motivo(self, notebooks: list[str]) -> str:
        if not self.coletadas:
            return "o nbval dos notebooks não rodou nesta sessão"
        if self.problemas:
            return "o nbval quebrou: " + "; ".join(self.problemas[:3])
        faltam = [n for n in notebooks if self.executadas.get(n) != self.coletadas.get(n)]
        return "o nbval não executou todos os notebooks: " + ", ".join(faltam or notebooks)


def _sem_a_pasta_do_venv(path: str) -> str:
    pasta = Path(sys.executable).parent
    return os.pathsep.join(p for p in path.split(os.pathsep)
                           if p and Path(p).absolute() != pasta.absolute())


def pytest_configure(config):
    pasta = Path(tempfile.mkdtemp(prefix="curso-testes-"))
    config._primeira_execucao = PrimeiraExecucao(pasta)
    config._ao_comecar_o_curso = []
    config._marca_da_sessao = apoio.marcar_a_sessao(config)
    if config.getoption("dist", None) == "loadgroup" and config.getoption("numprocesses", None) \
            and not grupos.trabalhador(config):
        config._pasta_dos_grupos = grupos.criar_pasta()
    if grupos.trabalhador(config):
        grupos.um_ctrl_c_so()
    os.environ["MLFLOW_TRACKING_URI"] = config._primeira_execucao.uri
    for variavel in VARIAVEIS_REMOVIDAS:
        os.environ.pop(variavel, None)
    os.environ["PATH"] = _sem_a_pasta_do_venv(os.environ.get("PATH", ""))


def pytest_unconfigure(config):
    primeira = getattr(config, "_primeira_execucao", None)
    if primeira is not None:
        shutil.rmtree(primeira.pasta_store, ignore_errors=True)
    if getattr(config, "_pasta_dos_grupos", None) is not None:
        shutil.rmtree(config._pasta_dos_grupos, ignore_errors=True)
    marca = getattr(config, "_marca_da_sessao", None)
    if marca is not None:
        sobras = apoio.parar_o_que_sobrou(marca)
        if sobras:
            print(f"\nparados no fim da sessão, porque sobraram: os grupos de processos {sobras}",
                  file=sys.stderr)
    # Ao sair, o Python ainda percorre todos os objetos vivos (perto de um milhão depois da
    # sessão) atrás de ciclos, mais de uma vez: segundos em cada processo (e em cada processo do
    # xdist). Congelados, eles ficam fora dessa varredura; a memória volta ao sistema do mesmo
    # jeito. É no atexit: a limpeza do próprio pytest, que ainda coleta o lixo atrás de exceções
    # "unraisable", já terminou.
    atexit.register(gc.freeze)


def _notebook_do_item(item) -> str | None:
    caminho = Path(str(item.fspath))
    if caminho.suffix == ".ipynb" and caminho.parent == PASTA_NOTEBOOKS:
        return caminho.name
    return None


def pytest_collection_modifyitems(config, items):
    primeira = config._primeira_execucao
    for item in items:
        nome = _notebook_do_item(item)
        if nome is not None:
            item.add_marker(pytest.mark.lento)
            primeira.coletadas[nome] = primeira.coletadas.get(nome, 0) + 1
        item._grupo_do_xdist = grupos.grupo_do_xdist(item.nodeid, getattr(item, "fixturenames", ()),
                                                     notebook_do_curso=nome is not None)
    pasta = getattr(config, "workerinput", {}).get(grupos.CHAVE)
    if pasta:
        # Todos os trabalhadores ordenam a mesma coleta do mesmo jeito (o xdist confere).
        ordem = grupos.ordem_dos_grupos([(item._grupo_do_xdist, grupos.eh_lento(item)) for item in items])
        items[:] = [items[i] for i in ordem]
        grupos.gravar(pasta, config.workerinput["workerid"],
                      {item.nodeid: item._grupo_do_xdist for item in items})


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """O processo principal do xdist diz a cada trabalhador onde gravar os grupos."""
    pasta = getattr(node.config, "_pasta_dos_grupos", None)
    if pasta is not None:
        node.workerinput[grupos.CHAVE] = str(pasta)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    pasta = getattr(config, "_pasta_dos_grupos", None)
    return grupos.escalonador(config, log, pasta) if pasta is not None else None


def pytest_runtest_setup(item):
    """O primeiro item do grupo `curso` neste processo chama o que pediu para começar com ele
    (tests/grupos_do_xdist.py, `ao_comecar_o_curso`): com o xdist, só o processo que roda o grupo."""
    config = item.config
    if not grupos.eh_do_curso(item) or not config._ao_comecar_o_curso:
        return
    funcoes, config._ao_comecar_o_curso = config._ao_comecar_o_curso, []
    for funcao in funcoes:
        funcao()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    resultado = yield
    nome = _notebook_do_item(item)
    if nome is None or call.when != "call":
        return
    relatorio = resultado.get_result()
    primeira = item.config._primeira_execucao
    if relatorio.skipped:
        return
    if relatorio.failed and SAIDA_DIFERENTE not in str(call.excinfo.value if call.excinfo else ""):
        primeira.problemas.append(f"{nome}: {str(call.excinfo.value)[:200] if call.excinfo else '?'}")
    primeira.executadas[nome] = primeira.executadas.get(nome, 0) + 1
