"""Fixtures da camada servir: um modelo mínimo registrado num store próprio (sem o curso)."""

import os
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient


@contextmanager
def _mlflow_no_store(uri):
    """Aponta o MLflow deste processo para `uri` e, no fim, devolve tudo como estava.

    `mlflow.set_tracking_uri` e `set_registry_uri` também gravam MLFLOW_TRACKING_URI e
    MLFLOW_REGISTRY_URI no os.environ (para os subprocessos herdarem): sem devolvê-los, o store
    de um teste vazaria para os seguintes.
    """
    import mlflow

    antes = {chave: os.environ.get(chave) for chave in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(antes["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(antes["MLFLOW_REGISTRY_URI"])
        for chave, valor in antes.items():
            if valor is None:
                os.environ.pop(chave, None)
            else:
                os.environ[chave] = valor


@pytest.fixture(scope="session")
def modelo_minimo(tmp_path_factory):
    """Um OLS mínimo registrado como `modelo-minimo@champion` num store novo (sem o curso)."""
    import mlflow
    import statsmodels.formula.api as smf

    from curso_mlops import ambiente, store

    pasta = tmp_path_factory.mktemp("store-minimo")
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    df = pd.DataFrame({"distancia": np.linspace(1, 20, 50)})
    df["tempo_entrega"] = 10 + 1.2 * df["distancia"]
    ajuste = smf.ols("tempo_entrega ~ distancia", data=df).fit()
    experimento = store.garantir_experimento("minimo", uri)
    cliente = MlflowClient(uri, registry_uri=uri)
    # Tudo dentro do contexto: registrar um modelo logado (models:/m-...) consulta o store global.
    with _mlflow_no_store(uri):
        with mlflow.start_run(experiment_id=experimento):
            info = mlflow.statsmodels.log_model(ajuste, name="model",
                                                pip_requirements=ambiente.requisitos_do_modelo())
        cliente.create_registered_model("modelo-minimo")
        versao = cliente.create_model_version("modelo-minimo", info.model_uri, model_id=info.model_id)
        cliente.set_registered_model_alias("modelo-minimo", "champion", versao.version)
    return uri
