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
  de IA generativa que o curso não usa e que custariam 8 processos). Log num arquivo (`servidor/mlflow-server.log`) e, em segundo plano, um arquivo
  pid (`servidor/mlflow-server.pid`) para `make server-stop` parar exatamente aquele processo
  e os filhos dele (o grupo de processos).

Com senha (`auth=True`, `make server-auth`): `--app-name basic-auth`, o app de usuários e
permissões do MLflow. Ele lê um arquivo ini apontado por `MLFLOW_AUTH_CONFIG_PATH`; o curso o
gera em `servidor/auth/basic_auth.ini` (ver `escrever_config_auth`). O segredo do Flask
(`MLFLOW_FLASK_SERVER_SECRET_KEY`) e a senha do administrador (`MLFLOW_AUTH_ADMIN_PASSWORD`)
vêm do ambiente, nunca de um arquivo do repositório: não há senha padrão, e sem elas o
servidor não sobe. A senha não é gravada no ini: o MLflow a lê da variável.

Todos os arquivos ficam em `servidor/`, que está no .gitignore.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

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
ARQUIVO_CONFIG_AUTH = "basic_auth.ini"
ARQUIVO_BANCO_AUTH = "basic_auth.db"

# O app de senha do MLflow. READ: cada aluno vê os experimentos e modelos dos colegas (na UI
# e pela API), mas só grava nos seus, onde o script do instrutor dá EDIT. Use NO_PERMISSIONS
# para que ninguém veja o que não é seu.
PERMISSAO_PADRAO = "READ"
PERMISSOES_PADRAO_ACEITAS = ("READ", "NO_PERMISSIONS")
USUARIO_ADMIN = "admin"
CACHE_DE_SENHAS_SEGUNDOS = 60

VARIAVEL_SEGREDO = "MLFLOW_FLASK_SERVER_SECRET_KEY"
VARIAVEL_SENHA_ADMIN = "MLFLOW_AUTH_ADMIN_PASSWORD"
VARIAVEL_USUARIO_ADMIN = "MLFLOW_AUTH_ADMIN_USERNAME"
VARIAVEL_CONFIG_AUTH = "MLFLOW_AUTH_CONFIG_PATH"
VARIAVEL_JOBS = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"

SENHA_MINIMA = 12  # o MLflow 3.17 recusa senhas menores


class ErroDoServidorDeTracking(RuntimeError):
    """O servidor de tracking não pode ser iniciado, encontrado ou parado como pedido."""


# -- regras comuns -----------------------------------------------------------------------------
def problema_da_senha(senha: str | None, usuario: str = "") -> str | None:
    """Por que a senha é fraca (em português), ou None se ela serve.

    A regra do curso: pelo menos 12 caracteres (o mínimo do MLflow), não conter o nome do
    usuário, ter pelo menos 6 caracteres diferentes, nenhuma sequência de teclado ou de
    alfabeto com 6 caracteres (123456, abcdef, qwerty) nem as palavras senha, password, mlflow.
    """
    if senha is None or not senha.strip():
        return "a senha está vazia"
    if senha != senha.strip():
        return "a senha começa ou termina com espaço (provável erro de cópia)"
    if len(senha) < SENHA_MINIMA:
        return f"a senha tem {len(senha)} caracteres; o mínimo é {SENHA_MINIMA}"
    if usuario and usuario.lower() in senha.lower():
        return "a senha contém o nome do usuário"
    if len(set(senha)) < 6:
        return "a senha repete poucos caracteres (precisa de pelo menos 6 diferentes)"
    minuscula = senha.lower()
    for sequencia in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl"):
        for i in range(len(sequencia) - 5):
            if sequencia[i:i + 6] in minuscula:
                return f"a senha contém uma sequência óbvia ({sequencia[i:i + 6]!r})"
    for palavra in ("senha", "password", "mlflow"):
        if palavra in minuscula:
            return f"a senha contém a palavra óbvia {palavra!r}"
    return None


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
        if self.permissao_padrao not in PERMISSOES_PADRAO_ACEITAS:
            raise ErroDoServidorDeTracking(
                f"Permissão padrão {self.permissao_padrao!r} inválida: use "
                f"{' ou '.join(PERMISSOES_PADRAO_ACEITAS)}.")

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
        return self.pasta / PASTA_AUTH / ARQUIVO_CONFIG_AUTH

    @property
    def uri_banco_auth(self) -> str:
        return "sqlite:///" + (self.pasta / PASTA_AUTH / ARQUIVO_BANCO_AUTH).absolute().as_posix()

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
    return [sys.executable, "-m", "mlflow", *argumentos(config)]


def comando_cli(config: Configuracao) -> str:
    """A mesma linha como o instrutor a digitaria no terminal (com o .venv ativo)."""
    return shlex.join(["mlflow", *argumentos(config)])


