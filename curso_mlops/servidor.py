"""Sobe e derruba um `mlflow models serve` para as aulas e os testes (encanamento).

    from curso_mlops.servidor import ServidorDeModelo

    with ServidorDeModelo("models:/tempo_entrega@champion", porta=5299) as servidor:
        print(servidor.comando_cli)      # a linha que o aluno digitaria no terminal
        ...                              # requisições para servidor.url + "/invocations"
    # aqui o processo já terminou e a porta está livre

O servidor usa o ambiente do próprio kernel (`--env-manager local`, `sys.executable -m mlflow`
e a pasta dele primeiro no PATH, porque o MLflow executa o `uvicorn` pelo PATH), escuta só em
127.0.0.1, espera `/ping` com prazo, guarda o log num arquivo e é encerrado (o grupo de
processos inteiro, por `curso_mlops.processos`) ao sair do bloco `with`, numa exceção ou quando
o kernel termina.
"""

from __future__ import annotations

import atexit
import os
import shlex
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from . import processos, store

# Reexportados: os notebooks importam as portas daqui (`from curso_mlops.servidor import ...`).
from .processos import HOST, porta_disponivel, porta_em_uso, porta_livre

__all__ = ["HOST", "ErroDoServidor", "ServidorDeModelo", "porta_disponivel", "porta_em_uso",
           "porta_livre", "verificar_modelo"]


class ErroDoServidor(RuntimeError):
    """O servidor de modelo não pôde ser iniciado ou não responde."""


def _primeira_linha(erro: Exception) -> str:
    texto = getattr(erro, "message", None) or str(erro)
    return texto.strip().splitlines()[0] if texto.strip() else type(erro).__name__


