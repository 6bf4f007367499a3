"""O treino empacotado do MLproject (scripts/treinar.py, aula 10): dos dados que a aula 02
registrou, com o ajuste das aulas 03 e 08, e com mensagens claras para parâmetros ruins."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest

from curso_mlops import dados, modelagem


@pytest.fixture(scope="module")
def treinar():
    from scripts import treinar

    return treinar


@pytest.fixture
def store_sem_banco(tmp_path, monkeypatch):
    """Um store SQLite que ainda não existe como o store do processo; no fim, o MLflow volta ao
    de antes."""
    from curso_mlops import store as st

    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    for variavel in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID", "ALUNO"):
        monkeypatch.delenv(variavel, raising=False)
    with st.apontado(uri):  # treinar.py e _run_de_preparacao usam o store do processo
        yield uri


@pytest.fixture
def store(store_sem_banco, tmp_path, tmp_path_factory):
    """O `store_sem_banco` já com as tabelas do MLflow, copiadas do banco vazio (tests/apoio.py):
    criá-las custa ~1,5 s por teste."""
    from tests import apoio

    assert apoio.copiar_banco_vazio(tmp_path_factory, tmp_path / "mlflow.db") == store_sem_banco
    return store_sem_banco


def _treino_e_teste():
    limpos, _ = dados.filtrar_validos(dados.carregar_entregas(estrito=False))
    corte = pd.Timestamp("2025-08-01")
    return limpos[limpos["data_hora"] < corte], limpos[limpos["data_hora"] >= corte]


def _run_de_preparacao(uri, tags=None):
    """Uma run como a da aula 02: dados/treino.csv e dados/teste.csv, a tag etapa=preparacao."""
    import mlflow

    from curso_mlops import nomes, store

    experimento = store.garantir_experimento(nomes.EXPERIMENTO, uri)
    treino, teste = _treino_e_teste()
    with mlflow.start_run(experiment_id=experimento) as run, tempfile.TemporaryDirectory() as pasta:
        mlflow.set_tags(tags or {"etapa": "preparacao"})
        mlflow.log_params({"versao_dados": "abc123", "data_de_corte": "2025-08-01"})
        for nome, tabela in (("treino", treino), ("teste", teste)):
            tabela.to_csv(Path(pasta) / f"{nome}.csv", index=False, date_format="%Y-%m-%d %H:%M")
        mlflow.log_artifacts(pasta, artifact_path="dados")
    return run.info.run_id


@pytest.mark.parametrize("formula, trecho", [
    ("tempo_entrega ~ distancia_km", "termo desconhecido.*'distancia_km'"),
    ("tempo_entrega ~ distancia + chuvas", "'chuvas' não é coluna"),
    ("distancia ~ chuva", "precisa ter a forma"),
])
def test_formula_ruim_sai_com_2_antes_de_abrir_o_store(treinar, store_sem_banco, tmp_path, capsys, formula,
                                                       trecho):
    assert treinar.main(["--formula", formula]) == 2
    erro = capsys.readouterr().err.strip()
    assert erro.startswith("erro: ") and len(erro.splitlines()) == 1
    assert pytest.importorskip("re").search(trecho, erro)
    assert not (tmp_path / "mlflow.db").exists(), "a fórmula ruim não pode nem abrir o store"


def test_sem_a_run_de_preparacao_manda_rodar_a_02(treinar, store, capsys):
    from curso_mlops import nomes
    from curso_mlops import store as st

    st.garantir_experimento(nomes.EXPERIMENTO, store)
    assert treinar.main([]) == 2
    assert "rode antes o notebook 02" in capsys.readouterr().err


def test_preparacao_pedida_que_nao_existe_ou_nao_e_de_preparacao(treinar, store, capsys):
    assert treinar.main(["--preparacao", "0" * 32]) == 2
    assert "não existe neste store" in capsys.readouterr().err
    outra = _run_de_preparacao(store, tags={"etapa": "treino"})
    assert treinar.main(["--preparacao", outra]) == 2
    assert "não é uma run de preparação" in capsys.readouterr().err


def test_treina_com_os_dados_registrados_e_o_ajuste_do_curso(treinar, store, capsys):
    from mlflow import MlflowClient

    preparacao = _run_de_preparacao(store)
    run_id = treinar.treinar("tempo_entrega ~ distancia + chuva", nome_da_run="projeto-teste")
    assert "run projeto-teste: tempo_entrega ~ distancia + chuva | mae=" in capsys.readouterr().out
    run = MlflowClient(store).get_run(run_id)
    assert run.data.tags["etapa"] == "projeto" and run.data.tags["preparacao_run_id"] == preparacao
    assert run.data.params["versao_dados"] == "abc123" and run.data.params["n_teste"] == "348"
    esperado = modelagem.ajustar("tempo_entrega ~ distancia + chuva", *_treino_e_teste()).metricas
    for nome, valor in esperado.items():
        assert run.data.metrics[nome] == pytest.approx(valor), nome
    artefatos = {a.path for a in MlflowClient(store).list_artifacts(run_id)}
    assert {"resumo_do_modelo.txt", "coeficientes.csv"} <= artefatos
