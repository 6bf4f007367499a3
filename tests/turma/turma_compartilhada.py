"""A execução da turma da sessão: um servidor PostgreSQL com senha e dois alunos ao mesmo tempo.

É a 3ª (e última) execução do curso numa sessão (tests/conftest.py): um `mlflow server` com o
banco num PostgreSQL descartável e o app de senha (basic-auth); o instrutor cria os alunos com
`scripts/criar_alunos.py` e as permissões PADRÃO dele (EDIT); a Ana roda o curso inteiro e a
Bia, ao mesmo tempo, só as aulas 00 a 04 (dois pontos diferentes do curso, como numa turma de
verdade).

Ela não depende de nenhuma outra execução: começa em segundo plano logo depois da coleta
(`tests/turma/conftest.py`), junto com o nbval dos notebooks, e os testes da turma e do painel
esperam por ela. Quem a usa: tests/turma/test_turma_servidor.py (o que cada aluno deixou, as
recusas 401/403) e tests/turma/test_painel_turma.py (o painel do instrutor sobre essa turma).

O PostgreSQL e o servidor sobem em 127.0.0.1, em portas livres; `fechar()` para os dois (e um
aluno que ainda esteja rodando, se a sessão acabou antes), mesmo quando algo falhou.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from curso_mlops import notebooks as nbs
from curso_mlops import processos
from curso_mlops import servidor_tracking as st
from tests.turma import postgres_temporario

RAIZ = Path(__file__).resolve().parents[2]
SEGREDO = "segredo-do-teste-0123456789abcdef"
SENHA_ADMIN = "Professor-Forte-Curso-9"
ALUNOS = {"ana": "Vento-Azul-42-Mar", "bia": "Pedra.Lisa.Cinco.7"}
# A Ana roda o curso inteiro; a Bia, ao mesmo tempo, só até a aula 04.
AULAS = {"ana": None, "bia": ["00", "01", "02", "03", "04"]}
# Permissões que o teste pede ao criar_alunos.py: vazio = o padrão do script (EDIT), o que a
# turma de verdade usa.
PERMISSAO_EXTRA: list[str] = []
PRAZO = 1800  # segundos para a turma inteira (o curso leva uns 2 min; no servidor, uns 3)
# As fixtures que precisam da turma: um teste que pede uma delas faz a turma começar cedo.
FIXTURES_DA_TURMA = frozenset({"postgres", "servidor_da_turma", "turma_criada", "aula_da_turma",
                               "turma_da_sessao", "turma_do_painel"})


def notebooks_de(aluno: str) -> list[Path]:
    pedidos = AULAS[aluno]
    todos = nbs.listar()
    return todos if pedidos is None else [p for p in todos if p.name[:2] in pedidos]


class PostgresAusente(RuntimeError):
    """Não há PostgreSQL nesta máquina (a fixture pula fora da CI e falha na CI)."""


@dataclass
class Turma:
    """O que a execução da turma deixou: o banco, o servidor, os alunos e o resultado de cada um."""

    postgres: postgres_temporario.PostgresTemporario
    servidor: st.ServidorDeTracking
    csv: Path
    ambiente_admin: dict[str, str]
    criacao: subprocess.CompletedProcess
    resultados: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    segundos: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.servidor.url


class TurmaCompartilhada:
    """Monta a turma uma vez, numa thread, e a desmonta no fim da sessão."""

    def __init__(self, pasta: Path):
        self.pasta = pasta
        self._trava = threading.Lock()
        self._fundo = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turma")
        self._futuro: Future | None = None
        self._postgres: postgres_temporario.PostgresTemporario | None = None
        self._servidor: st.ServidorDeTracking | None = None
        self._alunos_rodando: dict[str, subprocess.Popen] = {}
        self._fechando = False
        self.inicio: float | None = None

    def iniciar(self) -> Future:
        with self._trava:
            if self._futuro is None:
                self.inicio = time.perf_counter()
                self._futuro = self._fundo.submit(self._montar)
            return self._futuro

    def turma(self, timeout: float = PRAZO) -> Turma:
        return self.iniciar().result(timeout=timeout)

    # -- a montagem (na thread) -------------------------------------------------------------------
    def _montar(self) -> Turma:
        if postgres_temporario.localizar_binarios() is None:
            raise PostgresAusente("PostgreSQL não instalado (não há initdb no PATH nem em "
                                  "/usr/lib/postgresql/*/bin): `apt-get install -y postgresql`")
        self._postgres = postgres_temporario.PostgresTemporario().iniciar()
        config = st.Configuracao(pasta=self.pasta / "servidor-turma", porta=st.porta_livre(),
                                 backend_uri=self._postgres.uri, auth=True)
        config.pasta.mkdir(parents=True, exist_ok=True)
        ambiente = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_AUTH_")}
        ambiente.update(MLFLOW_FLASK_SERVER_SECRET_KEY=SEGREDO, MLFLOW_AUTH_ADMIN_PASSWORD=SENHA_ADMIN)
        self._servidor = st.ServidorDeTracking(config, ambiente=ambiente).iniciar()

        csv = self.pasta / "turma.csv"
        csv.write_text("aluno,senha\n" + "".join(f"{a},{s}\n" for a, s in ALUNOS.items()), encoding="utf-8")
        admin = dict(os.environ, MLFLOW_TRACKING_URI=self._servidor.url,
                     MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=SENHA_ADMIN)
        criacao = self._rodar("criar_alunos", ["scripts/criar_alunos.py", csv, *PERMISSAO_EXTRA], admin, 300)
        turma = Turma(self._postgres, self._servidor, csv, admin, criacao)
        if criacao.returncode != 0:
            return turma  # o teste do script mostra o erro; nenhum aluno roda sem usuário

        # Os dois ao mesmo tempo, cada um com o seu usuário e o seu ALUNO.
        with ThreadPoolExecutor(max_workers=len(ALUNOS), thread_name_prefix="aluno") as alunos:
            futuros = {aluno: alunos.submit(self._rodar_como, aluno, self._servidor.url) for aluno in ALUNOS}
            for aluno, futuro in futuros.items():
                turma.resultados[aluno], turma.segundos[aluno] = futuro.result()
        return turma

    def _rodar_como(self, aluno: str, url: str) -> tuple[subprocess.CompletedProcess, float]:
        """O executor como o aluno roda: as variáveis do README e --aluno."""
        ambiente = dict(os.environ, MLFLOW_TRACKING_URI=url, MLFLOW_TRACKING_USERNAME=aluno,
                        MLFLOW_TRACKING_PASSWORD=ALUNOS[aluno])
        args = ["scripts/run_course.py", *(AULAS[aluno] or []), "--tracking-uri", url,
                "--saida", self.pasta / "executados" / aluno, "--aluno", aluno]
        inicio = time.perf_counter()
        resultado = self._rodar(aluno, args, ambiente, PRAZO)
        return resultado, time.perf_counter() - inicio

    def _rodar(self, nome: str, args: list, ambiente: dict, timeout: float) -> subprocess.CompletedProcess:
        """Um script do repositório num grupo próprio (para `fechar` poder pará-lo)."""
        comando = [sys.executable, *map(str, args)]
        with self._trava:
            if self._fechando:
                raise RuntimeError("a sessão acabou antes da turma")
            processo = subprocess.Popen(comando, cwd=RAIZ, env=ambiente, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                        **processos.opcoes_de_grupo())
            self._alunos_rodando[nome] = processo
        try:
            saida, erro = processo.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            processos.parar(processo.pid, processo=processo)
            saida, erro = processo.communicate()
            erro += f"\n(parado depois de {timeout:.0f} s)"
        finally:
            with self._trava:
                self._alunos_rodando.pop(nome, None)
        return subprocess.CompletedProcess(comando, processo.returncode, saida, erro)

    # -- o fim da sessão ----------------------------------------------------------------------------
    def fechar(self) -> list[str]:
        """Para o que sobrou (um aluno ainda rodando, o servidor, o PostgreSQL); devolve o que
        não parou."""
        with self._trava:
            self._fechando = True
            rodando = list(self._alunos_rodando.values())
        problemas = []
        for processo in rodando:
            if not processos.parar(processo.pid, processo=processo):
                problemas.append(f"sobrou o processo {processo.pid} de um aluno")
        self._fundo.shutdown(wait=True)
        if self._servidor is not None:
            pid = self._servidor.processo.pid if self._servidor.processo is not None else None
            porta = self._servidor.config.porta
            self._servidor.parar()
            if pid is not None and processos.grupo_vivo(pid):
                problemas.append("sobrou processo do servidor de tracking")
            if processos.porta_em_uso(porta):
                problemas.append(f"a porta {porta} do servidor de tracking continua ocupada")
        if self._postgres is not None:
            pid = self._postgres.processo.pid if self._postgres.processo else None
            self._postgres.parar()
            if pid and processos.grupo_vivo(pid):
                problemas.append("sobrou processo do PostgreSQL")
        return problemas
