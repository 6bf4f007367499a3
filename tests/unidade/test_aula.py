"""curso_mlops.aula: saídas estáveis, os nomes do aluno e os pré-requisitos de cada aula."""

from __future__ import annotations

import os

import pytest

from curso_mlops import aula, nomes


@pytest.fixture(autouse=True)
def _ambiente_intacto():
    """`aula.preparar` grava as variáveis das saídas estáveis no os.environ (é o trabalho dela):
    depois de cada teste, o ambiente do processo volta a ser o de antes."""
    antes = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(antes)


def _experimento(cliente, kpi=True):
    return cliente.create_experiment(nomes.EXPERIMENTO, tags={"kpi.mae_max": "5"} if kpi else None)


def _run(cliente, experimento_id, **tags):
    run = cliente.create_run(experimento_id, tags=tags)
    cliente.set_terminated(run.info.run_id)
    return run


def test_preparar_fixa_as_saidas_estaveis_e_devolve_os_nomes(store_vazio, monkeypatch):
    for variavel in aula.SAIDAS_ESTAVEIS:
        monkeypatch.delenv(variavel, raising=False)
    n = aula.preparar("00", "ana")
    assert {v: os.environ[v] for v in aula.SAIDAS_ESTAVEIS} == aula.SAIDAS_ESTAVEIS
    assert (n.experimento, n.monitoramento, n.modelo) == (
        "tempo-entrega-ana", "tempo-entrega-monitoramento-ana", "tempo_entrega_ana")
    assert not store_vazio.exists(), "a aula 00 não tem pré-requisito e não abre o store"


def test_aluno_invalido_e_aula_desconhecida(store_vazio):
    with pytest.raises(nomes.ErroDeNome, match="joao-silva"):
        aula.preparar("00", "João Silva")
    with pytest.raises(ValueError, match="aula desconhecida"):
        aula.preparar("11")


def test_store_que_nao_existe_manda_rodar_a_00_sem_criar_o_arquivo(store_vazio):
    with pytest.raises(aula.FaltaUmaAulaAnterior) as erro:
        aula.preparar("05")
    assert erro.value.rodar == "00"
    assert "00_entender_o_negocio.ipynb" in str(erro.value)
    assert not store_vazio.exists()


@pytest.mark.parametrize("numero, montar, rodar", [
    ("02", lambda c: None, "00"),                                   # nem o experimento
    ("02", lambda c: _experimento(c, kpi=False), "00"),             # experimento sem o KPI
    ("03", _experimento, "02"),                                     # sem a run de preparação
    ("04", _experimento, "03"),                                     # sem treino
    ("05", _experimento, "04"),                                     # sem candidato
    ("06", _experimento, "05"),                                     # sem champion
    ("08", lambda c: _run(c, _experimento(c), etapa="preparacao"), "05"),
])
def test_cada_aula_diz_qual_notebook_falta(cliente, numero, montar, rodar):
    montar(cliente)
    with pytest.raises(aula.FaltaUmaAulaAnterior) as erro:
        aula.preparar(numero)
    assert erro.value.rodar == rodar
    assert erro.value.aula == numero
    assert aula.NOTEBOOKS[rodar] in str(erro.value)


def test_champion_que_nao_e_guardado_manda_rodar_a_05(cliente):
    _experimento(cliente)
    cliente.create_registered_model(nomes.MODELO)
    versao = cliente.create_model_version(nomes.MODELO, "file:///sem/arquivos", tags={"tipo": "base"})
    cliente.set_registered_model_alias(nomes.MODELO, "champion", versao.version)
    with pytest.raises(aula.FaltaUmaAulaAnterior, match="tipo = 'guardado'") as erro:
        aula.preparar("06")
    assert erro.value.rodar == "05"