# -- o app de senha ------------------------------------------------------------------------------
def conferir_segredos_auth(ambiente: dict[str, str] | None = None) -> tuple[str, str]:
    """(usuário, senha) do administrador; levanta o erro se faltar segredo ou senha.

    Nunca há senha padrão: sem `MLFLOW_AUTH_ADMIN_PASSWORD` e `MLFLOW_FLASK_SERVER_SECRET_KEY`
    no ambiente, o servidor com senha não sobe.
    """
    ambiente = os.environ if ambiente is None else ambiente
    faltando = []
    segredo = ambiente.get(VARIAVEL_SEGREDO, "")
    if not segredo.strip():
        faltando.append(f"  export {VARIAVEL_SEGREDO}=$(python -c 'import secrets; "
                        "print(secrets.token_hex(32))')")
    senha = ambiente.get(VARIAVEL_SENHA_ADMIN, "")
    if not senha:
        faltando.append(f"  export {VARIAVEL_SENHA_ADMIN}='<uma senha forte, só sua>'")
    if faltando:
        raise ErroDoServidorDeTracking(
            "O servidor com senha (make server-auth) não sobe sem estas variáveis de ambiente; "
            "o curso não tem senha padrão:\n" + "\n".join(faltando) +
            "\nO segredo protege as sessões e os formulários da UI; a senha é a do usuário "
            "administrador, criado na primeira vez que o servidor sobe.")
    usuario = ambiente.get(VARIAVEL_USUARIO_ADMIN, "").strip() or USUARIO_ADMIN
    problema = problema_da_senha(senha, usuario)
    if problema:
        raise ErroDoServidorDeTracking(
            f"{VARIAVEL_SENHA_ADMIN} não serve: {problema}. Escolha uma senha forte para o "
            "administrador.")
    if len(segredo.strip()) < 16:
        raise ErroDoServidorDeTracking(
            f"{VARIAVEL_SEGREDO} é curto demais ({len(segredo.strip())} caracteres; use pelo "
            "menos 16, por exemplo a saída de `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`).")
    return usuario, senha


def texto_config_auth(config: Configuracao, usuario_admin: str = USUARIO_ADMIN) -> str:
    """O ini do basic-auth. A senha do administrador NÃO entra: vem de MLFLOW_AUTH_ADMIN_PASSWORD."""
    return (
        "# Gerado por curso_mlops.servidor_tracking (make server-auth); não edite à mão.\n"
        "# Lido pelo app basic-auth do MLflow por meio de MLFLOW_AUTH_CONFIG_PATH.\n"
        "# A senha do administrador não fica aqui: o MLflow a lê de MLFLOW_AUTH_ADMIN_PASSWORD\n"
        "# (só na primeira vez, quando cria o usuário; depois, troque-a pela API).\n"
        "[mlflow]\n"
        f"default_permission = {config.permissao_padrao}\n"
        f"database_uri = {config.uri_banco_auth}\n"
        f"admin_username = {usuario_admin}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "# Guarda por 60 s, em cada processo do servidor, cada senha já conferida: sem isso o\n"
        "# servidor refaz o hash lento da senha a cada pedido e o curso fica ~3x mais lento.\n"
        "# Custo: uma senha trocada ou um usuário apagado pode valer por até 60 s a mais.\n"
        f"auth_cache_ttl_seconds = {CACHE_DE_SENHAS_SEGUNDOS}\n"
    )


def escrever_config_auth(config: Configuracao, usuario_admin: str = USUARIO_ADMIN) -> Path:
    """Grava o ini em <pasta>/auth/basic_auth.ini (só o dono lê) e devolve o caminho."""
    arquivo = config.arquivo_config_auth
    arquivo.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(arquivo.parent, 0o700)
    arquivo.write_text(texto_config_auth(config, usuario_admin), encoding="utf-8")
    os.chmod(arquivo, 0o600)
    return arquivo


def ambiente_do_servidor(config: Configuracao, base: dict[str, str] | None = None) -> dict[str, str]:
    """O ambiente do processo do servidor; com senha, confere os segredos e gera o ini."""
    ambiente = dict(os.environ if base is None else base)
    pasta_bin = str(Path(sys.executable).parent)  # o MLflow executa o uvicorn pelo PATH
    ambiente["PATH"] = pasta_bin + os.pathsep + ambiente.get("PATH", "")
    ambiente.setdefault("PYTHONUNBUFFERED", "1")
    # Os "jobs" do servidor (tarefas de IA generativa em segundo plano) sobem 8 processos a mais
    # e o curso não os usa; quem precisar deles exporta a variável com true.
    ambiente.setdefault(VARIAVEL_JOBS, "false")
    # O servidor não é cliente de ninguém: credenciais de cliente não têm o que fazer nele.
    for variavel in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_URI"):
        ambiente.pop(variavel, None)
    if config.auth:
        usuario, _ = conferir_segredos_auth(ambiente)
        ambiente[VARIAVEL_CONFIG_AUTH] = str(escrever_config_auth(config, usuario))
        ambiente[VARIAVEL_USUARIO_ADMIN] = usuario
    else:
        ambiente.pop(VARIAVEL_CONFIG_AUTH, None)
    return ambiente


