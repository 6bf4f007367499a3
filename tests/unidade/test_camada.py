"""A camada de produção (curso_mlops.camada) com apps ASGI de mentira: sem modelo, sem servidor."""

import asyncio
import io
import json
import time

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from curso_mlops import camada, guarda
from curso_mlops.camada import CamadaDeProducao, conferir_tipo, excede_profundidade, profundidade_json
from curso_mlops.producao import chamar_app

MARCA = "XYZZY"  # um valor que nenhuma resposta de erro pode repetir
BOM = b'{"dataframe_records": [{"distancia": 20}]}'


class AppDeMentira:
    """Responde `status` com `corpo` e guarda o que recebeu (corpo, cabeçalhos, chamadas)."""

    def __init__(self, status=200, corpo=b'{"predictions": [{"0": 34.3}]}', tipo=b"application/json",
                 cabecalhos=(), ler=True):
        self.status, self.corpo, self.tipo, self.extras, self.ler = status, corpo, tipo, list(cabecalhos), ler
        self.chamadas, self.recebido, self.cabecalhos = 0, b"", {}

    async def __call__(self, scope, receive, send):
        self.chamadas += 1
        self.cabecalhos = {k.decode(): v.decode() for k, v in scope["headers"]}
        if self.ler:
            while True:
                mensagem = await receive()
                self.recebido += mensagem.get("body", b"")
                if not mensagem.get("more_body"):
                    break
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", self.tipo), (b"content-length", str(len(self.corpo)).encode()),
                                *self.extras]})
        await send({"type": "http.response.body", "body": self.corpo})


def _erro(resposta):
    assert resposta.cabecalhos["content-type"] == "application/json; charset=utf-8"
    corpo = resposta.json()
    assert set(corpo) == {"error_code", "message"}
    return corpo


# --- Content-Type ---------------------------------------------------------------------------

@pytest.mark.parametrize("valor, esperado", [
    ("application/json", "application/json"),
    ("Application/JSON", "application/json"),
    ("application/json; charset=utf-8", "application/json"),
    ('application/json; charset="UTF-8"', "application/json"),
    ("text/csv", "text/csv"),
    ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
])
def test_conferir_tipo_aceita_o_que_o_mlflow_le(valor, esperado):
    assert conferir_tipo(valor) == (esperado, None)


@pytest.mark.parametrize("valor", [None, "", "text/plain", "application/xml", "application/x-www-form-urlencoded",
                                   "application/json; charset=latin-1", "application/json; charset=utf-16",
                                   "application/json; boundary=x", "multipart/form-data"])
def test_conferir_tipo_recusa_o_resto(valor):
    tipo, problema = conferir_tipo(valor)
    assert tipo is None and problema


def test_tipos_aceitos_sao_os_do_mlflow():
    from mlflow.pyfunc import scoring_server

    assert set(camada.TIPOS_ACEITOS) == set(scoring_server.CONTENT_TYPES)


# --- aninhamento ------------------------------------------------------------------------------

@pytest.mark.parametrize("corpo, niveis", [
    (b"20", 0), (b"[]", 1), (b"[[[]]]", 3), (BOM, 3),
    (b'{"dataframe_split": {"columns": ["d"], "data": [[1], [2]]}}', 4),
    (b'{"a": "[[[[[[{{{{"}', 1),            # colchetes dentro de strings não contam
    (b'{"a": "x\\"[[[[", "b": [1]}', 2),     # nem depois de uma aspa escapada
    (b"[" * 40 + b"]" * 40, 40),
])
def test_profundidade_json(corpo, niveis):
    assert profundidade_json(corpo) == niveis


def test_profundidade_de_100_mil_niveis_e_barata():
    corpo = b"[" * 100_000 + b"]" * 100_000
    inicio = time.perf_counter()
    assert excede_profundidade(corpo, 32)
    assert time.perf_counter() - inicio < 1.0
    largo = json.dumps({"dataframe_records": [{"distancia": 1.5}] * 40_000}).encode()  # ~0,8 MB, raso
    assert len(largo) < camada.LIMITE_CORPO and not excede_profundidade(largo, 32)


