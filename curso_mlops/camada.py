"""A camada de produção: um middleware ASGI fino na frente do app de previsão do MLflow.

    from mlflow.pyfunc import scoring_server
    from curso_mlops.camada import CamadaDeProducao

    app = CamadaDeProducao(scoring_server.init(modelo))   # o app que o uvicorn serve

O app do MLflow (`mlflow.pyfunc.scoring_server.init`, o mesmo de `mlflow models serve`) faz a
previsão. A camada só decide, antes e depois dele, o que entra e o que sai:

- **Tamanho do corpo** (`LIMITE_CORPO`, 1 MiB): com `Content-Length` acima do limite, 413 na
  hora, sem ler um byte do corpo (e um cliente que mandou `Expect: 100-continue`, como o
  `curl` com corpos grandes, nem chega a enviá-lo). Sem `Content-Length` (corpo em *chunks*),
  a camada conta os bytes enquanto lê e para no primeiro *chunk* que passa do limite: o corpo
  inteiro nunca fica na memória. O resto, o uvicorn descarta.
- **Content-Type**: só os tipos que o MLflow 3.17 sabe ler (`TIPOS_ACEITOS`: JSON, CSV e
  Parquet), com `charset` ausente ou `utf-8`. Sem o cabeçalho, ou com outro tipo, 415 (o
  MLflow sozinho responde 500 quando falta o cabeçalho).
- **Aninhamento do JSON** (`PROFUNDIDADE_MAXIMA`, 32 níveis): contado nos bytes, sem
  interpretar o JSON (strings removidas por uma expressão regular; colchetes e chaves contados
  com o numpy), antes do parser do Python, que estoura a pilha (`RecursionError`, 500) com
  alguns milhares de níveis. Acima do limite, 400.
- **Números gigantes**: um inteiro com mais algarismos do que o Python converte (4300, o
  `sys.get_int_max_str_digits()`) faz o parser levantar `ValueError`, e o MLflow responde 500.
  A camada o procura antes (uma expressão regular) e responde 400.
- **Parquet**: o rodapé do arquivo diz quantas linhas ele tem e quanto ocupa descomprimido;
  acima de `LIMITE_LINHAS_PARQUET` ou de `LIMITE_PARQUET_DESCOMPRIMIDO`, 413 (um Parquet de
  1 MB pode descomprimir em gigabytes). Um arquivo que não é Parquet recebe 400.
- **Prazo por pedido** (`PRAZO`, 10 s): ler o corpo e prever. Estourado ao ler, 408; ao prever,
  504. O prazo solta o cliente e a conexão; a conta que já começou numa *thread* do servidor
  continua até o fim (o Python não interrompe uma *thread*).
- **Rotas**: só as quatro do MLflow (`/ping`, `/health`, `/version`, `/invocations`). A
  documentação automática do FastAPI (`/docs`, `/redoc`, `/openapi.json`), que o app do MLflow
  publica, responde 404, como na imagem Docker do MLflow (o nginx dela só deixa passar
  `/ping` e `/invocations`).
- **Respostas de erro** (status ≥ 400): reescritas como `{"error_code": ..., "message": ...}`,
  com o `error_code` do MLflow e uma mensagem em português escolhida pela camada. Nunca levam
  *stack trace*, nunca ecoam o corpo do pedido nem os valores enviados (o MLflow ecoa os dois).
  As mensagens do guarda (`curso_mlops.guarda`) são mantidas, sem os valores. Uma exceção
  inesperada vira 500 com uma mensagem genérica, e o *traceback* vai só para o log.

As respostas 2xx passam intactas, byte a byte: o pedido da aula responde exatamente como no
`mlflow models serve`. Nada acontece na importação.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys

LIMITE_CORPO = 1024 * 1024           # bytes (1 MiB): ~50 mil linhas em dataframe_records
PROFUNDIDADE_MAXIMA = 32             # níveis de [ e { (dataframe_split usa 4)
PRAZO = 10.0                         # segundos por pedido, do primeiro byte à resposta
LIMITE_LINHAS_PARQUET = 200_000      # linhas de um corpo Parquet
LIMITE_PARQUET_DESCOMPRIMIDO = 16 * 1024 * 1024  # bytes, segundo o rodapé do arquivo

ROTA_DE_PREVISAO = "/invocations"
ROTAS = ("/ping", "/health", "/version", ROTA_DE_PREVISAO)  # as do MLflow; o resto é 404
JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
TIPOS_ACEITOS = (JSON, CSV, PARQUET)  # mlflow.pyfunc.scoring_server.CONTENT_TYPES (MLflow 3.17)

_logger = logging.getLogger("curso_mlops.producao")
# Como toda biblioteca: sem configuração, o log da camada não aparece (no servidor, o
# `curso_mlops.producao` liga um manipulador que escreve no stderr, junto com o do uvicorn).
_logger.addHandler(logging.NullHandler())

# -- as mensagens -------------------------------------------------------------------------------

# O error_code (nome do MLflow, mlflow.protos.databricks_pb2) de cada resposta que é da camada.
_CODIGO_DA_CAMADA = {
    400: "BAD_REQUEST", 404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST", 408: "DEADLINE_EXCEEDED",
    413: "MAX_READ_SIZE_EXCEEDED", 415: "BAD_REQUEST", 500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
_FORMATOS = "dataframe_split, dataframe_records, instances ou inputs"
_GENERICAS = {
    400: "Pedido inválido.",
    404: "Rota desconhecida. As rotas são /ping, /health, /version e /invocations.",
    405: "Método não permitido nesta rota: previsões são POST /invocations; /ping, /health e "
         "/version são GET.",
    500: "Erro interno ao prever. O pedido não foi processado; tente de novo e, se persistir, "
         "avise o time da API.",
    503: "O servidor está sobrecarregado ou indisponível agora. Tente de novo em instantes.",
}


def mensagem_de_limite(limite: int) -> str:
    return (f"O corpo do pedido passa do limite de {_tamanho(limite)}. Divida o lote em pedidos "
            f"menores (ou use a previsão em lote, `mlflow models predict`).")


def _tamanho(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB ({n:,} bytes)".replace(",", ".")
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB ({n:,} bytes)".replace(",", ".")
    return f"{n:,} bytes".replace(",", ".")


# Os motivos de recusa do guarda (guarda.Entrada.motivo_da_recusa), pelo fim da frase; o começo
# da frase tem o valor enviado e fica de fora.
_MOTIVOS_DO_GUARDA = (
    ("o valor está faltando (null ou NaN)", "valor faltando (null ou NaN)"),
    ("é um booleano, não um número", "booleano, não um número"),
    ("não é um número (envie 20, sem aspas)", "texto, não um número (envie 20, sem aspas)"),
    ("não é um número finito", "número não finito"),
    ("não é um número", "não é um número (lista, objeto ou outro tipo)"),
    ("é grande demais", "número grande demais"),
    ("está fora da faixa", "fora da faixa"),
)
_SEGMENTO = re.compile(
    r"linha (?P<linha>[^:;]{1,40}): (?P<resto>.*?)(?P<fim>"
    + "|".join(re.escape(fim) for fim, _ in _MOTIVOS_DO_GUARDA) + r")(?=; |$)", re.S)
_COLUNA_DO_GUARDA = re.compile(
    r"^Entrada inválida na coluna '(?P<coluna>[A-Za-z_][A-Za-z0-9_]{0,63})': deve ser um número "
    r"(?P<faixa>(?:maior que|de) -?[0-9.e+]+ (?:e até|a) -?[0-9.e+]+(?: [A-Za-z/%]{1,10})?)\. "
    r"(?P<ruins>\d+) de (?P<total>\d+) linha\(s\) recusada\(s\) \((?P<detalhes>.*)\)\.$", re.S)
# As duas listas desta frase vêm do modelo (as entradas declaradas), não do pedido.
_FALTA_COLUNA = re.compile(
    r"^Entrada inválida: falta a coluna '[A-Za-z_]\w{0,63}'(?:, '[A-Za-z_]\w{0,63}')*\. "
    r"O modelo espera: [^\n]{1,600}\.$")
_NOME_DE_TIPO = re.compile(r"\((?P<tipo>[A-Za-z_][A-Za-z0-9_]{0,40})\)\.$")
_RECEBI = re.compile(r"recebi (?P<tipo>[A-Za-z_][A-Za-z0-9_]{0,40})\.$")


def _detalhes_sem_valores(detalhes: str) -> str:
    """ "linha 1: -5 está fora da faixa; e mais 2 linha(s)" -> "linha 1: fora da faixa; e mais 2 linha(s)"."""
    partes = []
    for segmento in _SEGMENTO.finditer(detalhes):
        linha = segmento["linha"]
        if not (linha.isdigit() and len(linha) <= 9):
            linha = "?"  # um índice de texto veio do pedido (dataframe_split com "index"): não ecoa
        motivo = dict(_MOTIVOS_DO_GUARDA)[segmento["fim"]]
        partes.append(f"linha {linha}: {motivo}")
    resto = re.search(r"; e mais (\d+) linha\(s\)$", detalhes)
    if resto:
        partes.append(f"e mais {resto[1]} linha(s)")
    return "; ".join(partes)


def mensagem_do_guarda(texto: str) -> str | None:
    """A mensagem do `ModeloGuardado` sem os valores do pedido; None se não é uma do guarda.

    Os nomes de coluna e as faixas que ficam vêm do modelo, não do pedido.
    """
    texto = texto.strip()
    if not texto.startswith("Entrada inválida"):
        return None
    if texto == "Entrada inválida: a requisição não tem nenhuma linha para prever.":
        return texto
    if texto.startswith("Entrada inválida: colunas repetidas:"):
        return "Entrada inválida: a tabela tem colunas repetidas (cada nome de coluna vai uma vez só)."
    if _FALTA_COLUNA.match(texto):
        return texto
    if texto.startswith("Entrada inválida: esperava uma tabela com colunas nomeadas"):
        tipo = _RECEBI.search(texto)
        return ("Entrada inválida: esperava uma tabela com colunas nomeadas"
                + (f", recebi {tipo['tipo']}." if tipo else "."))
    if texto.startswith("Entrada inválida: não foi possível ler a requisição"):
        tipo = _NOME_DE_TIPO.search(texto)
        return ("Entrada inválida: não foi possível ler a requisição"
                + (f" ({tipo['tipo']})." if tipo else "."))
    coluna = _COLUNA_DO_GUARDA.match(texto)
    if coluna:
        total = int(coluna["total"])
        detalhes = _detalhes_sem_valores(coluna["detalhes"])
        return (f"Entrada inválida na coluna '{coluna['coluna']}': deve ser um número "
                f"{coluna['faixa']}. {coluna['ruins']} de {total} linha(s) recusada(s)"
                + (f" ({detalhes})." if detalhes else "."))
    return "Entrada inválida: o modelo recusou a entrada."


def _posicao_do_json(texto: str) -> str:
    posicao = re.search(r"line (\d+) column (\d+)", texto)
    return f" (linha {posicao[1]}, coluna {posicao[2]})" if posicao else ""


def _descrever_assinatura(esquema) -> str:
    """ "distancia (double)" para cada coluna do esquema de entrada do modelo, se houver."""
    try:
        colunas = [f"{c.name} ({c.type.name if hasattr(c.type, 'name') else c.type})"
                   for c in esquema.inputs if getattr(c, "name", None)]
    except Exception:  # um esquema de tensor, ou outro formato: sem a descrição
        return ""
    return f" O modelo espera: {', '.join(colunas)}." if colunas else ""


def mensagem_em_portugues(status: int, codigo: str | None, texto: str, esquema=None) -> str:
    """A mensagem que a camada devolve para uma resposta de erro do app do MLflow.

    `texto` é a `message` do MLflow (ou o corpo em texto puro); ela serve só para escolher a
    mensagem, que é sempre uma destas frases fixas (ou a do guarda sem os valores).
    """
    texto = texto or ""
    if status >= 500:
        return _GENERICAS.get(status, _GENERICAS[500])
    if status in (404, 405):
        return _GENERICAS[status]
    if status == 415:  # o MLflow recusou o Content-Type (a camada já confere antes: não deve ocorrer)
        return mensagem_de_tipo(None)
    erro_do_modelo = re.match(r"^Failed to predict data .*?\nError: (?P<erro>.*)$", texto, re.S)
    if erro_do_modelo:
        texto = erro_do_modelo["erro"]
        guarda = mensagem_do_guarda(texto)
        if guarda is not None:
            return guarda
        if "Failed to enforce schema" in texto or "Model is missing inputs" in texto:
            return ("A entrada não segue a assinatura do modelo (nomes ou tipos das colunas)."
                    + _descrever_assinatura(esquema))
        return "O modelo recusou a entrada."
    guarda = mensagem_do_guarda(texto)
    if guarda is not None:
        return guarda
    texto = texto.removeprefix("Invalid input. ")
    if "UnicodeDecodeError" in texto or "valid UTF-8" in texto:
        return "O corpo do pedido não está em UTF-8."
    if "valid JSON formatted string" in texto:
        return f"O corpo do pedido não é um JSON válido{_posicao_do_json(texto)}."
    if texto.startswith("The input must be a JSON dictionary"):
        return f"O JSON precisa ser um objeto com exatamente um destes campos: {_FORMATOS}."
    if "valid CSV-formatted" in texto:
        return ("O corpo do pedido não é um CSV válido: a primeira linha tem os nomes das "
                "colunas e cada linha seguinte, os valores (como `DataFrame.to_csv()` escreve).")
    if "valid Parquet" in texto:
        return ("O corpo do pedido não é um arquivo Parquet válido (como `DataFrame.to_parquet()` "
                "escreve).")
    if "dataframe_split" in texto and "split" in texto:
        return ('dataframe_split precisa ser um objeto com "columns" (os nomes) e "data" (uma '
                "lista de linhas).")
    if "records format must be a list of records" in texto:
        return "dataframe_records precisa ser uma lista de objetos, um por linha."
    if "not compatible with model signature" in texto or "enforce schema" in texto:
        return ("A entrada não segue a assinatura do modelo (nomes ou tipos das colunas)."
                + _descrever_assinatura(esquema))
    if "unexpected error while evaluating the model" in texto:
        return "O modelo não conseguiu prever com esta entrada. Confira as colunas e os valores."
    if "params" in texto:
        return "Os parâmetros do pedido (params) não servem para este modelo."
    return _GENERICAS[400] + f" Envie um JSON com um destes campos: {_FORMATOS}."


def mensagem_de_tipo(tipo: str | None) -> str:
    aceitos = ", ".join(TIPOS_ACEITOS)
    if not tipo:
        return (f"Falta o cabeçalho Content-Type. Use Content-Type: {JSON} (ou {CSV}, ou "
                f"{PARQUET}).")
    return f"Content-Type não suportado. Use um destes, em UTF-8: {aceitos}."


# -- as verificações (funções puras, sem rede) -------------------------------------------------

def conferir_tipo(valor: str | None) -> tuple[str | None, str | None]:
    """(tipo canônico, None) se o Content-Type serve; (None, mensagem do 415) se não serve.

    O tipo é comparado sem diferenciar maiúsculas (`Application/JSON` serve); o único parâmetro
    aceito é `charset`, e só `utf-8` (o que o MLflow lê).
    """
    if valor is None or not valor.strip():
        return None, mensagem_de_tipo(None)
    tipo, *parametros = [parte.strip() for parte in valor.split(";")]
    tipo = tipo.lower()
    if tipo not in TIPOS_ACEITOS:
        return None, mensagem_de_tipo(tipo)
    for parametro in parametros:
        if not parametro:
            continue
        chave, _, valor_parametro = parametro.partition("=")
        chave, valor_parametro = chave.strip().lower(), valor_parametro.strip().strip('"').lower()
        if chave != "charset":
            return None, f"Parâmetro de Content-Type desconhecido. Use só {tipo}; charset=utf-8."
        if valor_parametro not in ("utf-8", "utf8"):
            return None, "Só aceitamos texto em UTF-8 (charset=utf-8)."
    return tipo, None


_STRING_JSON = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)


def profundidade_json(corpo: bytes) -> int:
    """Quantos níveis de [ e { o JSON tem, sem interpretá-lo (colchetes dentro de strings não contam).

    Custo linear e em código C: a expressão regular tira as strings e o numpy soma +1 a cada
    abertura e -1 a cada fechamento. Um JSON mal formado recebe um número qualquer, e o parser
    o recusa depois.
    """
    if corpo.count(b"[") + corpo.count(b"{") == 0:
        return 0
    import numpy as np

    sem_strings = _STRING_JSON.sub(b'""', corpo)
    bytes_ = np.frombuffer(sem_strings, dtype=np.uint8)
    passos = ((bytes_ == ord("[")) | (bytes_ == ord("{"))).astype(np.int32)
    passos -= ((bytes_ == ord("]")) | (bytes_ == ord("}"))).astype(np.int32)
    return int(np.cumsum(passos).max(initial=0))


def excede_profundidade(corpo: bytes, limite: int) -> bool:
    if corpo.count(b"[") + corpo.count(b"{") <= limite:  # o caso comum: nem precisa contar
        return False
    return profundidade_json(corpo) > limite


def digitos_demais(corpo: bytes) -> int:
    """O limite de dígitos de um inteiro do Python (4300), se algum número do JSON passa dele; senão 0.

    O `json.loads` converte um inteiro com mais dígitos que `sys.get_int_max_str_digits()` com
    `ValueError`, que o MLflow não trata: 500. A busca é em código C, e só olha de novo, sem as
    strings, quando acha uma sequência longa de algarismos.
    """
    limite = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if not limite:
        return 0
    padrao = re.compile(rb"\d{%d}" % (limite + 1))
    if padrao.search(corpo) is None or padrao.search(_STRING_JSON.sub(b'""', corpo)) is None:
        return 0
    return limite


def conferir_parquet(corpo: bytes, limite_linhas: int, limite_bytes: int) -> tuple[int, str] | None:
    """(status, mensagem) se o Parquet não serve, lendo só o rodapé; None se serve."""
    import io

    try:
        import pyarrow.parquet as pq
    except ImportError:  # sem pyarrow, o MLflow também não lê Parquet: ele responde 400
        return None
    try:
        metadados = pq.read_metadata(io.BytesIO(corpo))
        descomprimido = sum(metadados.row_group(i).total_byte_size
                            for i in range(metadados.num_row_groups))
    except Exception:
        return 400, mensagem_em_portugues(400, "BAD_REQUEST", "valid Parquet")
    if metadados.num_rows > limite_linhas or descomprimido > limite_bytes:
        return 413, (f"O Parquet passa do limite: até {limite_linhas:,} linhas e "
                     f"{_tamanho(limite_bytes)} descomprimido.".replace(",", "."))
    return None


# -- o middleware -------------------------------------------------------------------------------

class _Desconectou(Exception):
    pass


def _cabecalho(scope, nome: bytes) -> str | None:
    for chave, valor in scope.get("headers", []):
        if chave.lower() == nome:
            return valor.decode("latin-1")
    return None


def corpo_de_erro(codigo: str, mensagem: str) -> bytes:
    return json.dumps({"error_code": codigo, "message": mensagem}, ensure_ascii=False).encode("utf-8")


async def _responder(send, status: int, mensagem: str, codigo: str | None = None,
                     metodo: str = "POST", extras: list | None = None) -> None:
    corpo = corpo_de_erro(codigo or _CODIGO_DA_CAMADA.get(status, "BAD_REQUEST"), mensagem)
    cabecalhos = [(b"content-type", b"application/json; charset=utf-8"),
                  (b"content-length", str(len(corpo)).encode())] + list(extras or [])
    await send({"type": "http.response.start", "status": status, "headers": cabecalhos})
    await send({"type": "http.response.body", "body": b"" if metodo == "HEAD" else corpo})


class _FiltroDeErros:
    """O `send` que o app do MLflow recebe: 2xx passa direto; ≥ 400 é guardado e reescrito."""

    def __init__(self, send, metodo: str, esquema):
        self.send_original, self.metodo, self.esquema = send, metodo, esquema
        self.iniciada = False      # a resposta (a nossa ou a do app) começou a sair
        self.status: int | None = None
        self._erro = None          # (status, cabeçalhos) de uma resposta de erro guardada
        self._partes: list[bytes] = []

    async def send(self, mensagem) -> None:
        if mensagem["type"] == "http.response.start":
            self.status = mensagem["status"]
            if self.status >= 400:
                self._erro = (self.status, mensagem.get("headers", []))
                return
            self.iniciada = True
            await self.send_original(mensagem)
            return
        if mensagem["type"] == "http.response.body" and self._erro is not None:
            self._partes.append(mensagem.get("body", b""))
            if not mensagem.get("more_body", False):
                await self._reescrever()
            return
        await self.send_original(mensagem)

    async def _reescrever(self) -> None:
        status, cabecalhos = self._erro
        texto = b"".join(self._partes).decode("utf-8", errors="replace")
        self._partes = []
        codigo = None
        try:
            original = json.loads(texto)
            if isinstance(original, dict):
                codigo = original.get("error_code") if isinstance(original.get("error_code"), str) else None
                texto = original.get("message") if isinstance(original.get("message"), str) else ""
        except ValueError:
            pass
        if codigo is None or not re.fullmatch(r"[A-Z_]{2,40}", codigo):
            codigo = _CODIGO_DA_CAMADA.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR")
        extras = [(k, v) for k, v in cabecalhos if k.lower() == b"allow"]
        self.iniciada = True
        await _responder(self.send_original, status, mensagem_em_portugues(status, codigo, texto, self.esquema),
                         codigo, self.metodo, extras)


class CamadaDeProducao:
    """Middleware ASGI: limites, Content-Type, prazo e erros sem vazamento (ver o módulo)."""

    def __init__(self, app, limite_corpo: int = LIMITE_CORPO,
                 profundidade_maxima: int = PROFUNDIDADE_MAXIMA, prazo: float | None = PRAZO,
                 limite_linhas_parquet: int = LIMITE_LINHAS_PARQUET,
                 limite_parquet_descomprimido: int = LIMITE_PARQUET_DESCOMPRIMIDO, esquema=None):
        if limite_corpo < 1 or profundidade_maxima < 1 or (prazo is not None and prazo <= 0):
            raise ValueError("limite_corpo, profundidade_maxima e prazo precisam ser positivos.")
        self.app = app
        self.limite_corpo = int(limite_corpo)
        self.profundidade_maxima = int(profundidade_maxima)
        self.prazo = prazo
        self.limite_linhas_parquet = int(limite_linhas_parquet)
        self.limite_parquet_descomprimido = int(limite_parquet_descomprimido)
        self.esquema = esquema  # a assinatura do modelo (ModelSignature), para descrever as colunas

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # lifespan (início e fim do servidor) passa direto
            await self.app(scope, receive, send)
            return
        metodo = scope.get("method", "GET")
        filtro = _FiltroDeErros(send, metodo, self.esquema)
        fase = {"lendo": True}
        try:
            if self.prazo is None:
                await self._atender(scope, receive, filtro, fase)
            else:
                await asyncio.wait_for(self._atender(scope, receive, filtro, fase), self.prazo)
        except TimeoutError:
            _logger.warning("pedido %s %s passou do prazo de %.1f s (%s)", metodo, scope.get("path"),
                            self.prazo, "lendo o corpo" if fase["lendo"] else "prevendo")
            if not filtro.iniciada:
                if fase["lendo"]:
                    await _responder(send, 408, f"O corpo do pedido não chegou em {self.prazo:g} s.",
                                     metodo=metodo, extras=[(b"connection", b"close")])
                else:
                    await _responder(send, 504, f"A previsão passou do prazo de {self.prazo:g} s e "
                                     "foi abandonada. Tente de novo, ou mande um lote menor.",
                                     metodo=metodo)
        except _Desconectou:
            return  # o cliente foi embora: não há a quem responder
        except Exception:
            # O traceback vai para o log do servidor; a resposta é genérica.
            _logger.exception("erro inesperado em %s %s", metodo, scope.get("path"))
            if not filtro.iniciada:
                await _responder(send, 500, _GENERICAS[500], "INTERNAL_ERROR", metodo)

    async def _atender(self, scope, receive, filtro: _FiltroDeErros, fase: dict) -> None:
        metodo = scope.get("method", "GET")
        tamanho = _cabecalho(scope, b"content-length")
        if tamanho is not None and tamanho.strip().isdigit() and int(tamanho) > self.limite_corpo:
            filtro.iniciada = True
            await _responder(filtro.send_original, 413, mensagem_de_limite(self.limite_corpo),
                             metodo=metodo)
            return
        if scope.get("path") not in ROTAS:  # /docs, /redoc, /openapi.json do FastAPI: não publicados
            filtro.iniciada = True
            fase["lendo"] = False
            await _responder(filtro.send_original, 404, _GENERICAS[404], metodo=metodo)
            return
        if scope.get("path") != ROTA_DE_PREVISAO or metodo != "POST":
            fase["lendo"] = False
            await self.app(scope, receive, filtro.send)  # /ping, /version, 404, 405...
            return

        tipo, problema = conferir_tipo(_cabecalho(scope, b"content-type"))
        if problema:
            filtro.iniciada = True
            await _responder(filtro.send_original, 415, problema, metodo=metodo)
            return
        corpo = await self._ler_corpo(receive)
        fase["lendo"] = False
        if corpo is None:
            filtro.iniciada = True
            await _responder(filtro.send_original, 413, mensagem_de_limite(self.limite_corpo),
                             metodo=metodo)
            return
        if tipo == JSON and excede_profundidade(corpo, self.profundidade_maxima):
            filtro.iniciada = True
            await _responder(filtro.send_original, 400,
                             f"O JSON tem mais de {self.profundidade_maxima} níveis de listas e "
                             "objetos, um dentro do outro. Uma tabela precisa de 4.", metodo=metodo)
            return
        if tipo == JSON and (limite := digitos_demais(corpo)):
            filtro.iniciada = True
            await _responder(filtro.send_original, 400,
                             f"Um número do JSON tem mais de {limite} algarismos.", metodo=metodo)
            return
        if tipo == PARQUET:
            recusa = conferir_parquet(corpo, self.limite_linhas_parquet, self.limite_parquet_descomprimido)
            if recusa:
                filtro.iniciada = True
                await _responder(filtro.send_original, *recusa, metodo=metodo)
                return

        # O app do MLflow recebe o corpo já lido e o Content-Type na forma canônica.
        cabecalhos = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-type"]
        cabecalhos.append((b"content-type", tipo.encode()))
        entregue = False

        async def receber():
            nonlocal entregue
            if not entregue:
                entregue = True
                return {"type": "http.request", "body": corpo, "more_body": False}
            return await receive()  # depois do corpo, só o aviso de desconexão

        await self.app(dict(scope, headers=cabecalhos), receber, filtro.send)

    async def _ler_corpo(self, receive) -> bytes | None:
        """O corpo inteiro, ou None assim que a soma dos pedaços passa do limite (o resto não é lido)."""
        partes, total = [], 0
        while True:
            mensagem = await receive()
            if mensagem["type"] == "http.disconnect":
                raise _Desconectou()
            pedaco = mensagem.get("body", b"")
            total += len(pedaco)
            if total > self.limite_corpo:
                return None
            partes.append(pedaco)
            if not mensagem.get("more_body", False):
                return b"".join(partes)
