"""A turma da sessão (tests/turma/turma_compartilhada.py) e as fixtures que a entregam.

A turma começa em segundo plano com o primeiro item do grupo `curso` (o 1º do nbval, se ele
roda), se algum teste escolhido a pede (pelas fixtures de `FIXTURES_DA_TURMA`): assim ela roda
junto com o nbval dos notebooks, e não depois dele; com o xdist, só no processo do grupo. Com
`--collect-only`, ou sem nenhum teste da turma escolhido (`-m "not turma"`, `-k`), nada sobe.
"""

from __future__ import annotations

import pytest

from tests import apoio
from tests import grupos_do_xdist as grupos
from tests.turma import turma_compartilhada as tc


def _orquestrador(config) -> tc.TurmaCompartilhada:
    if getattr(config, "_turma_compartilhada", None) is None:
        config._turma_compartilhada = tc.TurmaCompartilhada(config._tmp_path_factory.mktemp("turma-da-sessao"))
    return config._turma_compartilhada


def pytest_collection_finish(session):
    config = session.config
    if config.option.collectonly or getattr(config.option, "setuponly", False) \
            or getattr(config.option, "setupplan", False):
        return
    if any(tc.FIXTURES_DA_TURMA & set(getattr(item, "fixturenames", ())) for item in session.items):
        grupos.ao_comecar_o_curso(config, lambda: _orquestrador(config).iniciar())


def pytest_unconfigure(config):
    orquestrador = getattr(config, "_turma_compartilhada", None)
    if orquestrador is not None:
        orquestrador.fechar()


@pytest.fixture(scope="session")
def turma_da_sessao(request) -> tc.Turma:
    """A turma montada (o servidor, os alunos criados e os dois alunos já rodados).

    No fim da sessão, o servidor e o PostgreSQL param, e nenhum processo deles pode sobrar.
    """
    orquestrador = _orquestrador(request.config)
    try:
        turma = orquestrador.turma()
    except tc.PostgresAusente as erro:
        apoio.falta_programa(str(erro))
    yield turma
    problemas = orquestrador.fechar()
    request.config._turma_compartilhada = None
    assert not problemas, problemas


@pytest.fixture(scope="session")
def postgres(turma_da_sessao):
    return turma_da_sessao.postgres


@pytest.fixture(scope="session")
def servidor_da_turma(turma_da_sessao):
    return turma_da_sessao.servidor


@pytest.fixture(scope="session")
def turma_criada(turma_da_sessao):
    """Os alunos criados pelo instrutor (`scripts/criar_alunos.py`, permissões padrão)."""
    assert turma_da_sessao.criacao.returncode == 0, turma_da_sessao.criacao.stderr
    return {"csv": turma_da_sessao.csv, "ambiente": turma_da_sessao.ambiente_admin,
            "resultado": turma_da_sessao.criacao}


@pytest.fixture(scope="session")
def aula_da_turma(turma_criada, turma_da_sessao):
    """Os dois alunos, ao mesmo tempo, cada um com o seu usuário e o seu ALUNO."""
    for aluno, segundos in turma_da_sessao.segundos.items():
        print(f"\ntempo do curso na turma ({aluno}): {segundos:.1f} s")
    return turma_da_sessao.resultados
