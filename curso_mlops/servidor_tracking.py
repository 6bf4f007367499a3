"""Sobe e derruba o servidor de tracking da turma (`mlflow server`), só encanamento.

Usado por `make server`, `make server-auth` e `make server-stop` (via
`scripts/servidor_tracking.py`) e pelos testes. Por padrão:

    mlflow server --backend-store-uri sqlite:///<raiz>/servidor/mlflow.db \\
        --artifacts-destination <raiz>/servidor/artefatos --serve-artifacts \\
        --host 127.0.0.1 --port 5000 --workers 2

- **Banco.** Um SQLite próprio do servidor, `servidor/mlflow.db`, separado do store embutido
  dos notebooks (`mlflow.db` da raiz): o que a turma grava no servidor não se mistura com o
  que você roda sozinho. Com `backend_uri` (`make server BACKEND_URI=postgresql://...`), o
  banco é esse (PostgreSQL ou outro banco do SQLAlchemy).
- **Artefatos.** Sempre pelo servidor (`--serve-artifacts`): os clientes gravam e leem em
  `mlflow-artifacts:/...` e só o servidor toca no destino (`servidor/artefatos/` ou um
  `s3://...`). Os alunos não precisam de acesso ao disco nem de credenciais do bucket.
- **Rede.** Só 127.0.0.1 (ou localhost). Para a turma acessar de outras máquinas, ponha um
  proxy com HTTPS na frente (ver o README, "Além de uma máquina").
- **Processo.** Sem os "jobs" do servidor (`MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false`, tarefas
  de IA generativa que o curso não usa e que custariam 8 processos). Log num arquivo
  (`servidor/mlflow-server.log`) e, em segundo plano, um arquivo
  pid (`servidor/mlflow-server.pid`) para `make server-stop` parar exatamente aquele processo
  e os filhos dele (o grupo de processos).

Com senha (`auth=True`, `make server-auth`): `--app-name basic-auth`, o app de usuários e
permissões do MLflow; os segredos e o arquivo ini são de `curso_mlops.basic_auth`, e a regra das
senhas, de `curso_mlops.turma`. Iniciar, esperar e parar o processo é `curso_mlops.processos`.

O arquivo pid guarda a identidade do processo (`processos.identidade`: PID, hora de criação e
linha de comando): depois de a máquina reiniciar, um PID reaproveitado por outro programa tem
outra hora de criação, e `make server-stop` não mexe nele.

Todos os arquivos ficam em `servidor/`, que está no .gitignore.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from . import basic_auth, processos
from .processos import grupo_vivo, porta_em_uso, porta_livre  # noqa: F401 (usados pelos testes)
from .store import raiz_do_repositorio

HOST = "127.0.0.1"
HOSTS_LOCAIS = ("127.0.0.1", "localhost")
PORTA = 5000
TRABALHADORES = 2
PASTA = "servidor"
ARQUIVO_BANCO = "mlflow.db"
PASTA_ARTEFATOS = "artefatos"
ARQUIVO_LOG = "mlflow-server.log"
ARQUIVO_PID = "mlflow-server.pid"
PASTA_AUTH = "auth"
PERMISSAO_PADRAO = basic_auth.PERMISSAO_PADRAO
PERMISSOES_PADRAO_ACEITAS = basic_auth.PERMISSOES_PADRAO_ACEITAS
VARIAVEL_JOBS = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"
# O que precisa estar na linha de comando do processo do arquivo pid para ele ser o nosso.
MARCADOR = "mlflow"


class ErroDoServidorDeTracking(RuntimeError):
    """O servidor de tracking não pode ser iniciado, encontrado ou parado como pedido."""


# -- regras comuns -----------------------------------------------------------------------------
def validar_host(host: str) -> str:
    if host not in HOSTS_LOCAIS:
        raise ErroDoServidorDeTracking(
            f"O servidor do curso escuta só em 127.0.0.1 (pedido: {host!r}). Para a turma "
            "acessar de outras máquinas, ponha um proxy com HTTPS na frente dele (veja "
            "\"Além de uma máquina\" no README).")
    return host


def esconder_senha(uri: str) -> str:
    """O URI sem a senha (`postgresql://curso:***@host/db`), para logs e mensagens."""
    partes = urlparse(uri)
    if partes.password is None:
        return uri
    usuario = partes.username or ""
    host = partes.hostname or ""
    porta = f":{partes.port}" if partes.port else ""
    return urlunparse(partes._replace(netloc=f"{usuario}:***@{host}{porta}"))


def validar_backend(uri: str) -> str:
    """Confere que o URI é um banco que o `mlflow server` aceita (SQLAlchemy)."""
    uri = (uri or "").strip()
    esquema = urlparse(uri).scheme.split("+")[0]
    if esquema in ("sqlite", "postgresql", "mysql", "mssql"):
        return uri
    if esquema == "postgres":
        raise ErroDoServidorDeTracking(
            f"BACKEND_URI={esconder_senha(uri)!r}: o SQLAlchemy não aceita o esquema "
            "'postgres://'; escreva 'postgresql://usuario:senha@host:5432/banco'.")
    raise ErroDoServidorDeTracking(
        f"BACKEND_URI={esconder_senha(uri)!r} não é um banco: use sqlite:///caminho/mlflow.db ou "
        "postgresql://usuario:senha@host:5432/banco (o MLflow 3 não aceita a pasta ./mlruns).")


# -- a configuração e a linha de comando ---------------------------------------------------------
@dataclass
class Configuracao:
    """Onde e como o servidor roda. Os padrões são os de `make server`."""

    pasta: Path = field(default_factory=lambda: raiz_do_repositorio() / PASTA)
    host: str = HOST
    porta: int = PORTA
    backend_uri: str | None = None
    artefatos: str | None = None
    trabalhadores: int = TRABALHADORES
    auth: bool = False
    permissao_padrao: str = PERMISSAO_PADRAO

    def __post_init__(self):
        self.pasta = Path(self.pasta)
        validar_host(self.host)
        self.porta = int(self.porta)
        if not 0 < self.porta < 65536:
            raise ErroDoServidorDeTracking(f"Porta inválida: {self.porta}.")
        if int(self.trabalhadores) < 1:
            raise ErroDoServidorDeTracking("O servidor precisa de pelo menos 1 trabalhador.")
        if self.backend_uri is not None and not self.backend_uri.strip():
            self.backend_uri = None
        if self.backend_uri is not None:
            self.backend_uri = validar_backend(self.backend_uri)
        if self.artefatos is not None and not str(self.artefatos).strip():
            self.artefatos = None
        try:
            basic_auth.conferir_permissao_padrao(self.permissao_padrao)
        except basic_auth.ErroDeSenha as erro:
            raise ErroDoServidorDeTracking(str(erro)) from None

    @property
    def uri_backend(self) -> str:
        return self.backend_uri or "sqlite:///" + (self.pasta / ARQUIVO_BANCO).absolute().as_posix()

    @property
    def destino_artefatos(self) -> str:
        """O destino dos artefatos: um caminho local absoluto ou um URI (s3://...)."""
        if self.artefatos is None:
            return (self.pasta / PASTA_ARTEFATOS).absolute().as_posix()
        if re.match(r"^[a-z][a-z0-9+.-]*://", str(self.artefatos)):
            return str(self.artefatos)
        return Path(self.artefatos).absolute().as_posix()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.porta}"

    @property
    def arquivo_log(self) -> Path:
        return self.pasta / ARQUIVO_LOG

    @property
    def arquivo_pid(self) -> Path:
        return self.pasta / ARQUIVO_PID

    @property
    def arquivo_config_auth(self) -> Path:
        return self.pasta / PASTA_AUTH / basic_auth.ARQUIVO_CONFIG

    @property
    def uri_banco_auth(self) -> str:
        return "sqlite:///" + (self.pasta / PASTA_AUTH / basic_auth.ARQUIVO_BANCO).absolute().as_posix()

    def descrever(self) -> str:
        banco = esconder_senha(self.uri_backend)
        modo = " com senha (basic-auth)" if self.auth else ""
        return f"{self.url}{modo}; banco {banco}; artefatos em {self.destino_artefatos}"