def test_com_tudo_no_lugar_a_aula_08_passa_e_nada_e_gravado(cliente):
    experimento = _experimento(cliente)
    _run(cliente, experimento, etapa="preparacao")
    monitoramento = cliente.create_experiment(nomes.EXPERIMENTO_MONITORAMENTO)
    _run(cliente, monitoramento, etapa="monitoramento", decisao="retreinar")
    cliente.create_registered_model(nomes.MODELO)
    versao = cliente.create_model_version(nomes.MODELO, "file:///sem/arquivos", tags={"tipo": "guardado"})
    cliente.set_registered_model_alias(nomes.MODELO, "champion", versao.version)
    antes = [r.info.run_id for r in cliente.search_runs([experimento, monitoramento])]

    assert aula.preparar("08").modelo == nomes.MODELO
    assert [r.info.run_id for r in cliente.search_runs([experimento, monitoramento])] == antes
    assert len(cliente.search_model_versions(f"name = '{nomes.MODELO}'")) == 1


def test_a_mensagem_aparece_no_jupyter_sem_traceback():
    erro = aula.FaltaUmaAulaAnterior("07", "o champion", "05")
    linhas = erro._render_traceback_()
    assert linhas == [f"FaltaUmaAulaAnterior: {erro}"]
    assert "Traceback" not in linhas[0] and "05_registrar_e_versionar_modelos.ipynb" in linhas[0]
    parada = aula.PararAula("Portão de promoção: reprovado")
    assert parada._render_traceback_() == ["PararAula: Portão de promoção: reprovado"]


def test_toda_aula_do_curso_tem_os_seus_pre_requisitos():
    from curso_mlops import notebooks as nbs

    numeros = [p.name[:2] for p in nbs.listar()]
    assert numeros, "nenhum notebook encontrado"
    assert set(numeros) <= set(aula.PRE_REQUISITOS), "uma aula sem pré-requisitos declarados"
    for numero in numeros:
        assert aula.NOTEBOOKS[numero] == next(p.stem for p in nbs.listar() if p.name.startswith(numero))


@pytest.fixture
def sem_vazar_as_saidas_estaveis(monkeypatch):
    """`preparar` grava SAIDAS_ESTAVEIS no os.environ: no fim do teste, elas voltam como estavam
    (um kernel que um teste seguinte sobe pelo executor não pode herdá-las deste processo)."""
    for variavel in aula.SAIDAS_ESTAVEIS:
        monkeypatch.setitem(os.environ, variavel, "x")  # guarda o valor original, até a ausência
        monkeypatch.delitem(os.environ, variavel)


@pytest.mark.usefixtures("sem_vazar_as_saidas_estaveis")
def test_atual_lembra_a_ultima_aula_preparada(store_vazio, monkeypatch):
    monkeypatch.setattr(aula, "_ATUAL", None)
    monkeypatch.setenv("ALUNO", "bia")
    assert aula.atual().aluno == "bia", "sem preparar, vale a variável ALUNO"
    assert aula.atual().modelo == "tempo_entrega_bia"
    aula.preparar("00", "ana")
    assert aula.atual() == aula.Nomes("ana", **nomes.nomes_do_aluno("ana"))


@pytest.mark.usefixtures("sem_vazar_as_saidas_estaveis")
def test_atual_lembra_o_aluno_mesmo_quando_falta_uma_aula(store_vazio, monkeypatch):
    monkeypatch.setattr(aula, "_ATUAL", None)
    monkeypatch.delenv("ALUNO", raising=False)
    with pytest.raises(aula.FaltaUmaAulaAnterior):
        aula.preparar("05", "ana")
    assert aula.atual().aluno == "ana"


def test_atual_sem_aluno_e_com_aluno_invalido(monkeypatch):
    monkeypatch.setattr(aula, "_ATUAL", None)
    monkeypatch.delenv("ALUNO", raising=False)
    assert aula.atual().experimento == nomes.EXPERIMENTO
    monkeypatch.setenv("ALUNO", "Ana")
    with pytest.raises(nomes.ErroDeNome):
        aula.atual()
