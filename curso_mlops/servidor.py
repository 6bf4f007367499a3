"""Sobe e derruba um `mlflow models serve` para as aulas e os testes (encanamento).

    from curso_mlops.servidor import ServidorDeModelo

    with ServidorDeModelo("models:/tempo_entrega@champion", porta=5299) as servidor:
        print(servidor.comando_cli)      # a linha que o aluno digitaria no terminal
        ...                              # requisições para servidor.url + "/invocations"
    # aqui o processo já terminou e a porta está livre

O servidor usa o ambiente do próprio kernel (`--env-manager local`, o Python de
`sys.executable` e a pasta dele primeiro no PATH, porque o MLflow executa o `uvicorn` pelo
PATH), escuta só em 127.0.0.1, espera `/ping` com prazo, guarda o log num arquivo e é
encerrado ao sair do bloco `with`, numa exceção ou quando o kernel termina.
"""

from __future__ import annotations

import atexit
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import store

HOST = "127.0.0.1"


class ErroDoServidor(RuntimeError):
    """O servidor de modelo não pôde ser iniciado ou não responde."""


def porta_em_uso(porta: int, host: str = HOST) -> bool:
    """True se algum processo escuta na porta (conexões em TIME_WAIT não contam)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if os.name == "posix":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, porta))
        except OSError:
            return True
    return False


def porta_livre(host: str = HOST) -> int:
    """Uma porta TCP livre agora em `host` (o sistema escolhe)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# Portas reservadas por este processo (porta -> arquivo travado com flock), até ele terminar.
_RESERVAS: dict[int, object] = {}


