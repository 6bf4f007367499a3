"""Fixtures da camada servir.

- Um modelo mínimo registrado num store próprio, sem o curso (os testes do `make serve` e do
  contrato do `mlflow models serve`).
- Os servidores de produção e o `mlflow models serve` puro, com o champion de
  `store_do_champion` (tests/servir/test_servidor_producao.py e test_make_carga.py).

O champion que os servidores servem vem de `store_do_champion`. Por padrão é o champion
guardado de `curso_mlops.demonstracao`, registrado num SQLite novo em segundos (o mesmo OLS e a
mesma faixa do curso: 34,3 min a 20 km). Com `CURSO_CHAMPION_DOS_TESTES=curso`, é o champion do
store da 1ª execução do curso (`curso_uma_vez`; lento, mas é o que `make serve` serve de
verdade). Vários valores separados por vírgula rodam os testes com cada um.

Cada servidor é um só por sessão (os testes o compartilham e não o derrubam).
"""

import os

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from curso_mlops import demonstracao
from curso_mlops.producao import ServidorDeProducao
from curso_mlops.servidor import ServidorDeModelo, resolver_modelo


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
    with store.apontado(uri):
        with mlflow.start_run(experiment_id=experimento):
            info = mlflow.statsmodels.log_model(ajuste, name="model",
                                                pip_requirements=ambiente.requisitos_do_modelo())
        cliente.create_registered_model("modelo-minimo")
        versao = cliente.create_model_version("modelo-minimo", info.model_uri, model_id=info.model_id)
        cliente.set_registered_model_alias("modelo-minimo", "champion", versao.version)
    return uri


ORIGENS_DO_CHAMPION = [o.strip() for o in os.environ.get("CURSO_CHAMPION_DOS_TESTES", "rapido").split(",") if o.strip()]
MODELO = "models:/tempo_entrega@champion"


@pytest.fixture(scope="session", params=ORIGENS_DO_CHAMPION)
def store_do_champion(request, tmp_path_factory):
    """O tracking URI de um store com `models:/tempo_entrega@champion` (um modelo guardado)."""
    if request.param == "curso":
        return request.getfixturevalue("curso_uma_vez").uri
    if request.param != "rapido":
        raise ValueError(f"CURSO_CHAMPION_DOS_TESTES={request.param!r}: use 'rapido' ou 'curso'.")
    pasta = tmp_path_factory.mktemp("store-producao")
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    demonstracao.registrar_champion(uri)
    return uri


@pytest.fixture(scope="session")
def modelo_champion(store_do_champion, tmp_path_factory):
    """O champion carregado neste processo (para o app no processo e para comparar previsões)."""
    from curso_mlops import producao

    fixa, _ = resolver_modelo(MODELO, store_do_champion)
    pasta = producao.baixar_modelo(fixa, tmp_path_factory.mktemp("champion"), store_do_champion)
    import mlflow

    return mlflow.pyfunc.load_model(pasta)


@pytest.fixture(scope="session")
def _servidores(store_do_champion, tmp_path_factory):
    """Os dois servidores, subindo ao mesmo tempo (metade da espera); parados no fim da sessão."""
    from concurrent.futures import ThreadPoolExecutor

    pasta = tmp_path_factory.mktemp("logs-servidores")
    servidores = {
        "producao": ServidorDeProducao(MODELO, tracking_uri=store_do_champion, arquivo_log=pasta / "producao.log"),
        "mlflow": ServidorDeModelo(MODELO, tracking_uri=store_do_champion, arquivo_log=pasta / "mlflow.log"),
    }
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            list(executor.map(lambda servidor: servidor.iniciar(), servidores.values()))
        yield servidores
    finally:
        for servidor in servidores.values():
            assert servidor.parar(), f"{servidor!r} não parou"


@pytest.fixture(scope="session")
def servidor_producao(_servidores):
    """O servidor de produção, 1 trabalhador, numa porta livre (o PID é o do processo que atende)."""
    return _servidores["producao"]


@pytest.fixture(scope="session")
def servidor_mlflow(_servidores):
    """O `mlflow models serve` puro, com o mesmo modelo: o que o MLflow faz sozinho."""
    return _servidores["mlflow"]
