"""O que "um registro consistente" quer dizer, conferido contra um store de verdade.

Usado pelos testes que rodam as aulas fora de ordem e pelos que conferem o fim do curso:

- o `champion` é uma versão guardada (`tipo = guardado`) com os dois sabores;
- a chamada da aula, `mlflow.statsmodels.load_model("models:/tempo_entrega@champion")`, devolve
  o objeto nativo do statsmodels;
- o app de pontuação que o `mlflow models serve` sobe (`scoring_server.init`) responde ao pedido
  da aula com 32 a 37 min e recusa `distancia = -5` com 400;
- o `anterior`, se existe, é uma versão depreciada cuja `substituida_por` é o champion;
- toda versão depreciada diz o motivo e a substituta, e nenhuma é o champion;
- toda versão guardada que não é o champion ou foi depreciada (serviu e saiu), ou foi
  reprovada pelo portão (nunca serviu): nenhuma sai de produção sem deixar rastro.
"""

from __future__ import annotations


def _pasta_do_modelo(cliente, versao) -> str:
    """A pasta local do modelo logado da versão (stores SQLite): sem URI models:/, sem estado global.

    `mlflow.pyfunc.load_model("models:/...")` resolveria o alias pelo registry URI global do
    processo; os testes conferem stores diferentes ao mesmo tempo (em threads), então o champion
    é resolvido pelo cliente deste store e carregado pela pasta.
    """
    from urllib.parse import unquote, urlparse

    # A versão aponta para um modelo logado (`source = models:/m-<id>`).
    model_id = versao.model_id or versao.source.removeprefix("models:/").split("/")[0]
    local = cliente.get_logged_model(model_id).artifact_location
    assert local.startswith("file:"), f"só stores locais: {local}"
    return unquote(urlparse(local).path)


def problemas_do_registro(uri: str, modelo: str = "tempo_entrega") -> list[str]:
    """A lista do que está inconsistente no modelo registrado (vazia se está tudo certo)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import Model
    from mlflow.pyfunc import scoring_server
    from starlette.testclient import TestClient

    cliente = MlflowClient(uri, registry_uri=uri)
    problemas = []
    champion = cliente.get_model_version_by_alias(modelo, "champion")
    if champion.tags.get("tipo") != "guardado":
        problemas.append(f"o champion (v{champion.version}) é {champion.tags.get('tipo')!r}, não guardado")
    pasta = _pasta_do_modelo(cliente, champion)
    sabores = set(Model.load(pasta).flavors)
    if sabores != {"python_function", "statsmodels"}:
        problemas.append(f"o champion tem os sabores {sorted(sabores)}")
    nativo = mlflow.statsmodels.load_model(pasta)  # a chamada da aula, pela pasta do champion
    if type(nativo).__name__ != "RegressionResultsWrapper":
        problemas.append(f"a chamada da aula devolveu {type(nativo).__name__}")

    app = TestClient(scoring_server.init(mlflow.pyfunc.load_model(pasta)))
    resposta = app.post("/invocations", json={"dataframe_records": [{"distancia": 20}]})
    if resposta.status_code != 200 or not 32 <= resposta.json()["predictions"][0]["0"] <= 37:
        problemas.append(f"o pedido da aula respondeu {resposta.status_code} {resposta.text[:120]}")
    resposta = app.post("/invocations", json={"dataframe_records": [{"distancia": -5}]})
    if resposta.status_code != 400:
        problemas.append(f"distancia = -5 respondeu {resposta.status_code}, não 400")

    aliases = cliente.get_registered_model(modelo).aliases
    if "anterior" in aliases:
        anterior = cliente.get_model_version(modelo, aliases["anterior"])
        if anterior.tags.get("status") != "deprecated" or \
                anterior.tags.get("substituida_por") != str(champion.version):
            problemas.append(f"o anterior (v{anterior.version}) não diz que o champion o substituiu")
    for versao in cliente.search_model_versions(f"name = '{modelo}'"):
        depreciada = versao.tags.get("status") == "deprecated"
        if str(versao.version) == str(champion.version):
            if depreciada:
                problemas.append(f"o champion (v{versao.version}) está depreciado")
            continue
        if depreciada and not (versao.tags.get("motivo_depreciacao") and versao.tags.get("substituida_por")):
            problemas.append(f"a v{versao.version} está depreciada sem motivo ou substituta")
        if versao.tags.get("tipo") == "guardado" and not depreciada and \
                versao.tags.get("portao_de_promocao") != "reprovado":
            problemas.append(f"a v{versao.version} (guardada) saiu sem depreciação nem reprovação")
    return problemas


def estado_do_registro(uri: str, modelo: str = "tempo_entrega") -> dict:
    """Os aliases (nome → versão) e as versões depreciadas do modelo registrado, agora."""
    from mlflow import MlflowClient

    cliente = MlflowClient(uri, registry_uri=uri)
    aliases = {alias: str(versao) for alias, versao in cliente.get_registered_model(modelo).aliases.items()}
    depreciadas = {str(v.version) for v in cliente.search_model_versions(
        f"name = '{modelo}' and tags.status = 'deprecated'")}
    return {"aliases": aliases, "depreciadas": depreciadas}
