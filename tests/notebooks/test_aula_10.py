"""Aula 10: o treino empacotado como MLflow Project, rodado com `mlflow run`, a partir dos
dados que a aula 02 registrou e com o mesmo ajuste das aulas 03 e 08."""

import re

import pytest

pytestmark = pytest.mark.lento


@pytest.fixture(scope="module")
def runs_do_projeto(curso_executado):
    from mlflow.tracking import MlflowClient

    cliente = MlflowClient(curso_executado.uri)
    experimento = cliente.get_experiment_by_name("tempo-entrega")
    return cliente.search_runs([experimento.experiment_id],
                               "tags.`mlflow.source.type` = 'PROJECT'",
                               order_by=["attributes.start_time ASC"])


def test_mlflow_run_registra_commit_ponto_de_entrada_e_parametros(runs_do_projeto):
    boas = [r for r in runs_do_projeto if r.info.run_name == "projeto-ols-distancia-chuva"]
    assert len(boas) == 2, "uma run do projeto por execução do curso"
    for run in boas:
        assert run.info.status == "FINISHED"
        assert re.fullmatch(r"[0-9a-f]{40}", run.data.tags["mlflow.source.git.commit"])
        assert run.data.tags["mlflow.project.entryPoint"] == "treinar"
        assert run.data.params["formula"].strip("'") == "tempo_entrega ~ distancia + chuva"
        assert run.data.params["data_de_corte"] == "2025-08-01"
        assert run.data.params["preparacao"] == "ultima"
        preparacao = run.data.tags["preparacao_run_id"]
        assert preparacao and run.data.tags["etapa"] == "projeto"
        assert run.data.tags["entradas"] == "distancia,chuva"
        assert {"mae", "rmse", "r2", "pct_erro_ate_5min"} <= set(run.data.metrics)


def test_mesmo_treino_da_aula_03_da_as_mesmas_metricas(curso_executado, runs_do_projeto):
    from mlflow.tracking import MlflowClient

    cliente = MlflowClient(curso_executado.uri)
    experimento = cliente.get_experiment_by_name("tempo-entrega")
    aula_03 = cliente.search_runs([experimento.experiment_id],
                                  "tags.etapa = 'treino' and params.formula = 'tempo_entrega ~ distancia + chuva'")
    projeto = [r for r in runs_do_projeto if r.info.status == "FINISHED"][-1]
    assert aula_03 and projeto.data.metrics["mae"] == pytest.approx(aula_03[0].data.metrics["mae"], rel=1e-9)


def test_parametro_ruim_deixa_uma_run_falha_e_nada_apagado(runs_do_projeto):
    falhas = [r for r in runs_do_projeto if r.info.run_name == "projeto-formula-ruim"]
    assert len(falhas) == 2 and all(r.info.status == "FAILED" for r in falhas)


def test_o_piso_do_bench_roda_o_projeto_como_a_aula_10(curso_uma_vez, tmp_path):
    """`make bench` mede o `mlflow run` do piso como a aula 10 o roda: no store em que o curso
    rodou, no experimento do curso, com os dados que a aula 02 registrou (numa cópia do store)."""
    from mlflow.tracking import MlflowClient

    from scripts import bench
    from tests.conftest import copiar_store

    uri = copiar_store(curso_uma_vez.pasta, tmp_path / "store")
    segundos, medidas = bench.medir_mlflow_run(uri, 1)
    assert medidas == [segundos] and segundos > 0
    cliente = MlflowClient(uri)
    experimento = cliente.get_experiment_by_name("tempo-entrega")
    runs = cliente.search_runs([experimento.experiment_id], "attributes.run_name = 'bench-piso'")
    assert [r.info.status for r in runs] == ["FINISHED"]
    assert runs[0].data.tags["etapa"] == "projeto" and runs[0].data.tags["preparacao_run_id"]