def argumentos(config: Configuracao) -> list[str]:
    """Os argumentos de `mlflow server` (sem o executável)."""
    args = ["server",
            "--backend-store-uri", config.uri_backend,
            "--artifacts-destination", config.destino_artefatos,
            "--serve-artifacts",
            "--host", config.host,
            "--port", str(config.porta),
            "--workers", str(int(config.trabalhadores))]
    if config.auth:
        args += ["--app-name", "basic-auth"]
    return args


def comando(config: Configuracao) -> list[str]:
    """O comando que o curso executa: o `mlflow` do mesmo Python (o do .venv)."""
    return processos.comando_mlflow(*argumentos(config))


def comando_cli(config: Configuracao) -> str:
    """A mesma linha como o instrutor a digitaria no terminal (com o .venv ativo)."""
    return shlex.join(["mlflow", *argumentos(config)])


# -- o ambiente do processo ---------------------------------------------------------------------
def ambiente_do_servidor(config: Configuracao, base: dict[str, str] | None = None) -> dict[str, str]:
    """O ambiente do processo do servidor; com senha, confere os segredos e gera o ini."""
    ambiente = processos.ambiente_com_o_python_do_curso(base)  # o MLflow lança o uvicorn pelo PATH
    ambiente.setdefault("PYTHONUNBUFFERED", "1")
    # Os "jobs" do servidor (tarefas de IA generativa em segundo plano) sobem 8 processos a mais
    # e o curso não os usa; quem precisar deles exporta a variável com true.
    ambiente.setdefault(VARIAVEL_JOBS, "false")
    # O servidor não é cliente de ninguém: credenciais de cliente não têm o que fazer nele.
    for variavel in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_URI"):
        ambiente.pop(variavel, None)
    if not config.auth:
        ambiente.pop(basic_auth.VARIAVEL_CONFIG, None)
        return ambiente
    try:
        return basic_auth.ambiente_com_senha(ambiente, config.arquivo_config_auth,
                                             config.permissao_padrao, config.uri_banco_auth)
    except basic_auth.ErroDeSenha as erro:
        raise ErroDoServidorDeTracking(str(erro)) from None


