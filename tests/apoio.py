"""Apoio dos testes: programas do sistema (Chromium, PostgreSQL), notebooks de teste e o banco
vazio do MLflow.

Fora da CI, um programa que falta pula o teste, com a instrução de instalação. Na CI (`CI=1`,
que o .ci/run exporta) o mesmo teste FALHA: lá o .ci/run instala os programas, e um teste que
pula em silêncio deixaria de testar.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from curso_mlops import navegador

NA_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def falta_programa(mensagem: str) -> None:
    """Pula o teste (fora da CI) ou o faz falhar (na CI) porque falta um programa."""
    if NA_CI:
        pytest.fail(f"{mensagem} — na CI o .ci/run deveria tê-lo instalado.")
    pytest.skip(mensagem)


def chromium() -> str:
    """O executável do Chromium do sistema, ou `falta_programa`."""
    try:
        return navegador.verificar()
    except navegador.NavegadorAusente as erro:
        falta_programa(str(erro))
        raise  # falta_programa sempre levanta; isto só deixa claro para quem lê


def notebook_de_teste(pasta, nome: str, celulas: list[str]):
    """Um notebook `pasta/nome` com um título e as `celulas` de código; a 1ª tem a tag
    `parameters` (como as aulas). IDs fixos, para que duas gravações deem o mesmo arquivo."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {nome[:2]} · Testar o executor")]
    for i, codigo in enumerate(celulas):
        celula = nbformat.v4.new_code_cell(codigo)
        if i == 0:
            celula.metadata["tags"] = ["parameters"]
        nb.cells.append(celula)
    for i, celula in enumerate(nb.cells):
        celula.id = f"c{i}"
    caminho = pasta / nome
    nbformat.write(nb, caminho)
    return caminho


# Um por sessão do pytest (com o xdist, um por processo): a pasta-base da sessão -> o banco.
_BANCOS_VAZIOS: dict[Path, Path] = {}


def banco_vazio(tmp_path_factory) -> Path:
    """Um banco SQLite do MLflow vazio, já com as tabelas, criado uma vez por sessão.

    Criar um banco novo roda as migrações do MLflow (~1,5 s); copiar este leva milissegundos.
    Ninguém escreve nele: use `copiar_banco_vazio`. O teste que confere a criação de um banco
    do zero (tests/unidade/test_store.py) não usa a cópia.
    """
    base = tmp_path_factory.getbasetemp()
    if base not in _BANCOS_VAZIOS:
        from mlflow import MlflowClient

        banco = tmp_path_factory.mktemp("banco-vazio") / "mlflow.db"
        MlflowClient(f"sqlite:///{banco.as_posix()}").search_experiments()
        _BANCOS_VAZIOS[base] = banco
    return _BANCOS_VAZIOS[base]


def copiar_banco_vazio(tmp_path_factory, destino: Path) -> str:
    """Copia o `banco_vazio` para `destino` (um arquivo .db que ainda não existe) e devolve o URI."""
    destino = Path(destino)
    if destino.exists():
        raise FileExistsError(f"{destino} já existe: a cópia do banco vazio não sobrescreve nada")
    destino.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(banco_vazio(tmp_path_factory), destino)
    return f"sqlite:///{destino.as_posix()}"


# Cada sessão do pytest (e cada trabalhador do xdist, com o sufixo /gw0, /gw1...) marca o próprio
# ambiente com esta variável, e tudo o que ela sobe (kernels, executores, servidores, PostgreSQL)
# a herda: no fim, o que ainda a tiver é sobra da sessão (`parar_o_que_sobrou`).
MARCA_DA_SESSAO = "CURSO_SESSAO_DE_TESTES"


def marcar_a_sessao(config) -> str:
    """Marca o ambiente deste processo (antes de qualquer filho) e devolve a marca."""
    import uuid

    trabalhador = getattr(config, "workerinput", {}).get("workerid")
    herdada = os.environ.get(MARCA_DA_SESSAO)
    marca = f"{herdada}/{trabalhador}" if trabalhador and herdada else uuid.uuid4().hex
    os.environ[MARCA_DA_SESSAO] = marca
    return marca


def parar_o_que_sobrou(marca: str) -> list[int]:
    """Para os grupos de processos (fora o deste processo) que têm a `marca` da sessão, ou a de um
    trabalhador dela, e devolve os PIDs que os lideravam. Só POSIX (no Windows, não faz nada).

    Um Ctrl+C no meio de uma aula pode deixar um servidor para trás: o nbval para cada kernel à
    força (`shutdown_kernel(now=True)`), e um kernel morto assim não roda o `atexit` que pararia o
    `mlflow models serve` da aula 06; com o xdist, o execnet encerra o trabalhador 15 s depois do
    Ctrl+C, mesmo no meio da limpeza (a turma, o PostgreSQL). O processo principal varre, no fim,
    também o que os trabalhadores dele deixaram.
    """
    if not hasattr(os, "getpgid"):
        return []
    import psutil

    from curso_mlops import processos

    meu_grupo = os.getpgid(0)
    grupos = set()
    for processo in psutil.process_iter():
        try:
            if processo.pid == os.getpid():
                continue
            achada = processo.environ().get(MARCA_DA_SESSAO, "")
            if achada != marca and not achada.startswith(marca + "/"):
                continue
            grupo = os.getpgid(processo.pid)
        except (psutil.Error, OSError):
            continue
        if grupo != meu_grupo:
            grupos.add(grupo)
    for grupo in sorted(grupos):
        processos.parar(grupo, prazo=10.0)
    return sorted(grupos)
