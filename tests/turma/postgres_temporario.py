"""Um PostgreSQL descartável nesta máquina, para testar o servidor de tracking com PostgreSQL.

Ferramenta dos testes (não é parte do kit): a turma de verdade usa um PostgreSQL gerenciado ou
instalado como serviço. Sobe e para o processo por `curso_mlops.processos`.

    with PostgresTemporario() as banco:
        print(banco.uri)   # postgresql://postgres@127.0.0.1:<porta>/mlflow
    # aqui o servidor já parou e a pasta do cluster foi apagada

Usa os programas do pacote `postgresql` do Debian (`initdb` e `postgres`, no PATH ou em
/usr/lib/postgresql/<versão>/bin). O cluster:

- fica numa pasta temporária nova (dados, log e o socket Unix), apagada no fim;
- escuta só em 127.0.0.1, numa porta livre, sem senha (`trust`) — é descartável e local;
- roda como um usuário sem privilégios: o PostgreSQL se recusa a rodar como root, então,
  quando o processo atual é root (a CI), o cluster roda como o usuário `postgres` (criado pelo
  pacote) ou, na falta dele, `nobody`;
- troca durabilidade por velocidade (`fsync=off`): serve para testes, nunca para dados reais.

Por que não o pytest-postgresql: ele chama o `pg_ctl` como o usuário atual, e o PostgreSQL
recusa rodar como root (a CI roda como root); ele não tem como rodar o cluster como outro
usuário.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from curso_mlops import processos
from tests import apoio

HOST = "127.0.0.1"
BANCO = "mlflow"
SUPERUSUARIO = "postgres"


class ErroDoPostgres(RuntimeError):
    """O PostgreSQL descartável não pôde ser criado ou iniciado."""


def localizar_binarios(path: str | None = None, raiz_debian: str = "/usr/lib/postgresql") -> Path | None:
    """Pasta com `initdb` e `postgres`: a do PATH ou a versão mais nova do Debian; None se não há."""
    achado = shutil.which("initdb", path=path)
    if achado:
        pasta = Path(achado).resolve().parent
        if (pasta / "postgres").exists():
            return pasta
    versoes = []
    for candidato in Path(raiz_debian).glob("*/bin/initdb"):
        try:
            versoes.append((int(candidato.parent.parent.name), candidato.parent))
        except ValueError:
            continue
    return max(versoes)[1] if versoes else None


def usuario_do_cluster():
    """O usuário (`pwd.struct_passwd`) que roda o cluster: None (o atual) se não é root;
    senão `postgres` ou `nobody`."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    for nome in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(nome)
        except KeyError:
            continue
    raise ErroDoPostgres("Rodando como root, mas não há usuário `postgres` nem `nobody` para o "
                         "cluster (o PostgreSQL não roda como root).")


class PostgresTemporario:
    def __init__(self, binarios: Path | None = None, porta: int | None = None, timeout: float = 60.0):
        self.binarios = Path(binarios) if binarios else localizar_binarios()
        if self.binarios is None:
            raise ErroDoPostgres(
                "PostgreSQL não encontrado (initdb). Instale o pacote do Debian: "
                "`apt-get install -y postgresql`.")
        self.porta = porta or processos.porta_livre(HOST)
        self.timeout = timeout
        self.pasta: Path | None = None
        self.processo: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"postgresql://{SUPERUSUARIO}@{HOST}:{self.porta}/{BANCO}"

    @property
    def arquivo_log(self) -> Path:
        return self.pasta / "postgres.log"

    def _como_usuario(self) -> dict:
        usuario = usuario_do_cluster()
        if usuario is None:
            return {}
        return {"user": usuario.pw_uid, "group": usuario.pw_gid, "extra_groups": []}

    def _rodar(self, args: list[str]) -> None:
        resultado = subprocess.run(args, capture_output=True, text=True, cwd=self.pasta,
                                   env=self._ambiente(), timeout=120, **self._como_usuario())
        if resultado.returncode != 0:
            raise ErroDoPostgres(f"{Path(args[0]).name} falhou ({resultado.returncode}):\n"
                                 f"{(resultado.stdout + resultado.stderr)[-2000:]}")

    def _ambiente(self) -> dict[str, str]:
        ambiente = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C",
                    "HOME": str(self.pasta)}
        # A marca da sessão de testes (tests/apoio.py): um PostgreSQL que sobrar é achado no fim.
        if apoio.MARCA_DA_SESSAO in os.environ:
            ambiente[apoio.MARCA_DA_SESSAO] = os.environ[apoio.MARCA_DA_SESSAO]
        return ambiente

    def iniciar(self) -> "PostgresTemporario":
        # Em /tmp (e não na pasta temporária do pytest, fechada para outros usuários).
        self.pasta = Path(tempfile.mkdtemp(prefix="curso-postgres-"))
        try:
            usuario = usuario_do_cluster()
            if usuario is not None:
                os.chown(self.pasta, usuario.pw_uid, usuario.pw_gid)
            self._rodar([str(self.binarios / "initdb"), "-D", str(self.pasta / "dados"),
                         "-U", SUPERUSUARIO, "--auth=trust", "-E", "UTF8", "--no-locale",
                         "--no-sync"])
            self.arquivo_log.touch()
            if usuario is not None:
                os.chown(self.arquivo_log, usuario.pw_uid, usuario.pw_gid)
            self.processo = processos.iniciar(
                [str(self.binarios / "postgres"), "-D", str(self.pasta / "dados"),
                 "-p", str(self.porta), "-k", str(self.pasta),
                 "-c", f"listen_addresses={HOST}", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=60"],
                log=self.arquivo_log, cwd=self.pasta, env=self._ambiente(),
                **self._como_usuario())
            self._esperar()
            self._criar_banco()
        except BaseException:
            self.parar()
            raise
        return self

    def _conectar(self, banco: str):
        import psycopg

        return psycopg.connect(host=HOST, port=self.porta, user=SUPERUSUARIO, dbname=banco,
                               connect_timeout=3, autocommit=True)

    def _aceita_conexoes(self) -> bool:
        import psycopg

        try:
            self._conectar("postgres").close()
            return True
        except psycopg.OperationalError:
            return False

    def _esperar(self) -> None:
        try:
            processos.esperar(self._aceita_conexoes, self.processo, prazo=self.timeout,
                              intervalo=0.2)
        except processos.ProcessoMorreu:
            raise ErroDoPostgres(f"O PostgreSQL terminou ao iniciar:\n{self._cauda()}") from None
        except processos.PrazoEsgotado:
            raise ErroDoPostgres(f"O PostgreSQL não aceitou conexões em {self.timeout:.0f} s:\n"
                                 f"{self._cauda()}") from None

    def _criar_banco(self) -> None:
        conexao = self._conectar("postgres")
        try:
            conexao.execute(f"CREATE DATABASE {BANCO}")
        finally:
            conexao.close()

    def _cauda(self) -> str:
        try:
            return "\n".join(self.arquivo_log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(sem log)"

    def parar(self) -> None:
        processo, self.processo = self.processo, None
        if processo is not None:
            # SIGINT = "fast shutdown": desconecta os clientes e para (SIGTERM esperaria por eles).
            processos.parar(processo.pid, prazo=30.0, gentil=signal.SIGINT, processo=processo)
        if self.pasta is not None:
            shutil.rmtree(self.pasta, ignore_errors=True)
            self.pasta = None

    def __enter__(self) -> "PostgresTemporario":
        return self.iniciar()

    def __exit__(self, *excecao) -> None:
        self.parar()
