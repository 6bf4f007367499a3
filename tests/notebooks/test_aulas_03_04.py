"""O que as aulas 03 (treino) e 04 (avaliação) deixam no store.

Usa o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo): nada
aqui executa notebook. O contrato com a aula 05 está em `test_um_unico_candidato_...`; o
comportamento do modelo escolhido, em tests/modelo/test_candidato.py.
"""

import math

import pandas as pd
import pytest
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from curso_mlops import dados, modelagem
from curso_mlops import notebooks as nbs

pytestmark = pytest.mark.lento

EXPERIMENTO = "tempo-entrega"
NB03 = "03_treinar_e_rastrear_experimentos.ipynb"
NB04 = "04_avaliar_e_comparar_modelos.ipynb"
PARAMS_OBRIGATORIOS = {"formula", "alvo", "versao_dados", "data_de_corte", "n_treino", "n_teste"}
METRICAS_OBRIGATORIAS = {"rmse", "mae", "r2", "aic", "pct_erro_ate_5min"}
ARTEFATOS_OBRIGATORIOS = {"residuos.png", "resumo_do_modelo.txt", "coeficientes.csv"}
TAG_CANDIDATO = "candidato_producao"


CANDIDATOS = nbs.parametros(nbs.pasta_notebooks() / NB03)["CANDIDATOS"]
RUN_AUTOLOG = nbs.parametros(nbs.pasta_notebooks() / NB03)["RUN_AUTOLOG"]


@pytest.fixture(scope="module")
def cliente(curso_executado):
    return MlflowClient(curso_executado.uri)


@pytest.fixture(scope="module")
def experimento(cliente):
    experimento = cliente.get_experiment_by_name(EXPERIMENTO)
    assert experimento is not None, "o experimento da aula 00 não existe"
    return experimento


def _buscar(cliente, experimento, filtro, ordem=("attributes.start_time ASC",)):
    return list(cliente.search_runs([experimento.experiment_id], filtro, order_by=list(ordem),
                                    max_results=1000))


@pytest.fixture(scope="module")
def treinos(cliente, experimento):
    return _buscar(cliente, experimento, "tags.etapa = 'treino'")


@pytest.fixture(scope="module")
def candidato(cliente, experimento):
    marcadas = _buscar(cliente, experimento, f"tags.{TAG_CANDIDATO} = 'true'")
    assert len(marcadas) == 1, f"{len(marcadas)} runs com {TAG_CANDIDATO}='true'; deveria ser 1"
    return marcadas[0]


def test_cada_execucao_treinou_todos_os_candidatos(treinos):
    assert treinos, "nenhuma run com tags.etapa = 'treino'"
    por_execucao = {}
    for run in treinos:
        por_execucao.setdefault(run.data.tags.get("execucao"), []).append(run.info.run_name)
    assert None not in por_execucao, "run de treino sem a tag execucao"
    assert len(por_execucao) == 2, "o curso rodou duas vezes: duas execuções da aula 03"
    for nomes in por_execucao.values():
        assert sorted(nomes) == sorted(CANDIDATOS)
    assert all(run.info.status == "FINISHED" for run in treinos)


def test_cada_candidato_registrou_params_metricas_tags_e_dados(cliente, treinos):
    preparacoes = {}
    for run in treinos:
        nome, params, tags = run.info.run_name, run.data.params, run.data.tags
        assert PARAMS_OBRIGATORIOS <= set(params), f"{nome}: faltam {PARAMS_OBRIGATORIOS - set(params)}"
        assert params["formula"] == CANDIDATOS[nome]
        assert params["alvo"] == "tempo_entrega"
        assert int(params["n_treino"]) > int(params["n_teste"]) > 0

        entradas = modelagem.colunas_da_formula(params["formula"], [c.nome for c in dados.CONTRATO_ENTREGAS])
        assert tags["entradas"] == ",".join(entradas)
        assert tags["familia"] == ("so-distancia" if entradas == ["distancia"] else "com-covariaveis")

        # A run aponta para a preparação que lhe deu os dados, e herda dela a versão e o corte.
        prep_id = tags["preparacao_run_id"]
        if prep_id not in preparacoes:
            preparacoes[prep_id] = cliente.get_run(prep_id)
        prep = preparacoes[prep_id]
        assert prep.data.tags["etapa"] == "preparacao"
        assert params["versao_dados"] == prep.data.tags["versao_dados"]
        assert params["data_de_corte"] == prep.data.params["data_de_corte"]

        metricas = run.data.metrics
        assert METRICAS_OBRIGATORIAS <= set(metricas), f"{nome}: faltam {METRICAS_OBRIGATORIAS - set(metricas)}"
        assert all(math.isfinite(v) for v in metricas.values())
        assert 0 < metricas["mae"] <= metricas["rmse"]
        assert 0 <= metricas["pct_erro_ate_5min"] <= 100
        assert 0 < metricas["r2"] < 1

        contextos = {i.dataset.name: {t.key: t.value for t in i.tags}.get("mlflow.data.context")
                     for i in run.inputs.dataset_inputs}
        assert contextos.get("entregas-treino") == "treino", f"{nome}: sem o dataset de treino"
    assert len(preparacoes) == 2, "cada execução treina com a sua própria run de preparação"


