"""O contrato da API do champion: o pedido da aula, pedidos ruins e hostis, concorrência.

Os testes sobem um `mlflow models serve` de verdade (via `ServidorDeModelo`) sobre
o store da 1ª execução do curso (`curso_uma_vez`, uma cópia intacta que ninguém grava) e o atacam
com pedidos bons, ruins e hostis: o pedido da aula responde como na aula; nenhum pedido ruim
recebe 5xx nem um *stack trace*; o servidor continua de pé; e, sob concorrência, cada previsão
é igual à do mesmo modelo carregado no processo.

Dois alvos, um servidor para cada: o `champion` final do curso (o que `make serve` serve) e a
versão guardada mais recente da aula 05 (`origem = candidato`, `tipo = guardado`), só com a
distância.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from curso_mlops.servidor import ServidorDeModelo, porta_em_uso

pytestmark = [pytest.mark.lento, pytest.mark.servidor]

MODELO = "tempo_entrega"
NB05 = "05_registrar_e_versionar_modelos.ipynb"
JSON = {"Content-Type": "application/json"}
PEDIDO_DA_AULA = {"dataframe_records": [{"distancia": 20}]}


def _versoes(cliente, origem, tipo="guardado"):
    versoes = cliente.search_model_versions(
        f"name = '{MODELO}' and tags.origem = '{origem}' and tags.tipo = '{tipo}'")
    return sorted(versoes, key=lambda v: int(v.version))


@pytest.fixture(scope="module")
def cliente(curso_uma_vez):
    return MlflowClient(curso_uma_vez.uri, registry_uri=curso_uma_vez.uri)


def _local(cliente, versao):
    """A pasta com os arquivos de uma versão: carregar dali não depende do store global do MLflow."""
    from urllib.parse import unquote, urlparse

    uri = cliente.get_model_version_download_uri(MODELO, str(versao))
    assert uri.startswith("file:"), uri
    return unquote(urlparse(uri).path)


@pytest.fixture(scope="module", params=["champion", "guardado-da-aula-05"])
def alvo(request, cliente, curso_uma_vez, tmp_path_factory):
    import mlflow

    if request.param == "champion":
        versao = cliente.get_model_version_by_alias(MODELO, "champion").version
        uri = f"models:/{MODELO}@champion"
    else:
        versao = _versoes(cliente, "candidato")[-1].version
        uri = f"models:/{MODELO}/{versao}"
    local = _local(cliente, versao)
    modelo = mlflow.pyfunc.load_model(local)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with ServidorDeModelo(uri, tracking_uri=curso_uma_vez.uri, arquivo_log=log) as servidor:
        yield {"uri": uri, "local": local, "modelo": modelo, "servidor": servidor}
    assert not porta_em_uso(servidor.porta)


def _post(servidor, corpo, cabecalhos=None, sessao=requests):
    dados = corpo if isinstance(corpo, bytes) else json.dumps(corpo).encode()
    return sessao.post(f"{servidor.url}/invocations", data=dados, headers=cabecalhos or JSON, timeout=60)


def _no_processo(modelo, distancias):
    """A previsão do mesmo modelo no processo, uma linha por vez (como cada chamada REST)."""
    return {d: float(modelo.predict(pd.DataFrame({"distancia": [d]})).iloc[0]) for d in distancias}


# --- o pedido da aula e os formatos -------------------------------------------------------

def test_pedido_da_aula_responde_como_na_aula(alvo):
    resposta = _post(alvo["servidor"], PEDIDO_DA_AULA)
    assert resposta.status_code == 200, resposta.text
    assert resposta.headers["content-type"].startswith("application/json")
    corpo = resposta.json()
    assert list(corpo) == ["predictions"] and len(corpo["predictions"]) == 1
    assert list(corpo["predictions"][0]) == ["0"]
    previsto = corpo["predictions"][0]["0"]
    assert 32 <= previsto <= 37, f"a aula responde cerca de 34 min; veio {previsto}"
    assert previsto == _no_processo(alvo["modelo"], [20])[20]


def test_dataframe_split_e_distancia_maior_nunca_da_tempo_menor(alvo):
    distancias = [0.5, 2, 5, 10, 15, 20, 25]
    resposta = _post(alvo["servidor"], {"dataframe_split": {"columns": ["distancia"],
                                                            "data": [[d] for d in distancias]}})
    assert resposta.status_code == 200, resposta.text
    previstos = [p["0"] for p in resposta.json()["predictions"]]
    assert len(previstos) == len(distancias) and previstos == sorted(previstos)


def test_colunas_extras_sao_ignoradas(alvo):
    """A decisão documentada em curso_mlops/guarda.py: colunas que o modelo não usa não mudam nada."""
    sem = _post(alvo["servidor"], PEDIDO_DA_AULA)
    com = _post(alvo["servidor"], {"dataframe_records": [
        {"distancia": 20, "cor_da_moto": "azul", "pedido_id": "P999", "gorjeta": None}]})
    assert com.status_code == 200, com.text
    assert com.json() == sem.json()


def test_a_chuva_so_conta_no_champion_final(alvo):
    """O champion final é o re-treino da aula 08 (distância e chuva): a chuva soma cerca de 7 min.
    A guardada da aula 05 só conhece a distância: para ela, `chuva` é uma coluna extra e não muda nada."""
    sem = _post(alvo["servidor"], PEDIDO_DA_AULA).json()["predictions"][0]["0"]
    com = _post(alvo["servidor"], {"dataframe_records": [{"distancia": 20, "chuva": 1}]})
    assert com.status_code == 200, com.text
    diferenca = com.json()["predictions"][0]["0"] - sem
    if alvo["uri"] == f"models:/{MODELO}@champion":
        assert 5 <= diferenca <= 10, "a chuva soma cerca de 7 min"
    else:
        assert diferenca == 0


def test_o_servidor_usa_o_guarda_e_o_sabor_statsmodels_e_o_do_modelo_base(alvo):
    """Dois sabores na mesma versão: o pyfunc é o guarda (recusa -5 km); o statsmodels é o objeto
    nativo do modelo base, que a chamada da aula devolve, sem guarda."""
    import mlflow

    assert set(alvo["modelo"].metadata.flavors) == {"python_function", "statsmodels"}
    with pytest.raises(MlflowException, match="fora da faixa"):
        alvo["modelo"].predict(pd.DataFrame({"distancia": [-5.0]}))
    nativo = mlflow.statsmodels.load_model(alvo["local"])
    assert type(nativo).__name__ == "RegressionResultsWrapper"
    conferido = alvo["modelo"].unwrap_python_model().validar(pd.DataFrame({"distancia": [20.0]}))
    assert float(nativo.predict(conferido).iloc[0]) == pytest.approx(_no_processo(alvo["modelo"], [20])[20])


# --- pedidos ruins, hostis e absurdos: 4xx, nunca 5xx, nunca um stack trace ----------------

_LIXO = np.random.default_rng(20250303).integers(32, 127, 5 * 1024 * 1024, dtype=np.uint8).tobytes()

# (rótulo, corpo, cabeçalhos, a mensagem do guarda nomeia `distancia`?)
HOSTIS = [
    ("coluna faltando", {"dataframe_records": [{"km": 20}]}, None, True),
    ("registros sem nomes", {"dataframe_records": [[20]]}, None, True),
    ("split sem colunas", {"dataframe_split": {"data": [[20]]}}, None, True),
    ("texto", {"dataframe_records": [{"distancia": "vinte"}]}, None, True),
    ("número como texto", {"dataframe_records": [{"distancia": "20"}]}, None, True),
    ("null", {"dataframe_records": [{"distancia": None}]}, None, True),
    ("NaN", b'{"dataframe_records": [{"distancia": NaN}]}', None, True),
    ("Infinity", b'{"dataframe_records": [{"distancia": Infinity}]}', None, True),
    ("negativo", {"dataframe_records": [{"distancia": -5}]}, None, True),
    ("zero", {"dataframe_records": [{"distancia": 0}]}, None, True),
    ("1e308", {"dataframe_records": [{"distancia": 1e308}]}, None, True),
    ("inteiro gigante", b'{"dataframe_records": [{"distancia": 1' + b"0" * 400 + b"}]}", None, True),
    ("true", {"dataframe_records": [{"distancia": True}]}, None, True),
    ("false", {"dataframe_records": [{"distancia": False}]}, None, True),
    ("uma linha boa e uma ruim", {"dataframe_records": [{"distancia": 5}, {"distancia": -1}]}, None, True),
    ("lista vazia", {"dataframe_records": []}, None, False),
    ("split sem linhas", {"dataframe_split": {"columns": ["distancia"], "data": []}}, None, False),
    ("objeto aninhado", {"dataframe_records": [{"distancia": {"km": 20}}]}, None, True),
    ("lista aninhada", {"dataframe_records": [{"distancia": [[[20]]]}]}, None, True),
    ("inputs aninhado", {"inputs": {"distancia": {"a": [1]}}}, None, True),
    ("colunas repetidas", {"dataframe_split": {"columns": ["distancia", "distancia"], "data": [[1, 2]]}}, None, False),
    ("dois formatos", {"dataframe_records": [{"distancia": 20}], "dataframe_split": {"data": [[1]]}}, None, False),
    ("sem formato", {"distancia": 20}, None, False),
    ("formato de chat (LLM)", {"messages": [{"role": "user", "content": "quanto tempo?"}]}, None, True),
    ("JSON mal formado", b'{"dataframe_records": [{"distancia": 20}', None, False),
    ("lista no topo", b"[1, 2, 3]", None, False),
    ("bytes que não são UTF-8", b"\xff\xfe\x00\x01", None, False),
    ("5 MB de lixo", _LIXO, None, False),
    ("content type text/plain", b"distancia=20", {"Content-Type": "text/plain"}, False),
    ("content type xml", b"<distancia>20</distancia>", {"Content-Type": "application/xml"}, False),
    ("charset latin-1", b'{"dataframe_records": [{"distancia": 20}]}',
     {"Content-Type": "application/json; charset=latin-1"}, False),
]


@pytest.mark.parametrize("rotulo, corpo, cabecalhos, nomeia_o_campo", HOSTIS, ids=[h[0] for h in HOSTIS])
def test_pedido_hostil_recebe_4xx_sem_stack_trace(alvo, rotulo, corpo, cabecalhos, nomeia_o_campo):
    resposta = _post(alvo["servidor"], corpo, cabecalhos)
    assert 400 <= resposta.status_code < 500, f"{rotulo}: {resposta.status_code} {resposta.text[:300]}"
    assert "Traceback" not in resposta.text and 'File "' not in resposta.text
    assert "stack_trace" not in resposta.text
    if nomeia_o_campo:
        mensagem = resposta.json()["message"]
        nomeia = ("'distancia'" in mensagem and "deve ser um número" in mensagem) or "falta a coluna" in mensagem
        assert nomeia, mensagem
        assert "Entrada inválida" in mensagem


def test_servidor_continua_de_pe_depois_dos_pedidos_hostis(alvo):
    servidor = alvo["servidor"]
    assert servidor.rodando
    assert requests.get(f"{servidor.url}/ping", timeout=10).status_code == 200
    assert _post(servidor, PEDIDO_DA_AULA).status_code == 200
    assert "Traceback" not in servidor.log


# O que acontece antes do modelo (o parser do servidor do MLflow 3.17) e o guarda não alcança.
# Ficam registrados como falhas esperadas: se uma versão nova do MLflow corrigir, o teste avisa.
LIMITES_DO_SERVIDOR = [
    ("CSV quebrado", b'distancia\n"20', {"Content-Type": "text/csv"}),
    ("Parquet que não é Parquet", b"PAR1 lixo", {"Content-Type": "application/vnd.apache.parquet"}),
    ("JSON aninhado 100 mil níveis", b"[" * 100_000 + b"]" * 100_000, None),
    ("sem Content-Type", b'{"dataframe_records": [{"distancia": 20}]}', {}),
]


@pytest.mark.xfail(strict=True, reason="limite do servidor do MLflow 3.17, antes do modelo: "
                   "stack trace no corpo (CSV, Parquet) ou 500 (recursão, sem Content-Type)")
@pytest.mark.parametrize("rotulo, corpo, cabecalhos", LIMITES_DO_SERVIDOR, ids=[l[0] for l in LIMITES_DO_SERVIDOR])
def test_limites_do_servidor_do_mlflow(alvo, rotulo, corpo, cabecalhos):
    import http.client

    conexao = http.client.HTTPConnection(alvo["servidor"].host, alvo["servidor"].porta, timeout=60)
    try:  # http.client não acrescenta cabeçalhos: o pedido "sem Content-Type" vai mesmo sem
        conexao.request("POST", "/invocations", body=corpo, headers=JSON if cabecalhos is None else cabecalhos)
        resposta = conexao.getresponse()
        status, texto = resposta.status, resposta.read().decode(errors="replace")
    finally:
        conexao.close()
    assert 400 <= status < 500 and "Traceback" not in texto


def test_servidor_continua_de_pe_depois_dos_limites_do_mlflow(alvo):
    """Nem o 500 do parser do MLflow derruba o servidor (o log dele, aí sim, tem o traceback)."""
    assert alvo["servidor"].rodando
    assert requests.get(f"{alvo['servidor'].url}/ping", timeout=10).status_code == 200
    assert _post(alvo["servidor"], PEDIDO_DA_AULA).status_code == 200


# --- concorrência --------------------------------------------------------------------------

def test_concorrencia_8_threads_50_pedidos_iguais_ao_processo(alvo):
    distancias = [round(float(d), 1) for d in np.linspace(0.5, 26.0, 50)]
    esperado = _no_processo(alvo["modelo"], distancias)
    erros, conferidos = [], []
    trava = threading.Lock()

    def cliente_http(numero):
        with requests.Session() as sessao:
            for i in range(50):
                distancia = distancias[(numero * 7 + i) % len(distancias)]
                resposta = _post(alvo["servidor"], {"dataframe_records": [{"distancia": distancia}]},
                                 sessao=sessao)
                with trava:
                    if resposta.status_code != 200:
                        erros.append((distancia, resposta.status_code, resposta.text[:200]))
                    else:
                        conferidos.append(resposta.json()["predictions"][0]["0"] == esperado[distancia])

    with ThreadPoolExecutor(max_workers=8) as executor:
        list(executor.map(cliente_http, range(8)))
    assert not erros, erros[:3]
    assert len(conferidos) == 400 and all(conferidos)
