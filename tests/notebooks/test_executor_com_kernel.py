"""O executor (scripts/run_course.py) com kernels de verdade, em notebooks pequenos de teste.

Cada teste roda o script como o usuário o roda, numa pasta de notebooks temporária: a falha
diz o notebook, a célula e o erro e não estraga o guardado; um parâmetro e o ALUNO chegam só a
quem os declara; uma célula `raises-exception` não para o curso; o kernel aquecido da aula
seguinte é igual a um novo (só com os imports feitos) e não sobra depois de uma falha.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from unittest import mock

import nbformat
import psutil
import pytest

from curso_mlops import executor
from curso_mlops import notebooks as nbs
from tests import apoio

pytestmark = pytest.mark.lento


@pytest.fixture
def pasta(tmp_path):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    return pasta


def _executar(rodar_script, pasta, saida, *extras, env=None):
    return rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida", saida,
                         "--fresh", *extras], env=env)


def test_falha_diz_notebook_celula_e_erro_e_nao_estraga_o_guardado(tmp_path, pasta, rodar_script):
    bom = apoio.notebook_de_teste(pasta, "00_bom.ipynb", ["VALOR = 1", "print(VALOR * 2)"])
    ruim = apoio.notebook_de_teste(pasta, "01_ruim.ipynb",
                                   ["LIMITE = 3", "x = 1", "raise ValueError('quebrou de propósito')"])
    original = ruim.read_bytes()
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", "--in-place")
    assert resultado.returncode == 1
    erros = [l for l in resultado.stderr.splitlines() if l.startswith("erro:")]
    assert len(erros) == 1
    assert "01_ruim.ipynb" in erros[0] and "[3]" in erros[0]
    assert "ValueError: quebrou de propósito" in erros[0]
    assert ruim.read_bytes() == original, "o notebook guardado foi alterado"
    assert not list(pasta.glob(".*.tmp")), "sobrou um arquivo temporário"
    assert (tmp_path / "saida" / "01_ruim.ipynb").exists()
    # O que rodou antes da falha foi atualizado, normalizado.
    executado = nbs.ler(bom)
    assert executado["cells"][2]["outputs"][0]["text"] == "2\n"
    assert "papermill" not in executado["metadata"]
    assert "ERRO" in resultado.stdout and "atualizado" in resultado.stdout


def test_parametro_chega_so_a_quem_declara(tmp_path, pasta, rodar_script):
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["NOME = 'x'", "print('nome:', NOME)"])
    apoio.notebook_de_teste(pasta, "01_b.ipynb", ["OUTRO = 1", "print('outro:', OUTRO)"])
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", "-p", "NOME", "turma-b")
    assert resultado.returncode == 0, resultado.stderr
    a, b = nbs.ler(tmp_path / "saida" / "00_a.ipynb"), nbs.ler(tmp_path / "saida" / "01_b.ipynb")
    assert "nome: turma-b" in json.dumps(a)
    assert "NOME" not in json.dumps(b) and "outro: 1" in json.dumps(b)


def test_erro_esperado_com_a_tag_raises_exception_nao_para_o_curso(tmp_path, pasta, rodar_script):
    caminho = apoio.notebook_de_teste(pasta, "00_esperado.ipynb",
                                      ["X = 1", "raise ValueError('de propósito')", "print('depois')"])
    nb = nbformat.read(caminho, as_version=4)
    nb.cells[2].metadata["tags"] = ["raises-exception"]
    nbformat.write(nb, caminho)
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", "--in-place")
    assert resultado.returncode == 0, resultado.stderr
    executado = nbs.ler(caminho)
    saidas = [c.get("outputs", []) for c in executado["cells"] if c["cell_type"] == "code"]
    assert saidas[1][0]["output_type"] == "error" and saidas[1][0]["ename"] == "ValueError"
    assert saidas[2][0]["text"] == "depois\n"
    assert not [c for c in executado["cells"] if "papermill-error-cell-tag" in c["metadata"].get("tags", [])]


def test_aluno_chega_so_a_quem_declara(tmp_path, pasta, rodar_script):
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["ALUNO = ''", "print('aluno:', repr(ALUNO))"])
    apoio.notebook_de_teste(pasta, "01_b.ipynb",
                            ["OUTRO = 1", "import os; print('ambiente:', os.environ.get('ALUNO'))"])
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", "--aluno", "ana-2")
    assert resultado.returncode == 0, resultado.stderr
    assert "aluno: ana-2 (experimentos tempo-entrega-ana-2 e tempo-entrega-monitoramento-ana-2, " \
           "modelo tempo_entrega_ana-2)" in resultado.stdout
    a = json.dumps(nbs.ler(tmp_path / "saida" / "00_a.ipynb"))
    b = json.dumps(nbs.ler(tmp_path / "saida" / "01_b.ipynb"))
    assert "aluno: 'ana-2'" in a
    assert "ALUNO = \\\"ana-2\\\"" in a  # a célula injetada pelo papermill
    # Quem não declara não recebe o parâmetro, mas o kernel vê o mesmo ALUNO no ambiente.
    assert "injected-parameters" not in b and "ambiente: ana-2" in b


def test_so_a_variavel_aluno_avisa_e_usa_os_nomes_da_aula(tmp_path, pasta, rodar_script):
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["N = 1", "import os; print('ambiente:', os.environ.get('ALUNO'))"])
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", env=dict(os.environ, ALUNO="ana"))
    assert resultado.returncode == 0, resultado.stderr
    assert "aviso: ALUNO=ana ignorado" in resultado.stdout
    assert "ambiente: None" in json.dumps(nbs.ler(tmp_path / "saida" / "00_a.ipynb"))


def test_o_executor_nao_injeta_variaveis_nos_kernels(tmp_path, pasta, rodar_script):
    """As saídas estáveis são trabalho de cada aula (curso_mlops.aula), não do executor; e um
    valor delas no ambiente de quem roda o executor não chega aos kernels (não esconde nada)."""
    variaveis = nbs.VARIAVEIS_QUE_MUDAM_SAIDAS
    apoio.notebook_de_teste(pasta, "00_a.ipynb", [
        "N = 1", f"import os\nfor v in {variaveis!r}:\n    print(v, os.environ.get(v))"])
    ambiente = dict(os.environ, **{v: "1" for v in variaveis})
    resultado = _executar(rodar_script, pasta, tmp_path / "saida", env=ambiente)
    assert resultado.returncode == 0, resultado.stderr
    texto = nbs.ler(tmp_path / "saida" / "00_a.ipynb").cells[2].outputs[0].text
    assert "PYTHONDONTWRITEBYTECODE" in variaveis
    assert texto == "".join(f"{v} None\n" for v in variaveis)


# O que um notebook de teste imprime sobre o próprio kernel: a pasta, o contador de execuções,
# os nomes do namespace (sem os do IPython) e se os módulos de toda aula já estavam importados.
RETRATO_DO_KERNEL = (
    "import os, sys\n"
    "print('pasta:', os.getcwd())\n"
    "print('execução:', get_ipython().execution_count)\n"
    "print('nomes:', sorted(n for n in globals() if not n.startswith('_') and n not in\n"
    "      {'In', 'Out', 'exit', 'quit', 'get_ipython', 'open', 'os', 'sys'}))\n"
    f"print('importados:', [m in sys.modules for m in {executor.MODULOS_DE_TODA_AULA!r}])")


def _retrato(caminho):
    return nbs.ler(caminho).cells[2].outputs[0].text.splitlines()


def test_o_kernel_aquecido_e_igual_a_um_novo_com_os_imports_feitos(tmp_path, pasta, rodar_script):
    """As aulas que importam o curso_mlops (a 1ª e a 2ª) nascem do molde (curso_mlops.molde),
    já com os imports feitos; a 3ª, que não importa nada, num kernel novo, sem import nenhum.
    Fora isso, as três são iguais a um kernel novo: a mesma pasta, o contador em 1 e o mesmo
    namespace. O pai das duas primeiras é o molde, e ele acaba com o executor."""
    como_uma_aula = "import curso_mlops"  # depois do retrato: ele mostra o que já estava importado
    pais = ("import os, psutil\npai = psutil.Process(os.getppid())\n"
            "print(pai.pid, 'molde' in pai.cmdline(), pai.ppid())")
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["A = 1", RETRATO_DO_KERNEL, como_uma_aula])
    apoio.notebook_de_teste(pasta, "01_b.ipynb", ["A = 1", RETRATO_DO_KERNEL, como_uma_aula, pais])
    apoio.notebook_de_teste(pasta, "02_c.ipynb", ["A = 1", RETRATO_DO_KERNEL, pais])
    resultado = _executar(rodar_script, pasta, tmp_path / "saida")
    assert resultado.returncode == 0, resultado.stderr
    assert "Warning" not in resultado.stderr, resultado.stderr
    nomes = ("00_a.ipynb", "01_b.ipynb", "02_c.ipynb")
    do_molde, aquecido, sem_imports = (_retrato(tmp_path / "saida" / n) for n in nomes)
    assert do_molde[:3] == aquecido[:3] == sem_imports[:3]
    assert do_molde[0] == f"pasta: {pasta}" and do_molde[2] == "nomes: ['A']"
    contagens = [[c.execution_count for c in nbs.ler(tmp_path / "saida" / n).cells if c.cell_type == "code"]
                 for n in nomes]
    assert contagens == [[1, 2, 3], [1, 2, 3, 4], [1, 2, 3]]
    todos = len(executor.MODULOS_DE_TODA_AULA)
    assert do_molde[3] == aquecido[3] == f"importados: {[True] * todos}"
    assert sem_imports[3] == f"importados: {[False] * todos}"
    molde, e_o_molde, avo = nbs.ler(tmp_path / "saida" / "01_b.ipynb").cells[4].outputs[0].text.split()
    executor_pid, e_o_molde_c, _ = nbs.ler(tmp_path / "saida" / "02_c.ipynb").cells[3].outputs[0].text.split()
    assert (e_o_molde, e_o_molde_c) == ("True", "False")
    assert avo == executor_pid, "o molde devia ser filho do executor"
    assert not psutil.pid_exists(int(molde)), "o molde sobrou depois do executor"


def test_falha_para_o_kernel_ja_aquecido_da_aula_seguinte(tmp_path, pasta, capsys):
    """A 1ª aula falha logo: o executor para o kernel da 2ª, já iniciado, antes de sair.

    O executor roda aqui no processo do teste (`executor.main`): um kernel esquecido seguiria vivo
    depois do `main` (num processo à parte, ele só sairia sozinho quando o pai morresse).
    """
    apoio.notebook_de_teste(pasta, "00_ruim.ipynb", ["X = 1", "raise ValueError('de propósito')"])
    apoio.notebook_de_teste(pasta, "01_nunca.ipynb", ["Y = 1", "print(Y)"])
    marca = uuid.uuid4().hex
    with mock.patch.dict(os.environ, {"MARCA_DO_TESTE": marca}):
        codigo = executor.main(["--pasta-notebooks", str(pasta), "--saida", str(tmp_path / "saida"), "--fresh"])
    saida = capsys.readouterr()
    assert codigo == 1 and "00_ruim.ipynb" in saida.err and "não executado" in saida.out

    def do_teste(processo):
        try:
            return processo.environ().get("MARCA_DO_TESTE") == marca and processo.is_running()
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            return False

    sobras = [p.cmdline() for p in psutil.Process().children(recursive=True) if do_teste(p)]
    assert not sobras, sobras
    assert not (tmp_path / "saida" / "01_nunca.ipynb").exists()


def _sobras_com_a_marca(marca: str, prazo: float = 10) -> list[list[str]]:
    """Os processos vivos (não zumbis) com MARCA_DO_TESTE=marca, depois de até `prazo` s."""
    def sobras():
        achados = []
        for processo in psutil.process_iter():
            try:
                if (processo.environ().get("MARCA_DO_TESTE") == marca
                        and processo.status() != psutil.STATUS_ZOMBIE):
                    achados.append(processo.cmdline())
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                pass
        return achados

    limite = time.monotonic() + prazo
    while (achados := sobras()) and time.monotonic() < limite:
        time.sleep(0.2)
    return achados


@pytest.mark.parametrize("aula", ["sem imports", "do molde"])
def test_ctrl_c_no_meio_de_uma_aula_para_os_dois_kernels_sem_traceback_a_mais(tmp_path, pasta, raiz, aula):
    """Ctrl+C durante a 2ª aula, que roda num kernel aquecido (e a 3ª já tem o seu): o executor
    diz que parou, sai com 130, não deixa o guardado pela metade, para os dois kernels e não
    imprime as tarefas do nbclient que a célula interrompida deixou no laço de eventos. Com
    aulas que importam o curso_mlops, os kernels nascem do molde, que também acaba."""
    importar = "import curso_mlops\n" if aula == "do molde" else ""
    apoio.notebook_de_teste(pasta, "00_antes.ipynb", ["X = 1", importar + "print(X)"])
    lenta = apoio.notebook_de_teste(pasta, "01_lenta.ipynb",
                                    ["X = 1", importar + "print('começou', flush=True)\nimport time\ntime.sleep(120)"])
    apoio.notebook_de_teste(pasta, "02_depois.ipynb", ["Y = 1", importar + "print(Y)"])
    original = lenta.read_bytes()
    processo = subprocess.Popen(
        [sys.executable, "scripts/run_course.py", "--pasta-notebooks", str(pasta), "--saida",
         str(tmp_path / "saida"), "--fresh", "--in-place"],
        cwd=raiz, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        executado = tmp_path / "saida" / "01_lenta.ipynb"
        limite = time.monotonic() + 60
        while time.monotonic() < limite and "começou" not in (executado.read_text() if executado.exists() else ""):
            time.sleep(0.2)  # o motor grava o executado no começo e a cada 10 s
        # Do molde, os kernels são filhos dele e têm a linha de comando dele (nascem de um fork).
        kernels = [p for p in psutil.Process(processo.pid).children() if "curso_mlops.kernel" in p.cmdline()]
        moldes = [p for p in kernels if "molde" in p.cmdline()]
        filhos = [p for p in kernels if p not in moldes] + [k for m in moldes for k in m.children()]
        assert len(filhos) == 2, "os kernels da 2ª aula e da 3ª (aquecido) deviam estar de pé"
        assert len(moldes) == (aula == "do molde")
        filhos += moldes
        processo.send_signal(signal.SIGINT)
        saida, erro = processo.communicate(timeout=60)
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.communicate()
    assert processo.returncode == 130, erro
    assert "interrompido: nenhum notebook guardado ficou pela metade." in erro
    assert "never retrieved" not in erro and "DeadKernelError" not in erro, erro
    assert lenta.read_bytes() == original
    psutil.wait_procs(filhos, timeout=10)
    assert not [p for p in filhos if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_passo_a_passo_roda_na_ordem_dada_e_espera_entre_as_aulas(tmp_path, pasta, raiz):
    """O modo das aulas fora de ordem (tests/conftest.py): a ordem pedida, com repetição; depois de
    cada aula, o executor diz como ela foi e espera; uma aula com erro não para as seguintes; e
    "parar" encerra ali, sem deixar kernel nem molde."""
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["X = 1", "import curso_mlops\nprint('a', X)"])
    apoio.notebook_de_teste(pasta, "01_ruim.ipynb", ["X = 1", "import curso_mlops\nraise ValueError('de propósito')"])
    apoio.notebook_de_teste(pasta, "02_c.ipynb", ["X = 1", "print('c')"])
    saida = tmp_path / "saida"
    marca = uuid.uuid4().hex
    processo = subprocess.Popen(
        [sys.executable, "scripts/run_course.py", "--pasta-notebooks", str(pasta), "--saida", str(saida),
         "--fresh", "--passo-a-passo", "01", "00", "01", "02"],
        cwd=raiz, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, MARCA_DO_TESTE=marca))
    vistos, textos = [], []
    try:
        linhas = iter(processo.stdout)
        for resposta in ("seguir", "seguir", "parar"):
            texto = []
            for linha in linhas:
                if linha.startswith("passo: "):
                    break
                texto.append(linha)
            vistos.append(linha.strip())
            textos.append("".join(texto))
            assert processo.poll() is None, "o executor devia esperar a ordem de seguir"
            if vistos[-1] == "passo: 00_a ok":  # já gravado quando o executor para e espera
                assert nbs.ler(saida / "00_a.ipynb").cells[2].outputs[0].text == "a 1\n"
            processo.stdin.write(resposta + "\n")
            processo.stdin.flush()
        restante, _ = processo.communicate(timeout=60)
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.communicate()
    assert vistos == ["passo: 01_ruim ERRO", "passo: 00_a ok", "passo: 01_ruim ERRO"]
    assert "ValueError: de propósito" in textos[0] and "01_ruim.ipynb" in textos[0]
    assert processo.returncode == 1
    assert not (saida / "02_c.ipynb").exists(), "a aula depois do 'parar' rodou"
    # A tabela tem as três aulas que rodaram, na ordem em que rodaram.
    tabela = [l.split()[0] for l in restante.splitlines() if l.split()[:1] and l.split()[0][:2].isdigit()]
    assert tabela == ["01_ruim", "00_a", "01_ruim"]
    assert _sobras_com_a_marca(marca) == [], "sobrou um kernel ou o molde"


def test_kernel_aquecido_que_morreu_antes_da_aula_da_lugar_a_um_novo(tmp_path, pasta):
    """Um kernel aquecido pode morrer antes de a aula começar (uma porta do ZMQ tomada por outro
    processo): a aula roda num kernel novo, em vez de falhar com "Kernel died"."""
    notebook = apoio.notebook_de_teste(pasta, "00_a.ipynb", ["X = 1", "print(X + 1)"])
    aquecido = executor.KernelAquecido(pasta, ())
    psutil.Process(aquecido.km.provisioner.pid).kill()
    limite = time.monotonic() + 10
    while aquecido.vivo() and time.monotonic() < limite:
        time.sleep(0.1)
    executado = tmp_path / "saida" / "00_a.ipynb"
    executor.executar_um(notebook, executado, {}, 60, aquecido)
    assert nbs.ler(executado).cells[2].outputs[0].text == "2\n"
    assert aquecido.km is None