def test_cada_candidato_tem_artefatos_e_um_modelo(cliente, experimento, treinos, tmp_path):
    for run in treinos:
        run_id, nome = run.info.run_id, run.info.run_name
        artefatos = {a.path for a in cliente.list_artifacts(run_id)}
        assert ARTEFATOS_OBRIGATORIOS <= artefatos, f"{nome}: faltam {ARTEFATOS_OBRIGATORIOS - artefatos}"

        destino = tmp_path / run_id
        destino.mkdir()
        png = cliente.download_artifacts(run_id, "residuos.png", str(destino))
        with open(png, "rb") as arquivo:
            assert arquivo.read(8) == b"\x89PNG\r\n\x1a\n"
        coeficientes = pd.read_csv(cliente.download_artifacts(run_id, "coeficientes.csv", str(destino)))
        assert list(coeficientes.columns[:2]) == ["termo", "coeficiente"]
        assert "Intercept" in set(coeficientes["termo"])
        with open(cliente.download_artifacts(run_id, "resumo_do_modelo.txt", str(destino)),
                  encoding="utf-8") as arquivo:
            assert "OLS Regression Results" in arquivo.read()

        modelos = cliente.search_logged_models([experimento.experiment_id],
                                               filter_string=f"source_run_id = '{run_id}'")
        assert [m.name for m in modelos] == ["model"], f"{nome}: deveria ter um modelo 'model'"


def test_autolog_registrou_sem_modelo_e_fora_dos_candidatos(cliente, experimento):
    runs = _buscar(cliente, experimento, f"attributes.run_name = '{RUN_AUTOLOG}'")
    assert len(runs) == 2
    for run in runs:
        assert run.data.tags["etapa"] == "autolog"
        assert "aic" in run.data.metrics and "formula" not in run.data.params
        assert "model_summary.txt" in {a.path for a in cliente.list_artifacts(run.info.run_id)}
        assert not run.outputs.model_outputs, "autolog com modelo infere o ambiente (lento)"


def test_um_unico_candidato_e_ele_e_da_execucao_mais_nova(cliente, experimento, treinos, candidato):
    """O contrato com a aula 05: tags.candidato_producao = 'true' acha uma run, e só uma."""
    execucao_mais_nova = treinos[-1].data.tags["execucao"]
    assert candidato.data.tags["execucao"] == execucao_mais_nova
    assert candidato.data.tags["etapa"] == "treino"
    assert candidato.data.tags["entradas"] == "distancia"
    # A regra da aula 04: só a distância, atende o KPI, menor MAE no teste.
    kpi_mae = float(experimento.tags["kpi.mae_max"])
    kpi_pct = float(experimento.tags["kpi.pct_erro_ate_5min_min"])
    da_execucao = [r for r in treinos if r.data.tags["execucao"] == execucao_mais_nova]
    elegiveis = [r for r in da_execucao if r.data.tags["entradas"] == "distancia"
                 and r.data.metrics["mae"] <= kpi_mae and r.data.metrics["pct_erro_ate_5min"] >= kpi_pct]
    assert candidato.info.run_id == min(elegiveis, key=lambda r: r.data.metrics["mae"]).info.run_id
    assert candidato.info.run_name == "ols-distancia"

    # A escolha da primeira execução perdeu a tag e aponta para a sucessora; nada foi apagado.
    substituidas = _buscar(cliente, experimento, "tags.candidato_substituido_por != ''")
    assert len(substituidas) == 1
    assert substituidas[0].data.tags["candidato_substituido_por"] == candidato.info.run_id
    assert substituidas[0].data.tags["execucao"] != execucao_mais_nova
    assert TAG_CANDIDATO not in substituidas[0].data.tags
    apagadas = cliente.search_runs([experimento.experiment_id], "", run_view_type=ViewType.DELETED_ONLY)
    assert not apagadas


def test_avaliacao_registrada_numa_run_propria(cliente, experimento, candidato):
    avaliacoes = _buscar(cliente, experimento, "tags.etapa = 'avaliacao'")
    assert len(avaliacoes) == 2
    mais_nova = avaliacoes[-1]
    assert mais_nova.info.run_name == f"avaliacao-{candidato.info.run_name}"
    assert mais_nova.data.tags["run_avaliada"] == candidato.info.run_id
    assert candidato.data.tags["avaliacao_run_id"] == mais_nova.info.run_id
    metricas = mais_nova.data.metrics
    assert metricas["mean_absolute_error"] == pytest.approx(candidato.data.metrics["mae"], rel=1e-9)
    assert metricas["example_count"] == int(candidato.data.params["n_teste"])
    assert [i.dataset.name for i in mais_nova.inputs.dataset_inputs] == ["entregas-teste"]
    assert "diagnostico_residuos.png" in {a.path for a in cliente.list_artifacts(mais_nova.info.run_id)}
