"""O que as aulas 05 (registro, guarda e champion) e 06 (servir) deixam no Model Registry.

Usa o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo): nada aqui
executa notebook nem sobe servidor. O contrato da API está em tests/servir/test_contrato.py.
"""

import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.lento

MODELO = "tempo_entrega"


def _versoes(cliente, origem, tipo):
    versoes = cliente.search_model_versions(
        f"name = '{MODELO}' and tags.origem = '{origem}' and tags.tipo = '{tipo}'")
    return sorted(versoes, key=lambda v: int(v.version))


def _local(cliente, versao):
    """A pasta com os arquivos de uma versão: ler dali não depende do store global do MLflow."""
    from urllib.parse import unquote, urlparse

    uri = cliente.get_model_version_download_uri(MODELO, str(versao))
    assert uri.startswith("file:"), uri
    return unquote(urlparse(uri).path)


@pytest.fixture(scope="module")
def cliente(curso_executado):
    return MlflowClient(curso_executado.uri, registry_uri=curso_executado.uri)


def test_aula_05_registra_uma_versao_base_por_execucao(cliente):
    bases = _versoes(cliente, "candidato", "base")
    assert len(bases) == 2, "cada execução do curso registra o seu candidato"
    for versao in bases:
        assert versao.tags["formula"] == "tempo_entrega ~ distancia"
        assert re.fullmatch(r"[0-9a-f]{12}", versao.tags["versao_dados"])
        assert 0 < float(versao.tags["mae_teste"]) <= 5
        assert versao.tags["autor"] and versao.tags["curso"]
        assert versao.description and versao.tags["versao_dados"] in versao.description
        assert versao.source.startswith("models:/m-")
        assert cliente.get_run(versao.run_id).data.tags["etapa"] == "treino"
    # a mais nova vem do candidato atual da aula 04
    atual = cliente.get_run(bases[-1].run_id).data.tags
    assert atual.get("candidato_producao") == "true"
    registrado = cliente.get_registered_model(MODELO)
    assert registrado.description and registrado.tags["alvo"] == "tempo_entrega"


def test_aula_05_registra_a_guardada_com_dois_sabores_que_aponta_para_a_base(cliente):
    import mlflow

    bases, guardadas = _versoes(cliente, "candidato", "base"), _versoes(cliente, "candidato", "guardado")
    assert len(guardadas) == 2, "cada execução do curso registra a sua versão guardada"
    for base, guardada in zip(bases, guardadas):
        # a base e, logo depois, a guardada que a embrulha
        assert guardada.tags["versao_base"] == str(base.version)
        assert int(guardada.version) == int(base.version) + 1
        for chave in ("formula", "versao_dados", "mae_teste"):
            assert guardada.tags[chave] == base.tags[chave]
        faixa = guardada.tags["entrada.distancia"]
        assert faixa.startswith("maior que 0 e até ") and faixa.endswith(" km")
        assert faixa in guardada.description
        assert cliente.get_run(guardada.run_id).data.tags["etapa"] == "guarda"
        sabores = mlflow.models.Model.load(_local(cliente, guardada.version)).flavors  # só lê o MLmodel
        assert set(sabores) == {"python_function", "statsmodels"}
        assert sabores["python_function"]["loader_module"] == "mlflow.pyfunc.model"
        assert sabores["python_function"]["code"] == "code"
        assert sabores["python_function"]["artifacts"]["modelo_base"]["uri"] == f"models:/{MODELO}/{base.version}"
        assert sabores["statsmodels"]["data"] == "artifacts/model.statsmodels"


def test_guardada_leva_o_codigo_do_guarda_sem_bytecode_e_a_copia_da_base(cliente, tmp_path):
    import mlflow

    pasta = mlflow.artifacts.download_artifacts(
        artifact_uri=_local(cliente, _versoes(cliente, "candidato", "guardado")[-1].version),
        dst_path=str(tmp_path))
    arquivos = sorted(p.relative_to(pasta).as_posix() for p in Path(pasta).rglob("*") if p.is_file())
    # só o guarda, sem __pycache__: o modelo tem os mesmos arquivos em qualquer máquina
    assert [a for a in arquivos if a.startswith("code/")] == ["code/curso_mlops/__init__.py",
                                                               "code/curso_mlops/guarda.py"]
    assert "artifacts/model.statsmodels" in arquivos and "python_model.pkl" in arquivos


def test_a_chamada_da_aula_devolve_o_objeto_nativo_do_champion(cliente):
    import mlflow

    champion = cliente.get_model_version_by_alias(MODELO, "champion")
    nativo = mlflow.statsmodels.load_model(_local(cliente, champion.version))
    assert type(nativo).__name__ == "RegressionResultsWrapper"
    assert champion.tags["tipo"] == "guardado"


def test_as_guardadas_das_aulas_05_sairam_de_producao_depreciadas(cliente):
    """Em cada execução, a 05 põe a sua guardada no champion e a 08 a substitui (e deprecia)."""
    for guardada in _versoes(cliente, "candidato", "guardado"):
        assert guardada.tags["status"] == "deprecated"
        assert "champion" not in guardada.aliases
        assert cliente.get_model_version(MODELO, guardada.tags["substituida_por"]).tags["tipo"] == "guardado"


def test_a_aula_06_so_serve_e_nao_registra_nada(cliente):
    """Por execução: a 05 registra a base e a guardada; a 08, a base e a guardada do retreino."""
    versoes = cliente.search_model_versions(f"name = '{MODELO}'")
    origens = sorted((v.tags.get("origem"), v.tags.get("tipo")) for v in versoes)
    assert origens == sorted([("candidato", "base"), ("candidato", "guardado"),
                              ("retreino", "base"), ("retreino", "guardado")] * 2)
