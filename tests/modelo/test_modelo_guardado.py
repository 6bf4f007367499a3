"""O modelo guardado com dois sabores (curso_mlops.guarda.log_model) e o Dockerfile dele.

Monta, num store SQLite temporário, o mesmo que a aula 05 monta: o OLS só com a distância como
versão base e o ModeloGuardado logado com `guarda.log_model`. Confere o que a aula promete: o
pyfunc é o guarda (recusa -5 km), o statsmodels é o objeto nativo (a chamada da aula), e o
Dockerfile gerado no processo é o mesmo do comando `mlflow models generate-dockerfile`.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from curso_mlops import ambiente, dados, guarda, modelagem
from tests import apoio


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    """O champion num store só deste módulo; no fim, o MLflow do processo volta como estava."""
    import os

    from curso_mlops import store

    pasta = tmp_path_factory.mktemp("store-guardado")
    # Uma cópia do banco vazio (tests/apoio.py): as tabelas já prontas, sem as migrações (~1,5 s).
    uri = apoio.copiar_banco_vazio(tmp_path_factory, pasta / "mlflow.db")
    antes = {v: os.environ.get(v) for v in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")}
    with store.apontado(uri):
        yield _registrar_o_champion(uri, pasta)
    for variavel, valor in antes.items():
        if valor is None:
            os.environ.pop(variavel, None)
        else:
            os.environ[variavel] = valor


def _registrar_o_champion(uri, pasta):
    import mlflow
    from mlflow import MlflowClient

    from curso_mlops import store

    cliente = MlflowClient(uri, registry_uri=uri)
    # Os artefatos em mlartifacts/ ao lado do banco, na pasta temporária (nunca ./mlruns).
    mlflow.set_experiment(experiment_id=store.garantir_experimento("teste-guardado", uri))
    limpos, _ = dados.filtrar_validos(dados.carregar_entregas(estrito=False))
    ajuste = modelagem.ajustar("tempo_entrega ~ distancia", limpos, limpos)
    with mlflow.start_run():
        logado = mlflow.statsmodels.log_model(ajuste.resultado, name="model",
                                              signature=ajuste.assinatura(),
                                              pip_requirements=ambiente.requisitos_do_modelo())
    cliente.create_registered_model("tempo_entrega")
    base = cliente.create_model_version("tempo_entrega", logado.model_uri, model_id=logado.model_id)
    guardado = guarda.ModeloGuardado([guarda.entrada_do_treino(
        "distancia", ajuste.tabela_treino["distancia"], piso=0, piso_exclusivo=True, teto=50)])
    with mlflow.start_run(), pytest.MonkeyPatch.context() as mp:
        mp.chdir(pasta)
        info = guarda.log_model(
            name="model", python_model=guardado,
            artifacts={guarda.ARTEFATO_BASE: f"models:/tempo_entrega/{base.version}"},
            code_paths=[guarda.codigo_para_o_modelo(pasta / "codigo")],
            signature=guardado.assinatura(), input_example=pd.DataFrame({"distancia": [20.0]}),
            pip_requirements=ambiente.requisitos_do_modelo())
    versao = cliente.create_model_version("tempo_entrega", info.model_uri, model_id=info.model_id)
    cliente.set_registered_model_alias("tempo_entrega", "champion", versao.version)
    return {"uri": uri, "modelo": "models:/tempo_entrega@champion", "pasta": pasta}


def test_o_champion_guardado_tem_os_dois_sabores(champion):
    import mlflow

    sabores = mlflow.models.get_model_info(champion["modelo"]).flavors
    assert set(sabores) == {"python_function", "statsmodels"}
    assert sabores["python_function"]["loader_module"] == "mlflow.pyfunc.model"
    assert sabores["statsmodels"]["data"].startswith("artifacts/")


def test_a_chamada_da_aula_devolve_o_objeto_nativo_e_o_pyfunc_e_o_guarda(champion):
    import mlflow
    from mlflow.exceptions import MlflowException

    nativo = mlflow.statsmodels.load_model(champion["modelo"])
    assert type(nativo).__name__ == "RegressionResultsWrapper"
    pyfunc = mlflow.pyfunc.load_model(champion["modelo"])
    pedido = pd.DataFrame({"distancia": [20.0]})
    assert pyfunc.predict(pedido).iloc[0] == pytest.approx(nativo.predict(pedido).iloc[0])
    assert 32 <= pyfunc.predict(pedido).iloc[0] <= 37
    with pytest.raises(MlflowException, match="fora da faixa"):
        pyfunc.predict(pd.DataFrame({"distancia": [-5.0]}))
    assert nativo.predict(pd.DataFrame({"distancia": [-5.0]})).iloc[0] < 10  # o nativo não tem guarda


def test_save_model_recusa_o_que_nao_e_um_modelo_guardado(tmp_path):
    with pytest.raises(ValueError, match="ModeloGuardado"):
        guarda.save_model(tmp_path / "a", python_model=object(), artifacts={guarda.ARTEFATO_BASE: "x"})
    modelo = guarda.ModeloGuardado([guarda.Entrada("distancia", 0, 1)])
    with pytest.raises(ValueError, match="modelo_base"):
        guarda.save_model(tmp_path / "b", python_model=modelo, artifacts={})


@pytest.mark.lento
def test_o_dockerfile_do_processo_e_o_do_comando(champion, tmp_path):
    import os

    from curso_mlops import docker

    no_processo = docker.gerar_dockerfile(champion["modelo"], tmp_path / "processo").read_text()
    comando = subprocess.run(
        [sys.executable, "-m", "mlflow", "models", "generate-dockerfile", "-m", champion["modelo"],
         "-d", str(tmp_path / "cli"), "--env-manager", "local"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "MLFLOW_TRACKING_URI": champion["uri"]})
    assert comando.returncode == 0, comando.stderr[-2000:]
    assert no_processo == (tmp_path / "cli" / "Dockerfile").read_text()
    arquivos = {p.relative_to(tmp_path / "processo").as_posix() for p in (tmp_path / "processo").rglob("*")}
    assert {"model_dir/MLmodel", "model_dir/python_model.pkl",
            "model_dir/code/curso_mlops/guarda.py"} <= arquivos