def _reservar(porta: int) -> bool:
    """Reserva `porta` para este processo entre os processos do curso; False se outro a tem.

    Dois cursos rodando ao mesmo tempo na mesma máquina (dois terminais, testes em paralelo)
    pediriam a mesma porta da aula; entre a verificação e o servidor ocupá-la passam segundos.
    A reserva é um `flock` num arquivo da pasta temporária, que o sistema solta quando o
    processo termina. Sem `fcntl` (Windows), não há reserva: vale só `porta_em_uso`.
    """
    if porta in _RESERVAS:
        return True
    try:
        import fcntl
    except ImportError:
        return True
    arquivo = open(Path(tempfile.gettempdir()) / f"curso-mlops-porta-{porta}.trava", "a")
    try:
        fcntl.flock(arquivo, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        arquivo.close()
        return False
    _RESERVAS[porta] = arquivo
    return True


def porta_disponivel(preferida: int | None = None, host: str = HOST) -> int:
    """`preferida` se ela está livre e nenhum outro processo do curso a reservou; senão, uma livre.

    Os notebooks pedem a porta da aula (5299) e não brigam com um `make serve` aberto em outro
    terminal, nem com outro curso executando ao mesmo tempo: nesses casos, o servidor do
    notebook sobe em outra porta. A reserva dura até o processo (o kernel) terminar.
    """
    if preferida is not None and not porta_em_uso(int(preferida), host) and _reservar(int(preferida)):
        return int(preferida)
    return porta_livre(host)


def _primeira_linha(erro: Exception) -> str:
    texto = getattr(erro, "message", None) or str(erro)
    return texto.strip().splitlines()[0] if texto.strip() else type(erro).__name__


def verificar_modelo(model_uri: str, tracking_uri: str | None = None) -> None:
    """Confere no store que `models:/nome@alias`, `models:/nome/versão` ou `models:/m-...` existe.

    Levanta ErroDoServidor com mensagem clara antes de gastar segundos subindo um servidor
    que morreria em seguida. Outros esquemas (runs:/, caminhos) seguem sem verificação.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    if not model_uri.startswith("models:/"):
        return
    resto = model_uri[len("models:/"):].strip("/")
    uri_store = tracking_uri or store.tracking_uri()
    cliente = MlflowClient(tracking_uri=uri_store, registry_uri=uri_store)
    try:
        if resto.startswith("m-"):
            cliente.get_logged_model(resto.split("/")[0])
        elif "@" in resto:
            nome, alias = resto.split("@", 1)
            cliente.get_model_version_by_alias(nome, alias)
        elif "/" in resto:
            nome, versao = resto.split("/", 1)
            if versao.isdigit():
                cliente.get_model_version(nome, versao)
            else:
                cliente.get_registered_model(nome)
        else:
            cliente.get_registered_model(resto)
    except MlflowException as erro:
        raise ErroDoServidor(
            f"Modelo não encontrado: {model_uri!r} não existe no store "
            f"({store.descrever(uri_store)}). Confira o nome e o alias (as aulas 05 e 08 "
            f"registram `tempo_entrega` e o alias `champion`). Detalhe do MLflow: "
            f"{_primeira_linha(erro)}") from None


class ServidorDeModelo:
    """Um processo `mlflow models serve` controlado, usado como gerenciador de contexto."""

    def __init__(self, model_uri: str, porta: int | None = None, host: str = HOST,
                 timeout: float = 120.0, arquivo_log: str | Path | None = None,
                 tracking_uri: str | None = None, verificar: bool = True, trabalhadores: int = 1):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ErroDoServidor("O servidor do curso escuta só em 127.0.0.1 (host local).")
        self.model_uri = model_uri
        self.host = host
        self.porta = porta_livre(host) if porta is None else int(porta)
        self.timeout = float(timeout)
        self.tracking_uri = tracking_uri
        self.verificar = verificar
        self.trabalhadores = int(trabalhadores)
        self.arquivo_log = Path(arquivo_log) if arquivo_log else None
        self.processo: subprocess.Popen | None = None

    # -- o que o aluno vê --------------------------------------------------------------
    @property
    def comando_cli(self) -> str:
        """A linha equivalente para o terminal (com o .venv ativo)."""
        return shlex.join(["mlflow", "models", "serve", "-m", self.model_uri,
                           "-p", str(self.porta), "--env-manager", "local"])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.porta}"

    @property
    def log(self) -> str:
        if self.arquivo_log is None or not self.arquivo_log.exists():
            return ""
        return self.arquivo_log.read_text(encoding="utf-8", errors="replace")

    def cauda_do_log(self, linhas: int = 25) -> str:
        return "\n".join(self.log.rstrip().splitlines()[-linhas:])

    @property
    def rodando(self) -> bool:
        return self.processo is not None and self.processo.poll() is None

    # -- ciclo de vida ---------------------------------------------------------------------
    def _comando(self) -> list[str]:
        return [sys.executable, "-m", "mlflow", "models", "serve", "-m", self.model_uri,
                "-h", self.host, "-p", str(self.porta), "-w", str(self.trabalhadores),
                "--env-manager", "local"]

    def _ambiente(self) -> dict[str, str]:
        ambiente = dict(os.environ)
        pasta_bin = str(Path(sys.executable).parent)
        ambiente["PATH"] = pasta_bin + os.pathsep + ambiente.get("PATH", "")
        ambiente["MLFLOW_TRACKING_URI"] = self.tracking_uri or store.tracking_uri()
        # O registro é o do mesmo store (o que `verificar_modelo` consultou), mesmo que um
        # `mlflow.set_registry_uri` deste processo tenha deixado outro no ambiente.
        ambiente["MLFLOW_REGISTRY_URI"] = ambiente["MLFLOW_TRACKING_URI"]
        ambiente.setdefault("PYTHONUNBUFFERED", "1")
        return ambiente

    def iniciar(self) -> "ServidorDeModelo":
        if self.rodando:
            return self
        if porta_em_uso(self.porta, self.host):
            raise ErroDoServidor(
                f"A porta {self.porta} já está em uso em {self.host}. Outro servidor está "
                f"rodando (um `make serve` em outro terminal?). Pare-o ou escolha outra porta.")
        if self.verificar:
            verificar_modelo(self.model_uri, self.tracking_uri)
        if self.arquivo_log is None:
            descritor, nome = tempfile.mkstemp(prefix="mlflow-serve-", suffix=".log")
            os.close(descritor)
            self.arquivo_log = Path(nome)
        opcoes = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        with open(self.arquivo_log, "ab") as log:
            self.processo = subprocess.Popen(
                self._comando(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._ambiente(), **opcoes)
        atexit.register(self.parar)
        try:
            self._esperar_ping()
        except BaseException:
            self.parar()
            raise
        return self

    def _esperando_na_porta(self) -> bool:
        """O log deste processo diz que ele escuta na porta? (Um /ping 200 sozinho não basta:
        outro processo pode ter ocupado a porta entre a verificação e o início do servidor.)"""
        return f"running on http://{self.host}:{self.porta}".lower() in self.log.lower()

    def _esperar_ping(self) -> None:
        limite = time.monotonic() + self.timeout
        while True:
            codigo = self.processo.poll()
            if codigo is not None:
                log = self.log.lower()
                causa = (f" A porta {self.porta} foi ocupada por outro processo enquanto o servidor "
                         "iniciava; tente de novo ou escolha outra porta."
                         if "address already in use" in log or "error while attempting to bind" in log
                         else "")
                raise ErroDoServidor(
                    f"O servidor terminou enquanto iniciava (código {codigo}).{causa} "
                    f"Final do log ({self.arquivo_log.name}):\n{self.cauda_do_log()}")
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=2) as resposta:
                    if resposta.status == 200 and self._esperando_na_porta():
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            if time.monotonic() > limite:
                raise ErroDoServidor(
                    f"O servidor não respondeu /ping em {self.timeout:.0f} s. "
                    f"Final do log ({self.arquivo_log.name}):\n{self.cauda_do_log()}")
            time.sleep(0.1)

    def parar(self, prazo: float = 15.0) -> None:
        """Encerra o servidor e todos os processos filhos dele; espera a porta ficar livre."""
        processo, self.processo = self.processo, None
        atexit.unregister(self.parar)
        if processo is None:
            return
        if processo.poll() is None:
            self._sinalizar(processo, signal.SIGTERM)
            try:
                processo.wait(timeout=prazo)
            except subprocess.TimeoutExpired:
                self._sinalizar(processo, signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
                processo.wait(timeout=prazo)
        # O líder saiu; os filhos (uvicorn) recebem o mesmo sinal pelo grupo e saem logo depois.
        if os.name == "posix" and not self._esperar_grupo(processo.pid, prazo):
            self._sinalizar(processo, signal.SIGKILL)
            self._esperar_grupo(processo.pid, 5.0)
        limite = time.monotonic() + prazo
        while porta_em_uso(self.porta, self.host) and time.monotonic() < limite:
            time.sleep(0.1)

    @staticmethod
    def _esperar_grupo(pgid: int, prazo: float) -> bool:
        """Espera o grupo de processos do servidor acabar; False se o prazo esgotar."""
        limite = time.monotonic() + prazo
        while time.monotonic() < limite:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return True
            time.sleep(0.05)
        return False

    @staticmethod
    def _sinalizar(processo: subprocess.Popen, sinal: int) -> None:
        try:
            if os.name == "posix":
                os.killpg(processo.pid, sinal)
            else:
                processo.send_signal(sinal)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def __enter__(self) -> "ServidorDeModelo":
        return self.iniciar()

    def __exit__(self, *excecao) -> None:
        self.parar()

    def __repr__(self) -> str:
        situacao = "rodando" if self.rodando else "parado"
        return f"ServidorDeModelo({self.model_uri!r}, porta={self.porta}, {situacao})"
