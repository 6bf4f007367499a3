"""O curso inteiro duas vezes no mesmo store, como `make run` duas vezes, e o que as aulas 00 a 02
deixam no store (a execução compartilhada `curso_executado`)."""

import pytest

from curso_mlops import notebooks as nbs

pytestmark = pytest.mark.lento


def test_curso_roda_duas_vezes_no_mesmo_store(curso_executado):
    resultado = curso_executado.resultado
    assert resultado.returncode == 0, resultado.stderr[-3000:]
    tabela = resultado.stdout.split("notebook ", 1)[1]
    for caminho in nbs.listar():
        assert caminho.stem in tabela
    assert "total" in tabela
    for caminho in nbs.listar():
        executado = nbs.ler(curso_executado.executados / caminho.name)
        # Só a célula que a aula faz falhar de propósito (tag raises-exception) pode ter erro.
        erros = [s for c in executado["cells"] for s in c.get("outputs", [])
                 if s["output_type"] == "error"
                 and "raises-exception" not in c.get("metadata", {}).get("tags", [])]
        assert not erros


def test_store_guarda_o_que_as_aulas_00_a_02_registraram(curso_executado):
    from mlflow.tracking import MlflowClient

    cliente = MlflowClient(curso_executado.uri)
    experimento = cliente.get_experiment_by_name("tempo-entrega")
    assert experimento is not None
    assert float(experimento.tags["kpi.mae_max"]) == 5.0
    assert float(experimento.tags["kpi.pct_erro_ate_5min_min"]) == 75.0
    local = (curso_executado.pasta / "mlartifacts").as_uri()
    assert experimento.artifact_location.startswith(local)
    preparacoes = cliente.search_runs([experimento.experiment_id], "tags.etapa = 'preparacao'")
    assert len(preparacoes) == 2, "cada execução do curso cria a sua run de preparação, sem apagar"
    for run in preparacoes:
        artefatos = {a.path for a in cliente.list_artifacts(run.info.run_id, "dados")}
        assert artefatos == {"dados/treino.csv", "dados/teste.csv"}
        assert {i.dataset.name for i in run.inputs.dataset_inputs} == {"entregas-treino", "entregas-teste"}


def test_curso_nao_escreve_no_repositorio(curso_executado, raiz):
    """Nem artefatos em notebooks/mlruns (a pasta de trabalho do kernel), nem banco ali."""
    assert not (raiz / "notebooks" / "mlruns").exists()
    assert not (raiz / "notebooks" / "mlflow.db").exists()