# -- portas e processos --------------------------------------------------------------------------
def porta_em_uso(porta: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if os.name == "posix":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host if host != "localhost" else HOST, porta))
        except OSError:
            return True
    return False


def porta_livre(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _estado_linux(pid: int) -> str | None:
    """Estado do processo em /proc ('R', 'S', 'Z'...), '' fora do Linux, None se não existe."""
    try:
        texto = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    return texto.rsplit(")", 1)[1].split()[0]


def processo_vivo(pid: int) -> bool:
    """True se o processo existe e não é um zumbi."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if sys.platform.startswith("linux"):
        return _estado_linux(pid) not in (None, "Z", "X")
    return True


def grupo_vivo(pgid: int) -> bool:
    """True se algum processo (não zumbi) do grupo `pgid` existe."""
    if os.name != "posix":
        return processo_vivo(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not sys.platform.startswith("linux"):
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            campos = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(campos[2]) == pgid and campos[0] not in ("Z", "X"):
            return True
    return False


def _linha_de_comando(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def parar_grupo(pgid: int, prazo: float = 20.0) -> None:
    """SIGTERM ao grupo, espera; SIGKILL se ainda houver alguém depois do prazo."""
    for sinal, espera in ((signal.SIGTERM, prazo), (signal.SIGKILL, 10.0)):
        try:
            if os.name == "posix":
                os.killpg(pgid, sinal)
            else:
                os.kill(pgid, sinal)
        except (ProcessLookupError, PermissionError):
            return
        limite = time.monotonic() + espera
        while time.monotonic() < limite:
            if not grupo_vivo(pgid):
                return
            time.sleep(0.1)


def esperar_pronto(url: str, processo_vivo_agora, timeout: float, log: Path | None = None) -> None:
    """Espera `GET /health` responder 200; erro claro se o processo morrer ou o prazo acabar."""
    limite = time.monotonic() + timeout
    while True:
        if not processo_vivo_agora():
            raise ErroDoServidorDeTracking(
                "O servidor terminou enquanto iniciava." + _cauda(log))
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resposta:
                if resposta.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
            pass
        if time.monotonic() > limite:
            raise ErroDoServidorDeTracking(
                f"O servidor não respondeu {url}/health em {timeout:.0f} s." + _cauda(log))
        time.sleep(0.25)


def _cauda(log: Path | None, linhas: int = 25) -> str:
    if log is None or not Path(log).exists():
        return ""
    texto = Path(log).read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return f"\nFinal do log ({log}):\n" + "\n".join(texto[-linhas:])


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
            esperar_pronto(self.url, lambda: self.processo.poll() is None, self.timeout,
                           self.config.arquivo_log)
        except BaseException:
            self.parar()
            raise
        return self

    def parar(self) -> None:
        processo, self.processo = self.processo, None
        if processo is None:
            return
        parar_grupo(processo.pid)
        try:
            processo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self) -> "ServidorDeTracking":
        return self.iniciar()

    def __exit__(self, *excecao) -> None:
        self.parar()


def _lancar(config: Configuracao, ambiente_base: dict[str, str] | None) -> subprocess.Popen:
    """Confere tudo o que dá para conferir antes e lança o processo num grupo próprio."""
    ambiente = ambiente_do_servidor(config, ambiente_base)  # com senha: confere os segredos
    if porta_em_uso(config.porta, config.host):
        raise ErroDoServidorDeTracking(
            f"A porta {config.porta} já está em uso em {config.host} (outro servidor? a "
            "`make ui`?). Pare-o ou escolha outra porta, por exemplo "
            f"`make server PORTA_SERVIDOR={config.porta + 1}`.")
    config.pasta.mkdir(parents=True, exist_ok=True)
    if config.artefatos is None:
        Path(config.destino_artefatos).mkdir(parents=True, exist_ok=True)
    opcoes = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    with open(config.arquivo_log, "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {esconder_senha(comando_cli(config))}\n"
                  .encode())
        log.flush()
        return subprocess.Popen(comando(config), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=ambiente, cwd=config.pasta, **opcoes)


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
    """O pid do arquivo ainda é o servidor que o curso iniciou (e não outro processo)?"""
    pid = dados.get("pid")
    if not pid or not processo_vivo(int(pid)):
        return False
    linha = _linha_de_comando(int(pid))
    return linha is None or "mlflow" in linha


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
    registro = {"pid": processo.pid, "url": config.url, "auth": config.auth,
                "banco": esconder_senha(config.uri_backend), "artefatos": config.destino_artefatos,
                "log": str(config.arquivo_log), "comando": esconder_senha(comando_cli(config))}
    config.arquivo_pid.write_text(json.dumps(registro, indent=1, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    try:
        esperar_pronto(config.url, lambda: processo.poll() is None, timeout, config.arquivo_log)
    except BaseException:
        parar_grupo(processo.pid)
        processo.poll()
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
    parar_grupo(pid, prazo)
    if grupo_vivo(pid):
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