# --- as mensagens do guarda, sem os valores ------------------------------------------------------

GUARDA = guarda.ModeloGuardado([guarda.Entrada("distancia", 0, 31.58, unidade="km", minimo_exclusivo=True)])


def _mensagem_do_guarda(tabela):
    with pytest.raises(MlflowException) as erro:
        GUARDA.validar(tabela)
    return erro.value.message


@pytest.mark.parametrize("valores, motivo", [
    ([f"{MARCA} texto"], "texto, não um número"),
    ([-5.4321], "fora da faixa"),
    ([float("inf")], "número não finito"),
    ([True], "booleano, não um número"),
    ([None], "valor faltando"),
    ([{MARCA: 1}], "não é um número (lista, objeto ou outro tipo)"),
    ([10 ** 400], "número grande demais"),
    ([5, -1.2345, 7], "fora da faixa"),
])
def test_mensagem_do_guarda_sem_os_valores(valores, motivo):
    original = _mensagem_do_guarda(pd.DataFrame({"distancia": pd.Series(valores, dtype=object)}))
    limpa = camada.mensagem_do_guarda(original)
    assert limpa.startswith("Entrada inválida na coluna 'distancia': deve ser um número maior que 0 "
                            "e até 31.58 km.")
    assert motivo in limpa and "recusada(s) (linha " in limpa
    for valor in ("XYZZY", "5.4321", "1.2345", "inf", "true", "True", "1000000"):
        assert valor not in limpa, (valor, limpa)


def test_mensagem_do_guarda_com_muitas_linhas_e_indice_do_pedido():
    muitas = _mensagem_do_guarda(pd.DataFrame({"distancia": [-1.0] * 5}))
    assert camada.mensagem_do_guarda(muitas).endswith(
        "5 de 5 linha(s) recusada(s) (linha 0: fora da faixa; linha 1: fora da faixa; "
        "linha 2: fora da faixa; e mais 2 linha(s)).")
    indice = _mensagem_do_guarda(pd.DataFrame({"distancia": [-5.0]}, index=[f"{MARCA}-7"]))
    assert camada.mensagem_do_guarda(indice).endswith("(linha ?: fora da faixa).")
    # Um índice que imita a frase do guarda: a resposta só tem frases fixas e algarismos.
    forjado = _mensagem_do_guarda(pd.DataFrame({"distancia": [-5.0]}, index=[f"{MARCA}; linha 7: está fora da faixa"]))
    limpa = camada.mensagem_do_guarda(forjado)
    assert MARCA not in limpa and limpa.endswith(": fora da faixa).")


def test_outras_mensagens_do_guarda():
    repetidas = _mensagem_do_guarda(pd.DataFrame([[1, 2]], columns=[MARCA, MARCA]).assign(distancia=3))
    assert MARCA not in camada.mensagem_do_guarda(repetidas)
    falta = _mensagem_do_guarda(pd.DataFrame({MARCA: [20]}))
    assert camada.mensagem_do_guarda(falta) == falta  # só nomes do modelo
    assert MARCA not in falta
    vazia = _mensagem_do_guarda(pd.DataFrame({"distancia": []}))
    assert camada.mensagem_do_guarda(vazia) == vazia
    assert camada.mensagem_do_guarda(f"Entrada inválida: {MARCA}") == "Entrada inválida: o modelo recusou a entrada."
    assert camada.mensagem_do_guarda("outra coisa") is None