def resolver_modelo(model_uri: str, tracking_uri: str | None = None) -> tuple[str, str]:
    """(URI fixa, descrição) do modelo no store: `models:/nome@alias` vira `models:/nome/<versão>`.

    Confere que `models:/nome@alias`, `models:/nome/versão`, `models:/nome` ou `models:/m-...`
    existe e levanta ErroDoServidor, em português, antes de gastar segundos subindo um servidor
    que morreria em seguida. Nunca cria um banco vazio só para conferir. Outros esquemas
    (runs:/, caminhos) seguem sem verificação.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    uri_store = tracking_uri or store.tracking_uri()
    banco = store.caminho_do_banco(uri_store)
    if banco is not None and not banco.exists():
        raise ErroDoServidor(f"Modelo não encontrado: o store do curso ({store.descrever(uri_store)}) "
                             f"ainda não existe, então não tem {model_uri}.")
    if not model_uri.startswith("models:/"):
        return model_uri, model_uri
    resto = model_uri[len("models:/"):].strip("/")
    cliente = MlflowClient(tracking_uri=uri_store, registry_uri=uri_store)
    try:
        if resto.startswith("m-"):
            cliente.get_logged_model(resto.split("/")[0])
            return model_uri, model_uri
        if "@" in resto:
            nome, alias = resto.split("@", 1)
            versao = cliente.get_model_version_by_alias(nome, alias)
            return (f"models:/{nome}/{versao.version}",
                    f"{model_uri} (versão {versao.version}, tipo {versao.tags.get('tipo', '?')})")
        nome, _, numero = resto.partition("/")
        if numero.isdigit():
            versao = cliente.get_model_version(nome, numero)
            return model_uri, f"{model_uri} (tipo {versao.tags.get('tipo', '?')})"
        cliente.get_registered_model(nome)
        return model_uri, model_uri
    except MlflowException as erro:
        raise ErroDoServidor(
            f"Modelo não encontrado: {model_uri!r} não existe no store "
            f"({store.descrever(uri_store)}). Confira o nome e o alias (as aulas 05 e 08 "
            f"registram `tempo_entrega` e o alias `champion`). Detalhe do MLflow: "
            f"{_primeira_linha(erro)}") from None


def verificar_modelo(model_uri: str, tracking_uri: str | None = None) -> None:
    """Levanta ErroDoServidor se o store não tem `model_uri` (veja `resolver_modelo`)."""
    resolver_modelo(model_uri, tracking_uri)


class ServidorDeModelo:
    """Um processo `mlflow models serve` controlado, usado como gerenciador de contexto.

    Sobe pelo `processos.iniciar` (grupo próprio, log num arquivo) e só está pronto quando o
    log diz que ESTE processo escuta na porta, cada worker disse "Application startup complete."
    (todos prontos para uma carga) e `/ping` responde 200. Para pelo `processos.parar` (SIGTERM no
    grupo, depois SIGKILL): nenhum processo sobra, também numa exceção ou quando o processo que o
    criou termina (atexit). Subclasses trocam só o comando (`producao.ServidorDeProducao`).
    """

    def __init__(self, model_uri: str, porta: int | None = None, host: str = HOST,
                 timeout: float = 120.0, arquivo_log: str | Path | None = None,
                 tracking_uri: str | None = None, verificar: bool = True, trabalhadores: int = 1):
        if host not in processos.HOSTS_LOCAIS:
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
        self.pid_inicial: int | None = None          # continua sabido depois de parar
        self.segundos_para_subir: float | None = None

    # -- o que o aluno vê --------------------------------------------------------------
    @property
    def comando_cli(self) -> str:
        """A linha equivalente para o terminal (com o .venv ativo)."""
        trabalhadores = [] if self.trabalhadores == 1 else ["-w", str(self.trabalhadores)]
        return shlex.join(["mlflow", "models", "serve", "-m", self.model_uri,
                           "-p", str(self.porta), *trabalhadores, "--env-manager", "local"])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.porta}"

    @property
    def pid(self) -> int | None:
        return None if self.processo is None else self.processo.pid

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
        return processos.comando_mlflow("models", "serve", "-m", self.model_uri, "-h", self.host,
                                        "-p", self.porta, "-w", self.trabalhadores,
                                        "--env-manager", "local")

    def _ambiente(self) -> dict[str, str]:
        # O MLflow lança o `uvicorn` pelo PATH: a pasta do Python do kernel vem primeiro.
        ambiente = processos.ambiente_com_o_python_do_curso()
        # O registro é o do mesmo store (o que `verificar_modelo` consultou), mesmo que um
        # `mlflow.set_registry_uri` deste processo tenha deixado outro no ambiente.
        store.no_ambiente(ambiente, self.tracking_uri or store.tracking_uri())
        ambiente["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        # O servidor importa o guarda.py de dentro do modelo, no próprio store: sem __pycache__ lá.
        ambiente["PYTHONDONTWRITEBYTECODE"] = "1"
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
            descritor, nome = tempfile.mkstemp(prefix="curso-servidor-", suffix=".log")
            os.close(descritor)
            self.arquivo_log = Path(nome)
        self.processo = processos.iniciar(self._comando(), log=self.arquivo_log,
                                          env=self._ambiente())
        self.pid_inicial = self.processo.pid
        atexit.register(self.parar)
        try:
            self.segundos_para_subir = self._esperar_ficar_pronto()
        except BaseException:
            self.parar()
            raise
        return self

    def _esperando_na_porta(self) -> bool:
        """O log deste processo diz que ele escuta na porta? (Um /ping 200 sozinho não basta:
        outro processo pode ter ocupado a porta entre a verificação e o início do servidor.)"""
        return f"running on http://{self.host}:{self.porta}".lower() in self.log.lower()

    def _pronto(self) -> bool:
        if self.log.count("Application startup complete.") < self.trabalhadores:
            return False
        if not self._esperando_na_porta():
            return False
        with urllib.request.urlopen(self.url + "/ping", timeout=2) as resposta:
            return resposta.status == 200

    def _esperar_ficar_pronto(self) -> float:
        try:
            return processos.esperar(self._pronto, self.processo, prazo=self.timeout)
        except processos.ProcessoMorreu as morreu:
            log = self.log.lower()
            causa = (f" A porta {self.porta} foi ocupada por outro processo enquanto o servidor "
                     "iniciava; tente de novo ou escolha outra porta."
                     if "address already in use" in log or "error while attempting to bind" in log
                     else "")
            raise ErroDoServidor(
                f"O servidor terminou enquanto iniciava (código {morreu.codigo}).{causa} "
                f"Final do log ({self.arquivo_log.name}):\n{self.cauda_do_log()}") from None
        except processos.PrazoEsgotado:
            raise ErroDoServidor(
                f"O servidor não respondeu /ping em {self.timeout:.0f} s. "
                f"Final do log ({self.arquivo_log.name}):\n{self.cauda_do_log()}") from None

    def parar(self, prazo: float = 15.0) -> bool:
        """Encerra o servidor e todos os processos filhos dele; True se nada sobrou e a porta
        ficou livre."""
        processo = self.processo
        if processo is None:
            atexit.unregister(self.parar)
            return True
        # Só esquece o processo (e o atexit) depois de pará-lo: um Ctrl+C no meio da parada
        # deixa o atexit terminar o serviço quando o programa sair.
        limpo = processos.parar(processo.pid, prazo=prazo, processo=processo)
        self.processo = None
        atexit.unregister(self.parar)
        try:
            processos.esperar(lambda: not porta_em_uso(self.porta, self.host), prazo=prazo)
        except processos.PrazoEsgotado:
            return False
        return limpo

    def __enter__(self) -> "ServidorDeModelo":
        return self.iniciar()

    def __exit__(self, *excecao) -> None:
        self.parar()

    def __repr__(self) -> str:
        situacao = "rodando" if self.rodando else "parado"
        return f"{type(self).__name__}({self.model_uri!r}, porta={self.porta}, {situacao})"
