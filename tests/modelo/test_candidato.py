"""O comportamento do modelo que o curso escolhe (aulas 03 e 04), lido do store compartilhado.

A regressão só com a distância: cerca de 34 min a 20 km, uma distância maior nunca dá um tempo
menor, a assinatura só declara `distancia` e uma coluna renomeada é recusada com mensagem
clara. O modelo vem do store da 1ª execução do curso (`curso_uma_vez`, uma cópia intacta que ninguém
grava), sem treinar nada e sem esperar a 2ª execução.
"""

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from curso_mlops import dados

pytestmark = pytest.mark.lento

EXPERIMENTO = "tempo-entrega"
TAG_CANDIDATO = "candidato_producao"


@pytest.fixture(scope="module")
def cliente(curso_uma_vez):
    return MlflowClient(curso_uma_vez.uri)


@pytest.fixture(scope="module")
def candidato(cliente):
    experimento = cliente.get_experiment_by_name(EXPERIMENTO)
    marcadas = cliente.search_runs([experimento.experiment_id], f"tags.{TAG_CANDIDATO} = 'true'")
    assert len(marcadas) == 1, f"{len(marcadas)} runs com {TAG_CANDIDATO}='true'; deveria ser 1"
    return marcadas[0]


@pytest.fixture(scope="module")
def modelo_candidato(cliente, candidato):
    saidas = candidato.outputs.model_outputs
    assert len(saidas) == 1, "a run candidata deveria ter registrado exatamente um modelo"
    registrado = cliente.get_logged_model(saidas[0].model_id)
    # Carrega pelo local dos artefatos: não depende do tracking URI global do processo.
    return mlflow.pyfunc.load_model(registrado.artifact_location)


def test_assinatura_do_candidato_so_tem_distancia(modelo_candidato):
    assinatura = modelo_candidato.metadata.signature
    assert assinatura is not None
    assert assinatura.inputs.has_input_names()
    assert assinatura.inputs.input_names() == ["distancia"]
    assert [t.name for t in assinatura.inputs.input_types()] == ["double"]
    assert modelo_candidato.metadata.saved_input_example_info["type"] == "dataframe"


def test_modelo_candidato_preve_cerca_de_34_min_para_20_km(modelo_candidato):
    previsao = modelo_candidato.predict(pd.DataFrame({"distancia": [20.0]}))
    assert 32 <= float(np.asarray(previsao).ravel()[0]) <= 37


def test_distancia_maior_nunca_da_tempo_menor(cliente, candidato, modelo_candidato, tmp_path):
    prep_id = candidato.data.tags["preparacao_run_id"]
    treino = dados.ler_csv(cliente.download_artifacts(prep_id, "dados/treino.csv", str(tmp_path)))
    grade = np.linspace(treino["distancia"].min(), treino["distancia"].max(), 200)
    previsto = np.asarray(modelo_candidato.predict(pd.DataFrame({"distancia": grade}))).ravel()
    assert np.all(np.diff(previsto) >= 0), "uma distância maior deu um tempo menor"
    assert previsto[-1] > previsto[0]


def test_coluna_renomeada_e_recusada_com_mensagem_clara(modelo_candidato):
    with pytest.raises(MlflowException, match=r"missing inputs.*distancia"):
        modelo_candidato.predict(pd.DataFrame({"distancia_km": [20.0]}))
