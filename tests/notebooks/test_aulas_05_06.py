"""O que as aulas 05 (registro) e 06 (a versão guardada) deixam no Model Registry.

Usa o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo): nada aqui
executa notebook nem sobe servidor. O contrato da API está em tests/servir/test_contrato.py.
"""

import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.lento

MODELO = "tempo_entrega"


def _versoes(cliente, origem):
    versoes = cliente.search_model_versions(f"name = '{MODELO}' and tags.origem = '{origem}'")
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
    bases = _versoes(cliente, "candidato")
    assert len(bases) == 2, "cada execução do curso registra o seu candidato"
    for versao in bases:
        assert versao.tags["tipo"] == "base"
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


def test_aula_06_registra_o_guardado_que_aponta_para_a_base(cliente):
    import mlflow

    bases, guardadas = _versoes(cliente, "candidato"), _versoes(cliente, "guarda")
    assert len(guardadas) == 2, "cada execução do curso registra a sua versão guardada"
    # 05 e 06 rodam nessa ordem em cada execução: base1 < guardada1 < base2 < guardada2
    for base, guardada in zip(bases, guardadas):
        assert guardada.tags["versao_base"] == str(base.version)
        assert int(guardada.version) > int(base.version)
        assert guardada.tags["tipo"] == "guardado"
        for chave in ("formula", "versao_dados", "mae_teste"):
            assert guardada.tags[chave] == base.tags[chave]
        faixa = guardada.tags["entrada.distancia"]
        assert faixa.startswith("maior que 0 e até ") and faixa.endswith(" km")
        assert faixa in guardada.description
        assert cliente.get_run(guardada.run_id).data.tags["etapa"] == "guarda"
        sabores = mlflow.models.Model.load(_local(cliente, guardada.version)).flavors  # só lê o MLmodel
        assert set(sabores) == {"python_function"}
        assert sabores["python_function"]["code"] == "code"
        assert sabores["python_function"]["artifacts"]["modelo_base"]["uri"] == f"models:/{MODELO}/{base.version}"
    assert int(guardadas[0].version) < int(bases[1].version)


def test_guardada_leva_o_codigo_do_guarda_e_a_copia_da_base(cliente, tmp_path):
    import mlflow

    pasta = mlflow.artifacts.download_artifacts(
        artifact_uri=_local(cliente, _versoes(cliente, "guarda")[-1].version), dst_path=str(tmp_path))
    arquivos = sorted(p.relative_to(pasta).as_posix() for p in Path(pasta).rglob("*") if p.is_file())
    assert "code/curso_mlops/guarda.py" in arquivos and "code/curso_mlops/__init__.py" in arquivos
    assert [a for a in arquivos if a.startswith("code/")] == ["code/curso_mlops/__init__.py",
                                                               "code/curso_mlops/guarda.py"]
    assert "artifacts/model.statsmodels" in arquivos and "python_model.pkl" in arquivos


def test_champion_e_a_guardada_da_aula_06_ou_mais_nova(cliente):
    champion = cliente.get_model_version_by_alias(MODELO, "champion")
    guardada = _versoes(cliente, "guarda")[-1]
    assert int(champion.version) >= int(guardada.version)
    if champion.version == guardada.version:
        assert champion.tags["versao_base"] == str(_versoes(cliente, "candidato")[-1].version)