# Mensagens do app do MLflow 3.17 (capturadas de verdade), com o valor marcado.
MENSAGENS_DO_MLFLOW = [
    (400, "Invalid input. Ensure that input is a valid JSON formatted string. Error: "
          f"'JSONDecodeError('Expecting value: line 1 column 38 (char 37)')'\nInput: \nb'{{\"a\": {MARCA}'\n",
     "não é um JSON válido (linha 1, coluna 38)"),
    (400, "Invalid input. Ensure that input is a valid JSON formatted string. Error: "
          "'UnicodeDecodeError('utf-8', b'\\xff', 0, 1, 'invalid start byte')'\nInput: \nb'\\xff'\n", "UTF-8"),
    (400, "The input must be a JSON dictionary with exactly one of the input fields {'inputs'}. "
          f"Received dictionary with input fields: ['{MARCA}']. IMPORTANT: ...", "exatamente um destes campos"),
    (400, "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted "
          f"Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: '{MARCA}'", "CSV válido"),
    (400, "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid Parquet Pandas "
          f"DataFrame produced using the `pandas.DataFrame.to_parquet()` method. Error: '{MARCA}'", "Parquet válido"),
    (400, f"Failed to predict data '   {MARCA}\n0  20'. \nError: Failed to enforce schema of data '{MARCA}' "
          "with schema '['distancia': double (required)]'. Error: Model is missing inputs ['distancia'].",
     "assinatura do modelo"),
    (400, f"Failed to predict data '{MARCA}'. \nError: algo que o modelo disse sobre {MARCA}", "O modelo recusou"),
    (400, f"Invalid input. Dataframe records format must be a list of records. Got type <class '{MARCA}'>.",
     "dataframe_records precisa ser uma lista"),
    (400, "Encountered an unexpected error while evaluating the model. Verify that the serialized input "
          "Dataframe is compatible with the model for inference.", "não conseguiu prever"),
    (400, f"qualquer coisa nova {MARCA}", "Pedido inválido."),
    (500, f"Internal Server Error {MARCA}", "Erro interno"),
]


@pytest.mark.parametrize("status, texto, trecho", MENSAGENS_DO_MLFLOW)
def test_mensagem_em_portugues_nao_ecoa_o_pedido(status, texto, trecho):
    mensagem = camada.mensagem_em_portugues(status, "BAD_REQUEST", texto)
    assert trecho in mensagem and MARCA not in mensagem and "Traceback" not in mensagem


# --- o middleware ----------------------------------------------------------------------------------

def test_resposta_2xx_passa_intacta():
    app = AppDeMentira(corpo=b'{"predictions": [{"0": 34.30370471327411}]}')
    resposta = chamar_app(CamadaDeProducao(app), corpo=BOM)
    assert resposta.status == 200 and resposta.corpo == app.corpo
    assert resposta.cabecalhos == {"content-type": "application/json", "content-length": str(len(app.corpo))}
    assert app.recebido == BOM and app.cabecalhos["content-type"] == "application/json"


def test_content_length_acima_do_limite_recusa_sem_ler():
    app = AppDeMentira()
    resposta = chamar_app(CamadaDeProducao(app, limite_corpo=1000), corpo=b"x" * 5000)
    assert resposta.status == 413 and resposta.bytes_lidos == 0 and app.chamadas == 0
    corpo = _erro(resposta)
    assert corpo["error_code"] == "MAX_READ_SIZE_EXCEEDED" and "1.000 bytes" in corpo["message"]


def test_chunks_acima_do_limite_param_no_primeiro_que_passa():
    app = AppDeMentira()
    pedacos = [b"x" * 300] * 100  # 30 kB em pedaços, sem Content-Length
    resposta = chamar_app(CamadaDeProducao(app, limite_corpo=1000), corpo=pedacos)
    assert resposta.status == 413 and app.chamadas == 0
    assert resposta.bytes_lidos == 1200  # 4 pedaços: o 4º passou do limite; os outros 96 nem foram lidos


