"""Fixtures compartilhadas dos testes, e as execuções caras do curso feitas uma vez só.

O curso roda inteiro no máximo três vezes numa sessão (`make test`):

1. **O nbval estrito de notebooks/** (coletado primeiro): o store que ele deixa é o da 1ª
   execução. Se o nbval não rodou nesta sessão (ex.: `pytest tests/modelo`) ou quebrou no
   meio, `curso_uma_vez` executa o curso pelo executor num store novo.
2. **A 2ª execução** (`curso_executado`): o curso inteiro de novo, em ordem, no MESMO store,
   com os notebooks executados guardados. Os testes do que cada aula deixa no store conferem o
   estado depois das duas, e o "uma segunda execução dá as mesmas saídas" compara os
   executados com os guardados.
3. **A turma** (tests/turma/test_turma_servidor.py): dois alunos num servidor PostgreSQL com
   senha.

As aulas fora de ordem (as duas cadeias de `tests/notebooks/sequencias.py`) rodam cada uma numa
CÓPIA do store da 1ª execução, ao mesmo tempo que a 2ª execução: as cópias são feitas antes de a
2ª começar.

Nenhum teste escreve no repositório nem em build/: cada execução grava em pastas temporárias.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from curso_mlops import notebooks as nbs
from tests import grupos_do_xdist as grupos
from tests.notebooks.sequencias import SEQUENCIAS

RAIZ = Path(__file__).resolve().parent.parent
PRAZO_DO_CURSO = 1800  # segundos para uma execução inteira do curso (o curso leva ~2 min)
SEQUENCIAS_AO_MESMO_TEMPO = 2  # a máquina tem 2 núcleos


def pytest_configure(config):
    # Um pytest iniciado em segundo plano por um shell sem controle de jobs (`make test &`, um
    # nohup, um runner de CI) herda o SIGINT ignorado, e os filhos também: o Ctrl+C que os testes
    # mandam a `make serve` e `make carga` não chegaria. Devolve o SIGINT ao normal antes de
    # qualquer filho nascer (o exec de um filho traz o padrão de volta; só o "ignorado" passa).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def raiz() -> Path:
    return RAIZ


def rodar(args, cwd=RAIZ, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Roda um comando Python do repositório e devolve o resultado com stdout/stderr em texto."""
    ambiente = dict(os.environ if env is None else env)
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=ambiente,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def rodar_script():
    return rodar


def executar_curso(uri: str, saida: Path, notebooks: list[str] | None = None,
                   extras: list[str] | None = None, timeout: float = PRAZO_DO_CURSO,
                   env: dict | None = None) -> subprocess.CompletedProcess:
    """O executor (scripts/run_course.py) em `uri`, com os executados em `saida`."""
    args = ["scripts/run_course.py", *(notebooks or []), "--tracking-uri", uri, "--saida", saida,
            *(extras or [])]
    return rodar(args, env=env, timeout=timeout)


def conferir_execucao(resultado: subprocess.CompletedProcess, notebooks=None) -> None:
    """O executor saiu com 0 e a tabela de tempos tem cada notebook pedido."""
    assert resultado.returncode == 0, (resultado.stdout[-2000:] + "\n" + resultado.stderr[-3000:])
    for caminho in notebooks or nbs.listar():
        nome = caminho.stem if isinstance(caminho, Path) else caminho
        assert nome in resultado.stdout, f"{nome} não está na tabela do executor"


# -- cópia de um store SQLite ---------------------------------------------------------------------

def uri_sqlite(pasta: Path) -> str:
    return "sqlite:///" + (pasta / "mlflow.db").as_posix()