def _saude_ok(url: str) -> bool:
    with urllib.request.urlopen(url + "/health", timeout=2) as resposta:
        return resposta.status == 200


def esperar_pronto(config: Configuracao, processo: subprocess.Popen, timeout: float) -> None:
    """Espera `GET /health` responder 200; erro claro se o processo morrer ou o prazo acabar."""
    try:
        processos.esperar(lambda: _saude_ok(config.url), processo, prazo=timeout, intervalo=0.25)
    except processos.ProcessoMorreu:
        raise ErroDoServidorDeTracking("O servidor terminou enquanto iniciava."
                                       + _cauda(config.arquivo_log)) from None
    except processos.PrazoEsgotado:
        raise ErroDoServidorDeTracking(f"O servidor não respondeu {config.url}/health em "
                                       f"{timeout:.0f} s." + _cauda(config.arquivo_log)) from None


def _cauda(log: Path | None, linhas: int = 25) -> str:
    if log is None or not Path(log).exists():
        return ""
    texto = Path(log).read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return f"\nFinal do log ({log}):\n" + "\n".join(texto[-linhas:])


def parar_grupo(pgid: int, prazo: float = 20.0, processo: subprocess.Popen | None = None) -> bool:
    """Para o grupo de processos do servidor (`processos.parar`); True se nada sobrou."""
    return processos.parar(pgid, prazo=prazo, processo=processo)


class ServidorDeTracking:
    """Um `mlflow server` filho deste processo, como gerenciador de contexto (testes).

        with ServidorDeTracking(Configuracao(pasta=tmp, porta=porta_livre())) as servidor:
            ...  # MLFLOW_TRACKING_URI=servidor.url
        # aqui o processo e os filhos dele já terminaram
    """

    def __init__(self, config: Configuracao, ambiente: dict[str, str] | None = None,
                 timeout: float = 120.0):
        self.config = config
        self.ambiente_base = ambiente
        self.timeout = float(timeout)
        self.processo: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.config.url

    @property
    def rodando(self) -> bool:
        return self.processo is not None and self.processo.poll() is None

    def iniciar(self) -> "ServidorDeTracking":
        self.processo = _lancar(self.config, self.ambiente_base)
        try:
            esperar_pronto(self.config, self.processo, self.timeout)
        except BaseException:
            self.parar()
            raise
        return self

    def parar(self) -> None:
        processo, self.processo = self.processo, None
        if processo is None:
            return
        parar_grupo(processo.pid, processo=processo)

    def __enter__(self) -> "ServidorDeTracking":
        return self.iniciar()

    def __exit__(self, *excecao) -> None:
        self.parar()


def _lancar(config: Configuracao, ambiente_base: dict[str, str] | None) -> subprocess.Popen:
    """Confere tudo o que dá para conferir antes e lança o processo num grupo próprio."""
    ambiente = ambiente_do_servidor(config, ambiente_base)  # com senha: confere os segredos
    if porta_em_uso(config.porta, config.host):
        mensagem = processos.mensagem_de_porta_ocupada(config.porta, "PORTA_SERVIDOR", "server",
                                                       config.host)
        raise ErroDoServidorDeTracking(mensagem[0].upper() + mensagem[1:])
    config.pasta.mkdir(parents=True, exist_ok=True)
    if config.artefatos is None:
        Path(config.destino_artefatos).mkdir(parents=True, exist_ok=True)
    with open(config.arquivo_log, "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {esconder_senha(comando_cli(config))}\n"
                  .encode())
    return processos.iniciar(comando(config), log=config.arquivo_log, env=ambiente,
                             cwd=config.pasta)


def _esconder_senhas(linha: str) -> str:
    """A linha de comando com a senha de cada URI trocada por *** (vai para o arquivo pid)."""
    return " ".join(esconder_senha(parte) if "://" in parte else parte for parte in linha.split(" "))