def test_chunks_dentro_do_limite_chegam_inteiros_ao_app():
    app = AppDeMentira()
    pedacos = [BOM[:10], BOM[10:30], BOM[30:]]
    resposta = chamar_app(CamadaDeProducao(app), corpo=pedacos,
                          cabecalhos={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert resposta.status == 200 and app.recebido == BOM
    assert app.cabecalhos["content-type"] == "application/json"  # a forma canônica, para o MLflow


@pytest.mark.parametrize("cabecalhos", [{}, {"Content-Type": "text/plain"},
                                        {"Content-Type": "application/json; charset=latin-1"}])
def test_content_type_ruim_recusa_sem_ler(cabecalhos):
    app = AppDeMentira()
    resposta = chamar_app(CamadaDeProducao(app), corpo=BOM, cabecalhos=cabecalhos)
    assert resposta.status == 415 and resposta.bytes_lidos == 0 and app.chamadas == 0
    assert "Content-Type" in _erro(resposta)["message"] or "UTF-8" in _erro(resposta)["message"]


def test_json_fundo_demais_da_400_sem_chamar_o_app():
    app = AppDeMentira()
    resposta = chamar_app(CamadaDeProducao(app, profundidade_maxima=8), corpo=b"[" * 9 + b"]" * 9)
    assert resposta.status == 400 and app.chamadas == 0
    assert "mais de 8 níveis" in _erro(resposta)["message"]
    assert chamar_app(CamadaDeProducao(app, profundidade_maxima=8), corpo=b"[" * 8 + b"]" * 8).status == 200


def test_csv_nao_passa_pela_conta_de_niveis():
    app = AppDeMentira()
    resposta = chamar_app(CamadaDeProducao(app, profundidade_maxima=2), corpo=b"a\n[[[[[[\n",
                          cabecalhos={"Content-Type": "text/csv"})
    assert resposta.status == 200 and app.cabecalhos["content-type"] == "text/csv"


def _parquet(linhas):
    saida = io.BytesIO()
    pd.DataFrame({"distancia": np.zeros(linhas)}).to_parquet(saida, compression="gzip")
    return saida.getvalue()


def test_parquet_pequeno_passa_e_bomba_de_descompressao_nao():
    app = AppDeMentira()
    tipo = {"Content-Type": camada.PARQUET}
    assert chamar_app(CamadaDeProducao(app), corpo=_parquet(10), cabecalhos=tipo).status == 200
    bomba = _parquet(camada.LIMITE_LINHAS_PARQUET + 1)
    assert len(bomba) < 20_000  # zeros comprimem muito: 200 mil linhas em poucos kB
    resposta = chamar_app(CamadaDeProducao(app), corpo=bomba, cabecalhos=tipo)
    assert resposta.status == 413 and "Parquet passa do limite" in _erro(resposta)["message"]
    falso = chamar_app(CamadaDeProducao(app), corpo=b"PAR1 " + MARCA.encode(), cabecalhos=tipo)
    assert falso.status == 400 and MARCA not in falso.texto
    assert app.chamadas == 1


def test_erro_do_app_e_reescrito_sem_stack_trace_nem_eco():
    original = json.dumps({"error_code": "BAD_REQUEST", "message": f"Failed to parse input as a Pandas DataFrame. "
                           f"Ensure that the input is a valid CSV-formatted Pandas DataFrame. Error: '{MARCA}'",
                           "stack_trace": 'Traceback (most recent call last):\n  File "/x/y.py", line 1',
                           "sqlstate": "KAM00"}).encode()
    resposta = chamar_app(CamadaDeProducao(AppDeMentira(400, original)), corpo=b"a\n1\n",
                          cabecalhos={"Content-Type": "text/csv"})
    corpo = _erro(resposta)
    assert resposta.status == 400 and corpo["error_code"] == "BAD_REQUEST"
    assert "CSV válido" in corpo["message"]
    assert MARCA not in resposta.texto and "Traceback" not in resposta.texto and "File" not in resposta.texto


def test_texto_puro_de_erro_vira_json():
    resposta = chamar_app(CamadaDeProducao(AppDeMentira(500, b"Internal Server Error", b"text/plain")), corpo=BOM)
    assert resposta.status == 500 and _erro(resposta)["error_code"] == "INTERNAL_ERROR"


def test_405_mantem_o_allow_e_head_vem_sem_corpo():
    app = AppDeMentira(405, b'{"detail":"Method Not Allowed"}', cabecalhos=[(b"allow", b"POST")], ler=False)
    resposta = chamar_app(CamadaDeProducao(app), metodo="PUT", corpo=b"")
    assert resposta.status == 405 and resposta.cabecalhos["allow"] == "POST"
    assert "POST /invocations" in _erro(resposta)["message"]
    cabeca = chamar_app(CamadaDeProducao(app), metodo="HEAD", corpo=b"")
    assert cabeca.status == 405 and cabeca.corpo == b""


def test_excecao_no_app_vira_500_generico(caplog):
    async def quebra(scope, receive, send):
        raise RuntimeError(f"segredo {MARCA} em /caminho/do/servidor.py")

    with caplog.at_level("ERROR", logger="curso_mlops.producao"):
        resposta = chamar_app(CamadaDeProducao(quebra), corpo=BOM)
    assert resposta.status == 500 and MARCA not in resposta.texto
    assert _erro(resposta)["message"].startswith("Erro interno")
    assert MARCA in caplog.text and "Traceback" in caplog.text  # o log, sim, tem o traceback


def test_prazo_ao_prever_da_504():
    async def demora(scope, receive, send):
        await receive()
        await asyncio.sleep(5)

    inicio = time.perf_counter()
    resposta = chamar_app(CamadaDeProducao(demora, prazo=0.2), corpo=BOM)
    assert resposta.status == 504 and time.perf_counter() - inicio < 2
    assert _erro(resposta)["error_code"] == "DEADLINE_EXCEEDED"


def test_prazo_ao_ler_o_corpo_da_408():
    enviados = []

    async def receive():
        await asyncio.sleep(5)  # um cliente que não manda o corpo (slowloris)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(mensagem):
        enviados.append(mensagem)

    scope = {"type": "http", "method": "POST", "path": "/invocations",
             "headers": [(b"content-type", b"application/json")]}
    asyncio.run(asyncio.wait_for(CamadaDeProducao(AppDeMentira(), prazo=0.2)(scope, receive, send), 3))
    assert enviados[0]["status"] == 408
    assert (b"connection", b"close") in enviados[0]["headers"]


def test_lifespan_e_rotas_de_saude_passam_direto():
    app = AppDeMentira(ler=False, corpo=b"\n")
    resposta = chamar_app(CamadaDeProducao(app), metodo="GET", rota="/ping", corpo=b"")
    assert resposta.status == 200 and resposta.corpo == b"\n"
    vistos = []

    async def app_lifespan(scope, receive, send):
        vistos.append(scope["type"])

    asyncio.run(CamadaDeProducao(app_lifespan)({"type": "lifespan"}, None, None))
    assert vistos == ["lifespan"]


def test_limites_invalidos():
    with pytest.raises(ValueError):
        CamadaDeProducao(AppDeMentira(), limite_corpo=0)
    with pytest.raises(ValueError):
        CamadaDeProducao(AppDeMentira(), prazo=-1)


def test_inteiro_com_algarismos_demais_da_400():
    app = AppDeMentira()
    gigante = b'{"dataframe_records": [{"distancia": 1' + b"0" * 5000 + b"}]}"
    resposta = chamar_app(CamadaDeProducao(app), corpo=gigante)
    assert resposta.status == 400 and "4300 algarismos" in _erro(resposta)["message"] and app.chamadas == 0
    em_string = b'{"dataframe_records": [{"distancia": "1' + b"0" * 5000 + b'"}]}'  # numa string, não é número
    assert chamar_app(CamadaDeProducao(app), corpo=em_string).status == 200


@pytest.mark.parametrize("rota", ["/docs", "/redoc", "/openapi.json", "/invocations/", "/XYZZY"])
def test_so_as_rotas_do_mlflow(rota):
    app = AppDeMentira(ler=False)
    resposta = chamar_app(CamadaDeProducao(app), metodo="GET", rota=rota, corpo=b"")
    assert resposta.status == 404 and app.chamadas == 0 and MARCA not in resposta.texto
    assert _erro(resposta)["error_code"] == "ENDPOINT_NOT_FOUND"