def copiar_store(origem: Path, destino: Path) -> str:
    """Copia um store SQLite (mlflow.db + mlartifacts/) e devolve o URI da cópia.

    Os experimentos guardam o caminho absoluto dos artefatos: na cópia, cada caminho da origem
    é trocado pelo da cópia, e a cópia fica independente (nada dela aponta para a origem).
    """
    destino.mkdir(parents=True, exist_ok=True)
    shutil.copy2(origem / "mlflow.db", destino / "mlflow.db")
    if (origem / "mlartifacts").exists():
        shutil.copytree(origem / "mlartifacts", destino / "mlartifacts")
    antigo, novo = str(origem.absolute()), str(destino.absolute())
    with sqlite3.connect(destino / "mlflow.db") as conexao:
        tabelas = [t for (t,) in conexao.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        colunas = [(t, c[1]) for t in tabelas for c in conexao.execute(f"PRAGMA table_info('{t}')")
                   if "CHAR" in (c[2] or "").upper() or "TEXT" in (c[2] or "").upper()]
        for tabela, coluna in colunas:
            conexao.execute(f'UPDATE "{tabela}" SET "{coluna}" = REPLACE("{coluna}", ?, ?) '
                            f'WHERE "{coluna}" LIKE ?', (antigo, novo, f"%{antigo}%"))
        restos = sum(conexao.execute(f'SELECT COUNT(*) FROM "{t}" WHERE "{c}" LIKE ?',
                                     (f"%{antigo}%",)).fetchone()[0] for t, c in colunas)
    assert restos == 0, "a cópia do store ainda aponta para a origem"
    return uri_sqlite(destino)


# -- as execuções compartilhadas --------------------------------------------------------------------

@dataclass
class Execucao:
    """Um store e, quando houver, o resultado do executor e a pasta dos executados."""

    pasta: Path                       # a pasta do store (mlflow.db e mlartifacts/)
    uri: str
    executados: Path | None = None
    resultado: subprocess.CompletedProcess | None = None
    origem: str = ""
    segundos: float | None = None


@dataclass
class Passo:
    """Uma aula de uma sequência: o resultado do executor, o que estava inconsistente depois e o
    estado do registro depois (aliases e versões depreciadas, `estado_do_registro`)."""

    notebook: str
    resultado: subprocess.CompletedProcess
    problemas: list[str]
    estado: dict


@dataclass
class Sequencia:
    """Uma lista de notebooks executada, uma aula de cada vez e na ordem dada, numa cópia do
    store da 1ª execução; depois de cada aula, o registro é conferido (`registro_consistente`)."""

    nome: str
    notebooks: list[str]
    execucao: Execucao
    futuro: Future = field(repr=False, default=None)
    passos: list[Passo] = field(default_factory=list)

    def resultado(self, timeout: float = PRAZO_DO_CURSO) -> Execucao:
        self.futuro.result(timeout=timeout)
        return self.execucao


class Execucoes:
    """Orquestra as execuções caras da sessão (ver o docstring do módulo)."""

    def __init__(self, config, pasta: Path, sequencias: dict[str, list[str]] | None = None):
        self.config = config
        self.pasta = pasta
        self._trava = threading.Lock()
        self._primeira: Execucao | None = None
        self._erro_da_primeira: str | None = None
        self._instantaneo: Path | None = None
        self._segunda: Future | None = None
        self._segunda_execucao: Execucao | None = None
        self._pool = ThreadPoolExecutor(max_workers=SEQUENCIAS_AO_MESMO_TEMPO,
                                        thread_name_prefix="sequencia")
        self._fundo = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segunda-execucao")
        self.sequencias: dict[str, Sequencia] = {}
        self.contagem = {"curso inteiro": 0, "aulas fora de ordem": 0}
        self._fechando = False
        for nome, notebooks in (sequencias or {}).items():
            self.registrar(nome, notebooks)

    # 1ª execução ---------------------------------------------------------------------------
    def primeira(self) -> Execucao:
        with self._trava:
            if self._erro_da_primeira is not None:
                # Uma 1ª execução que falhou não é refeita a cada teste que a pede.
                raise AssertionError(f"a 1ª execução do curso falhou: {self._erro_da_primeira}")
            if self._primeira is None:
                try:
                    self._primeira = self._fazer_primeira()
                    # A cópia intacta da 1ª execução, antes de qualquer outra mexer no store.
                    self._instantaneo = self.pasta / "instantaneo-1a-execucao"
                    copiar_store(self._primeira.pasta, self._instantaneo)
                except BaseException as erro:
                    self._primeira = None
                    self._erro_da_primeira = str(erro)[-3000:] or type(erro).__name__
                    raise
            return self._primeira

    def _fazer_primeira(self) -> Execucao:
        registro = self.config._primeira_execucao
        todos = [p.name for p in nbs.listar()]
        if registro.completa(todos):
            return Execucao(pasta=registro.pasta_store, uri=registro.uri, origem="nbval")
        motivo = registro.motivo(todos)
        pasta = self.pasta / "store"
        pasta.mkdir()
        inicio = time.perf_counter()
        self.contagem["curso inteiro"] += 1
        resultado = executar_curso(uri_sqlite(pasta), self.pasta / "executados1")
        conferir_execucao(resultado)
        return Execucao(pasta=pasta, uri=uri_sqlite(pasta), executados=self.pasta / "executados1",
                        resultado=resultado, origem=f"executor ({motivo})",
                        segundos=time.perf_counter() - inicio)

    def instantaneo(self) -> Execucao:
        """Uma cópia intacta do store da 1ª execução (ninguém grava nela)."""
        self.primeira()
        return Execucao(pasta=self._instantaneo, uri=uri_sqlite(self._instantaneo),
                        origem=f"cópia intacta da 1ª execução ({self._primeira.origem})")

    # 2ª execução, no mesmo store ---------------------------------------------------------------
    def iniciar_segunda(self) -> Future:
        primeira = self.primeira()
        with self._trava:
            if self._segunda is None:
                self._iniciar_sequencias()  # as cópias já existem: podem rodar juntas
                self._segunda = self._fundo.submit(self._fazer_segunda, primeira)
            return self._segunda

    def _fazer_segunda(self, primeira: Execucao) -> Execucao:
        saida = self.pasta / "executados2"
        inicio = time.perf_counter()
        self.contagem["curso inteiro"] += 1
        resultado = executar_curso(primeira.uri, saida)
        return Execucao(pasta=primeira.pasta, uri=primeira.uri, executados=saida,
                        resultado=resultado, origem="2ª execução no mesmo store",
                        segundos=time.perf_counter() - inicio)

    def segunda(self) -> Execucao:
        execucao = self.iniciar_segunda().result(timeout=PRAZO_DO_CURSO)
        self._segunda_execucao = execucao
        conferir_execucao(execucao.resultado)
        return execucao

    # sequências fora de ordem, em cópias ---------------------------------------------------------
    def registrar(self, nome: str, notebooks: list[str]) -> Sequencia:
        """Pede uma sequência: roda `notebooks` numa cópia do store da 1ª execução.

        Começa logo que a 1ª execução existe (junto com a 2ª), no máximo duas de cada vez.
        """
        with self._trava:
            if nome in self.sequencias:
                if self.sequencias[nome].notebooks != list(notebooks):
                    raise ValueError(f"a sequência {nome!r} já existe com outros notebooks")
                return self.sequencias[nome]
            pasta = self.pasta / "sequencias" / nome
            sequencia = Sequencia(nome, list(notebooks),
                                  Execucao(pasta=pasta / "store", uri=uri_sqlite(pasta / "store"),
                                           executados=pasta / "executados",
                                           origem=f"cópia da 1ª execução + {' '.join(notebooks)}"))
            self.sequencias[nome] = sequencia
            iniciar_agora = self._instantaneo is not None
        if iniciar_agora:
            self._submeter(sequencia)
        return sequencia

    def _iniciar_sequencias(self) -> None:
        for sequencia in self.sequencias.values():
            if sequencia.futuro is None:
                self._submeter(sequencia)

    def _submeter(self, sequencia: Sequencia) -> None:
        if sequencia.futuro is None:
            sequencia.futuro = self._pool.submit(self._rodar_sequencia, sequencia)

    def _rodar_sequencia(self, sequencia: Sequencia) -> Execucao:
        from tests.notebooks.registro_consistente import estado_do_registro, problemas_do_registro

        execucao = sequencia.execucao
        copiar_store(self._instantaneo, execucao.pasta)
        inicio = time.perf_counter()
        # Um executor para a sequência inteira, passo a passo: as aulas na ordem dada (07 antes
        # de 05; 06 duas vezes), e o registro conferido depois de cada uma, com o executor
        # esperando. Um só processo: os kernels nascem todos do mesmo molde.
        args = [sys.executable, "scripts/run_course.py", "--passo-a-passo", *sequencia.notebooks,
                "--tracking-uri", execucao.uri, "--saida", str(execucao.executados)]
        processo = subprocess.Popen(args, cwd=RAIZ, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1)
        prazo = threading.Timer(PRAZO_DO_CURSO, processo.kill)
        prazo.start()
        try:
            for notebook in sequencia.notebooks:
                linhas = []
                for linha in processo.stdout:
                    if linha.startswith("passo: "):
                        break
                    linhas.append(linha)
                else:
                    linha = ""  # o executor acabou antes (morreu, ou o prazo o matou)
                texto = "".join(linhas)
                codigo = 0 if linha.split()[-1:] == ["ok"] else (processo.poll() or 1)
                # A saída e os erros do executor vêm juntos, na ordem em que ele os escreveu.
                resultado = subprocess.CompletedProcess(args, codigo, stdout=texto, stderr=texto)
                self.contagem["aulas fora de ordem"] += 1
                sequencia.passos.append(Passo(notebook, resultado, problemas_do_registro(execucao.uri),
                                              estado_do_registro(execucao.uri)))
                execucao.resultado = resultado
                if not linha:
                    break
                # A sessão acabou (um Ctrl+C): a próxima aula nem começa.
                try:
                    processo.stdin.write("parar\n" if self._fechando else "seguir\n")
                    processo.stdin.flush()
                except BrokenPipeError:
                    break
                if self._fechando:
                    break
            try:
                processo.stdin.close()
            except BrokenPipeError:
                pass
            processo.stdout.read()
            processo.wait()
        finally:
            prazo.cancel()
            if processo.poll() is None:
                processo.kill()
                processo.wait()
        execucao.segundos = time.perf_counter() - inicio
        return execucao

    def fechar(self) -> None:
        self._fechando = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._fundo.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def execucoes(request, tmp_path_factory):
    """O orquestrador das execuções compartilhadas (use as fixtures abaixo).

    As sequências de `tests/notebooks/sequencias.py` são registradas logo aqui, para rodarem
    junto com a 2ª execução.
    """
    orquestrador = Execucoes(request.config, tmp_path_factory.mktemp("execucoes"), SEQUENCIAS)
    request.config._execucoes = orquestrador
    yield orquestrador
    orquestrador.fechar()


def _store_do_processo():
    """Para onde o MLflow deste processo escreveria: as variáveis e o que o mlflow resolve."""
    import mlflow

    return {"MLFLOW_TRACKING_URI": os.environ.get("MLFLOW_TRACKING_URI"),
            "MLFLOW_REGISTRY_URI": os.environ.get("MLFLOW_REGISTRY_URI"),
            "tracking": mlflow.get_tracking_uri(), "registro": mlflow.get_registry_uri()}


def _conferir_que_o_store_nao_vazou(quem, antes):
    depois = _store_do_processo()
    mudou = {chave: (antes[chave], depois[chave]) for chave in antes if antes[chave] != depois[chave]}
    assert not mudou, (f"{quem} deixou o MLflow do processo apontado para outro store (antes, depois): "
                       f"{mudou}. Use curso_mlops.store.apontado(uri).")


@pytest.fixture(scope="module", autouse=True)
def _store_do_processo_intacto_no_modulo(request):
    """As fixtures de módulo também devolvem o store do processo (um `register_model` de outro
    módulo iria para o registro errado)."""
    antes = _store_do_processo()
    yield
    _conferir_que_o_store_nao_vazou(f"o módulo {request.module.__name__}", antes)


@pytest.fixture(autouse=True)
def _store_do_processo_intacto(request):
    antes = _store_do_processo()
    yield
    _conferir_que_o_store_nao_vazou(f"o teste {request.node.name}", antes)


@pytest.fixture(autouse=True)
def _adiantar_a_segunda_execucao(request):
    """Se algum teste desta sessão precisa da 2ª execução, ela começa (em segundo plano) no
    primeiro teste de tests/, e não só quando o primeiro teste que a usa chegar. Com o xdist,
    no primeiro teste do grupo `curso` (tests/grupos_do_xdist.py), no processo que rodou o nbval.

    Lê `session.items` já filtrado (-m, -k): testes desmarcados não disparam nada.
    """
    config = request.config
    if getattr(config, "_segunda_adiantada", False):
        return
    if grupos.trabalhador(config) and not grupos.eh_do_curso(request.node):
        return
    config._segunda_adiantada = True
    if any("curso_executado" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("execucoes").iniciar_segunda()


@pytest.fixture(scope="session")
def curso_uma_vez(execucoes) -> Execucao:
    """Uma cópia intacta do store depois da 1ª execução do curso (a do nbval desta sessão, ou
    uma pelo executor). Só leitura: quem precisa mudar algo usa `execucoes.registrar(...)`."""
    return execucoes.instantaneo()


@pytest.fixture(scope="session")
def curso_executado(execucoes) -> Execucao:
    """O store depois de DUAS execuções do curso inteiro, em ordem, no mesmo store.

    `executados` tem os notebooks da 2ª execução. Ao fim, o store do usuário (mlflow.db da
    raiz) não pode ter mudado.
    """
    banco_do_usuario = RAIZ / "mlflow.db"
    antes = banco_do_usuario.stat().st_mtime_ns if banco_do_usuario.exists() else None
    execucao = execucoes.segunda()
    depois = banco_do_usuario.stat().st_mtime_ns if banco_do_usuario.exists() else None
    assert depois == antes, "o curso mexeu no store do usuário"
    return execucao


def _linhas_do_resumo(orquestrador: Execucoes) -> list[str]:
    linhas = []
    if orquestrador._primeira is not None:
        linhas.append(f"1ª execução: {orquestrador._primeira.origem}")
    if orquestrador._segunda_execucao is not None:
        linhas.append(f"2ª execução: {orquestrador._segunda_execucao.segundos:.0f} s")
    linhas.append("execuções do curso inteiro pelo executor (além do nbval e da turma): "
                  f"{orquestrador.contagem['curso inteiro']}; aulas fora de ordem (numa cópia): "
                  f"{orquestrador.contagem['aulas fora de ordem']}")
    return linhas


CHAVE_DO_RESUMO = "execucoes_compartilhadas"


def pytest_sessionfinish(session):
    """Num trabalhador do xdist, o resumo vai para o processo principal, que o imprime."""
    orquestrador = getattr(session.config, "_execucoes", None)
    if orquestrador is not None and grupos.trabalhador(session.config):
        session.config.workeroutput[CHAVE_DO_RESUMO] = _linhas_do_resumo(orquestrador)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    linhas = getattr(node, "workeroutput", {}).get(CHAVE_DO_RESUMO)
    if linhas:
        node.config._resumo_das_execucoes = linhas


def pytest_terminal_summary(terminalreporter, config):
    """Quantas vezes o curso rodou nesta sessão, e de onde veio cada execução compartilhada."""
    orquestrador = getattr(config, "_execucoes", None)
    linhas = (_linhas_do_resumo(orquestrador) if orquestrador is not None
              else getattr(config, "_resumo_das_execucoes", None))
    if not linhas:
        return
    terminalreporter.write_sep("-", "execuções compartilhadas do curso")
    for linha in linhas:
        terminalreporter.write_line(linha)