# -- em segundo plano, com arquivo pid (make server / make server-stop) ---------------------------
def ler_pid(config: Configuracao) -> dict | None:
    """O conteúdo do arquivo pid, ou None se ele não existe."""
    try:
        dados = json.loads(config.arquivo_pid.read_text(encoding="utf-8"))
        int(dados["pid"])
        return dados
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return {"pid": None, "invalido": True}


def _e_o_nosso(dados: dict) -> bool:
    """O pid do arquivo ainda é o servidor que o curso iniciou (e não outro processo)?

    Confere a hora de criação guardada (`processos.e_o_mesmo`): um PID reaproveitado depois de
    a máquina reiniciar é de outro processo, mesmo que ele também rode o MLflow.
    """
    return bool(dados.get("pid")) and processos.e_o_mesmo(dados, MARCADOR)


def iniciar_em_segundo_plano(config: Configuracao, ambiente: dict[str, str] | None = None,
                             timeout: float = 120.0) -> str:
    """Inicia o servidor desligado do terminal, grava o arquivo pid e devolve a mensagem."""
    dados = ler_pid(config)
    if dados is not None and _e_o_nosso(dados):
        raise ErroDoServidorDeTracking(
            f"O servidor já está rodando (pid {dados['pid']}, {dados.get('url', '?')}"
            f"{', com senha' if dados.get('auth') else ''}). Para reiniciá-lo: `make server-stop` "
            "e de novo `make server`.")
    aviso = ""
    if dados is not None:
        config.arquivo_pid.unlink(missing_ok=True)
        aviso = (f"aviso: o arquivo pid antigo ({config.arquivo_pid.name}, pid {dados.get('pid')}) "
                 "era de um servidor que já não roda; foi substituído.\n")
    processo = _lancar(config, ambiente)
    try:
        registro = {**processos.identidade(processo.pid, esconder=_esconder_senhas),
                    "url": config.url, "auth": config.auth,
                    "banco": esconder_senha(config.uri_backend),
                    "artefatos": config.destino_artefatos, "log": str(config.arquivo_log)}
        config.arquivo_pid.write_text(json.dumps(registro, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
        esperar_pronto(config, processo, timeout)
    except BaseException:
        parar_grupo(processo.pid, processo=processo)
        config.arquivo_pid.unlink(missing_ok=True)
        raise
    return (f"{aviso}Servidor de tracking no ar: {config.descrever()}\n"
            f"pid {processo.pid}; log em {config.arquivo_log}\n"
            f"Nos notebooks e no executor: export MLFLOW_TRACKING_URI={config.url}\n"
            "Para parar: make server-stop")


def parar_pelo_pid(config: Configuracao, prazo: float = 20.0) -> str:
    """Para exatamente o servidor do arquivo pid (o grupo de processos dele)."""
    dados = ler_pid(config)
    if dados is None:
        raise ErroDoServidorDeTracking(
            f"Nenhum servidor iniciado por `make server` nesta pasta: {config.arquivo_pid} não "
            "existe. Nada foi parado. (Um servidor aberto à mão se para com Ctrl+C no terminal "
            "dele.)")
    if dados.get("invalido"):
        config.arquivo_pid.unlink()
        raise ErroDoServidorDeTracking(
            f"O arquivo pid {config.arquivo_pid} estava ilegível e foi apagado; nada foi parado. "
            "Se ainda houver um servidor rodando, pare-o à mão.")
    pid = int(dados["pid"])
    if not _e_o_nosso(dados):
        config.arquivo_pid.unlink()
        raise ErroDoServidorDeTracking(
            f"O arquivo pid era velho: o processo {pid} já não é o servidor de tracking (ele "
            "terminou ou a máquina reiniciou). Nada foi parado; o arquivo pid foi apagado.")
    if not parar_grupo(pid, prazo):
        raise ErroDoServidorDeTracking(
            f"O servidor (grupo de processos {pid}) não terminou nem com SIGKILL; o arquivo pid "
            "foi mantido.")
    config.arquivo_pid.unlink(missing_ok=True)
    return f"Servidor de tracking parado (pid {pid}, {dados.get('url', '?')})."


def situacao(config: Configuracao) -> str:
    dados = ler_pid(config)
    if dados is None:
        return "Nenhum servidor iniciado por `make server` (não há arquivo pid)."
    if dados.get("invalido") or not _e_o_nosso(dados):
        return (f"O arquivo pid {config.arquivo_pid.name} é velho: o servidor não está rodando. "
                "`make server` o substitui.")
    return (f"Servidor rodando: pid {dados['pid']}, {dados['url']}"
            f"{' com senha' if dados.get('auth') else ''}; banco {dados.get('banco')}; "
            f"log em {dados.get('log')}")
