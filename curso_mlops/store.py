"""Onde o MLflow guarda tudo: a resolução do tracking store do curso.

Regra única: `MLFLOW_TRACKING_URI` decide. Sem ela, o curso usa um banco SQLite embutido na
raiz do repositório (`mlflow.db`), seja qual for a pasta de trabalho do kernel, com os
artefatos ao lado (`mlartifacts/`). Os dois estão no .gitignore.

Nada acontece na importação: cada função só age quando é chamada.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

ARQUIVO_BANCO = "mlflow.db"
PASTA_ARTEFATOS = "mlartifacts"
VARIAVEL = "MLFLOW_TRACKING_URI"

# Loggers que escrevem no stderr, com data e hora, quando um banco novo é criado.
_LOGGERS_DE_CRIACAO = ("mlflow.store.db.utils", "alembic", "alembic.runtime.migration")


class ErroDeStore(RuntimeError):
    """O store do MLflow não pode ser usado como pedido."""


def raiz_do_repositorio() -> Path:
    """Pasta raiz do repositório do curso (onde estão data/, notebooks/ e o Makefile)."""
    return Path(__file__).resolve().parent.parent


def uri_padrao() -> str:
    """URI do SQLite embutido na raiz do repositório."""
    return "sqlite:///" + (raiz_do_repositorio() / ARQUIVO_BANCO).as_posix()


def tracking_uri(ambiente: dict[str, str] | None = None) -> str:
    """O tracking URI em vigor: `MLFLOW_TRACKING_URI` se definida, senão o SQLite da raiz."""
    ambiente = os.environ if ambiente is None else ambiente
    uri = ambiente.get(VARIAVEL, "").strip()
    if not uri:
        return uri_padrao()
    esquema = urlparse(uri).scheme
    if esquema in ("", "file") and not re.match(r"^[A-Za-z]:[\\/]", uri):
        raise ErroDeStore(
            f"{VARIAVEL}={uri!r} aponta para um store de arquivos (./mlruns), que o MLflow 3 "
            "não aceita mais. Use um banco (sqlite:///caminho/mlflow.db) ou um servidor "
            "(http://127.0.0.1:5000), ou apague a variável para usar o store do curso."
        )
    return uri


def caminho_do_banco(uri: str) -> Path | None:
    """Caminho do arquivo SQLite de um URI `sqlite:///...`, ou None para outros stores."""
    if not uri.startswith("sqlite:///"):
        return None
    # sqlite:////abs/x.db -> /abs/x.db; sqlite:///x.db -> x.db (relativo); sqlite:///C:/x.db -> C:/x.db
    caminho = unquote(uri[len("sqlite:///"):].split("?", 1)[0])
    if caminho in ("", ":memory:"):
        return None
    return Path(caminho)


def pasta_de_artefatos(uri: str | None = None) -> Path | None:
    """Pasta dos artefatos de um store SQLite: `mlartifacts/` ao lado do banco.

    Devolve None quando quem decide é o servidor (http://...) ou outro banco.
    """
    banco = caminho_do_banco(tracking_uri() if uri is None else uri)
    return None if banco is None else banco.absolute().parent / PASTA_ARTEFATOS


def _nome_de_pasta(nome: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "_", nome).strip("._") or "experimento"


@contextmanager
def _silenciar_criacao_do_banco():
    """Esconde os avisos INFO com data e hora que o MLflow imprime ao criar um banco novo."""
    anteriores = {}
    for nome in _LOGGERS_DE_CRIACAO:
        logger = logging.getLogger(nome)
        anteriores[nome] = logger.level
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for nome, nivel in anteriores.items():
            logging.getLogger(nome).setLevel(nivel)


_VARIAVEIS_DO_STORE = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def no_ambiente(ambiente: dict[str, str], uri: str) -> dict[str, str]:
    """Aponta tracking e registro de um processo filho para `uri` (o curso usa um store só).

    Só MLFLOW_TRACKING_URI não basta: um MLFLOW_REGISTRY_URI herdado mandaria o filho procurar
    `models:/...` no registro de outro store. Devolve o próprio `ambiente`, alterado.
    """
    ambiente["MLFLOW_TRACKING_URI"] = ambiente["MLFLOW_REGISTRY_URI"] = uri
    return ambiente


@contextmanager
def apontado(uri: str):
    """Aponta o MLflow deste processo (tracking e registro) para `uri`; no fim, tudo volta.

    `mlflow.set_tracking_uri`/`set_registry_uri` também gravam MLFLOW_TRACKING_URI e
    MLFLOW_REGISTRY_URI no `os.environ` (para os subprocessos herdarem). Sem devolver as duas
    variáveis e o registro do processo, o store desta chamada vazaria para as seguintes: um
    `register_model` depois iria para o registro de outro store.
    """
    import mlflow

    antes = {chave: os.environ.get(chave) for chave in _VARIAVEIS_DO_STORE}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(antes["MLFLOW_TRACKING_URI"])  # None apaga a variável
        mlflow.set_registry_uri(None)  # volta a seguir a variável (ou o tracking)
        for chave, valor in antes.items():
            if valor is None:
                os.environ.pop(chave, None)
            else:
                os.environ[chave] = valor


def garantir_experimento(nome: str, uri: str | None = None) -> str:
    """Cria o experimento `nome` se ele não existir e devolve o seu ID.

    Num store SQLite, os artefatos do experimento ficam em `mlartifacts/<nome>` ao lado do
    banco (sem isso o MLflow os gravaria em ./mlruns da pasta de trabalho do kernel).
    Num servidor, o servidor decide. Nunca apaga nem altera um experimento existente.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    if not nome or not nome.strip():
        raise ErroDeStore("O nome do experimento não pode ser vazio.")
    uri = tracking_uri() if uri is None else uri
    with _silenciar_criacao_do_banco():
        cliente = MlflowClient(tracking_uri=uri)
        experimento = cliente.get_experiment_by_name(nome)
        if experimento is None:
            artefatos = pasta_de_artefatos(uri)
            local = None if artefatos is None else (artefatos / _nome_de_pasta(nome)).as_uri()
            try:
                return cliente.create_experiment(nome, artifact_location=local)
            except MlflowException:
                # Outro processo pode ter criado o mesmo experimento neste instante.
                experimento = cliente.get_experiment_by_name(nome)
                if experimento is None:
                    raise
    if experimento.lifecycle_stage == "deleted":
        raise ErroDeStore(
            f"O experimento {nome!r} está na lixeira do MLflow. Restaure-o com "
            f"`mlflow experiments restore --experiment-id {experimento.experiment_id}` "
            "ou escolha outro nome."
        )
    return experimento.experiment_id


def descrever(uri: str | None = None, ambiente: dict[str, str] | None = None,
              com_origem: bool = True) -> str:
    """Descrição curta do store, sem caminhos da máquina (pode ir para as saídas).

    Com `com_origem`, diz também de onde veio a escolha (a variável ou o padrão do curso). Os
    notebooks usam `com_origem=False`: o SQLite do curso e o SQLite temporário da CI se
    descrevem igual, e a saída guardada é a que o aluno vê.
    """
    ambiente = os.environ if ambiente is None else ambiente
    uri = tracking_uri(ambiente) if uri is None else uri
    origem = (f"definido por {VARIAVEL}" if ambiente.get(VARIAVEL, "").strip()
              else "padrão do curso, na raiz do repositório")
    esquema = urlparse(uri).scheme
    if esquema == "sqlite":
        banco = caminho_do_banco(uri)
        nome = banco.name if banco else "em memória"
        origem_sqlite = f"; {origem}" if com_origem else ""
        return f"SQLite embutido ({nome}, artefatos em {PASTA_ARTEFATOS}/ ao lado{origem_sqlite})"
    if esquema in ("http", "https"):
        partes = urlparse(uri)  # sem usuário e senha, mesmo que estejam no URI
        porta = f":{partes.port}" if partes.port else ""
        return (f"servidor de tracking em {partes.scheme}://{partes.hostname}{porta}"
                + (f" ({origem})" if com_origem else ""))
    banco = esquema.split("+")[0] or "desconhecido"
    return f"banco {banco}" + (f" ({origem})" if com_origem else "")
