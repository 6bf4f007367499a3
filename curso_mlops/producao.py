"""O servidor de produção do curso: o app de previsão do MLflow atrás da camada, sob o uvicorn.

Três usos, do mais curto ao mais completo:

    # 1. No processo (aula 09, testes): o app ASGI, sem servidor nem porta
    app = producao.criar_app(mlflow.pyfunc.load_model(uri))     # starlette.testclient o chama

    # 2. Num terminal: `make serve-producao` (scripts/servir_producao.py), ou
    python -m curso_mlops.producao --modelo models:/tempo_entrega@champion --porta 5399 --trabalhadores 2

    # 3. Num processo à parte, controlado (aula 09, testes, make carga)
    with producao.ServidorDeProducao("models:/tempo_entrega@champion", trabalhadores=2) as s:
        requests.post(s.url + "/invocations", json={"dataframe_records": [{"distancia": 20}]})

O app é o que o próprio MLflow monta (`mlflow.pyfunc.scoring_server.init`, o mesmo de
`mlflow models serve`), embrulhado em `curso_mlops.camada.CamadaDeProducao` (limites,
Content-Type, prazo, erros sem vazamento). Como no `mlflow models serve`, o modelo é baixado
uma vez para uma pasta local e cada *worker* do uvicorn o carrega de lá; o alias é resolvido
uma vez só, no início: todos os *workers* servem a mesma versão, mesmo que o alias mude depois.

O servidor escuta em 127.0.0.1 por padrão, aceita `--trabalhadores N` (processos do uvicorn) e
para com Ctrl+C ou SIGTERM (o uvicorn termina os pedidos em andamento e encerra os *workers*).
`ServidorDeProducao` sobe e para o processo como o `servidor.ServidorDeModelo` da aula 06, pelo
`curso_mlops.processos` (grupo próprio: nenhum *worker* sobra). Nada acontece na importação.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shlex
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

from . import camada, processos, store
from .camada import LIMITE_CORPO, PRAZO, PROFUNDIDADE_MAXIMA
from .servidor import ErroDoServidor, ServidorDeModelo, resolver_modelo

HOST = processos.HOST
PORTA_PADRAO = 5399               # a do `make serve-producao` (a da aula 06, 5299, fica livre)
MODELO_PADRAO = "models:/tempo_entrega@champion"
CORPO_DA_AULA = '{"dataframe_records": [{"distancia": 20}]}'
PRAZO_DE_PARADA = 5               # segundos que o uvicorn espera os pedidos em andamento ao parar

# O que o processo pai passa aos workers do uvicorn (que importam este módulo de novo).
_VAR_MODELO = "CURSO_PRODUCAO_MODELO"
_VAR_LIMITE = "CURSO_PRODUCAO_LIMITE_CORPO"
_VAR_PROFUNDIDADE = "CURSO_PRODUCAO_PROFUNDIDADE"
_VAR_PRAZO = "CURSO_PRODUCAO_PRAZO"

_logger = logging.getLogger("curso_mlops.producao")


class _Parada(Exception):
    """SIGTERM chegou: o uvicorn já parou com calma; falta só limpar a pasta do modelo."""


def _ao_receber_sigterm(sinal, quadro):
    raise _Parada()


# -- o app ------------------------------------------------------------------------------------

def criar_app(modelo, limite_corpo: int = LIMITE_CORPO, profundidade_maxima: int = PROFUNDIDADE_MAXIMA,
              prazo: float | None = PRAZO):
    """O app ASGI de produção para um `PyFuncModel` já carregado.

    É `mlflow.pyfunc.scoring_server.init(modelo)` (um app FastAPI) dentro da camada. O prazo
    próprio do MLflow (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, lido no `init`) fica um pouco
    acima do da camada, para que a resposta de prazo estourado seja sempre a da camada.
    """
    from mlflow.environment_variables import MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
    from mlflow.pyfunc import scoring_server

    variavel = MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.name
    antes = os.environ.get(variavel)
    if prazo is not None:
        os.environ[variavel] = str(max(MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.get(), math.ceil(prazo) + 1))
    try:
        app = scoring_server.init(modelo)
    finally:
        if antes is None:
            os.environ.pop(variavel, None)
        else:
            os.environ[variavel] = antes
    return camada.CamadaDeProducao(app, limite_corpo=limite_corpo, profundidade_maxima=profundidade_maxima,
                                   prazo=prazo, esquema=modelo.metadata.get_input_schema())


def _configurar_log() -> None:
    if not any(isinstance(h, logging.StreamHandler) for h in _logger.handlers):
        manipulador = logging.StreamHandler()
        manipulador.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        _logger.addHandler(manipulador)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


def app_do_ambiente():
    """A fábrica que cada worker do uvicorn chama: lê o modelo e os limites do ambiente."""
    from mlflow.pyfunc import scoring_server

    _configurar_log()
    caminho = os.environ[_VAR_MODELO]
    prazo = float(os.environ.get(_VAR_PRAZO, PRAZO))
    modelo = scoring_server.load_model_with_mlflow_config(caminho)
    return criar_app(modelo, limite_corpo=int(os.environ.get(_VAR_LIMITE, LIMITE_CORPO)),
                     profundidade_maxima=int(os.environ.get(_VAR_PROFUNDIDADE, PROFUNDIDADE_MAXIMA)),
                     prazo=prazo if prazo > 0 else None)


class RespostaASGI:
    """O que um app ASGI respondeu a `chamar_app`: status, cabeçalhos, corpo e quanto ele leu."""

    def __init__(self, status: int, cabecalhos: dict[str, str], corpo: bytes, bytes_lidos: int):
        self.status, self.cabecalhos, self.corpo, self.bytes_lidos = status, cabecalhos, corpo, bytes_lidos

    @property
    def texto(self) -> str:
        return self.corpo.decode("utf-8", errors="replace")

    def json(self):
        import json

        return json.loads(self.corpo)

    def __repr__(self) -> str:
        return f"<RespostaASGI {self.status}, {len(self.corpo)} bytes>"


def chamar_app(app, metodo: str = "POST", rota: str = "/invocations", corpo=b"",
               cabecalhos: dict[str, str] | None = None, prazo: float = 60.0) -> RespostaASGI:
    """Faz um pedido HTTP a um app ASGI no próprio processo, sem servidor nem porta.

    `corpo` é `bytes` (vai com Content-Length, como o `curl -d`) ou uma lista de `bytes`
    (vai em pedaços, sem Content-Length, como um upload em *chunks*). `cabecalhos=None` manda
    `Content-Type: application/json`; `{}` não manda nenhum. A resposta diz também quantos bytes
    do corpo o app leu (`bytes_lidos`).

    Roda o app num *event loop* próprio, numa *thread*: funciona no Jupyter (que já tem um loop)
    e volta assim que o app responde, mesmo que uma conta abandonada (um prazo estourado)
    continue numa *thread* do servidor.
    """
    import asyncio
    import threading

    pedacos = [corpo] if isinstance(corpo, (bytes, bytearray)) else [bytes(p) for p in corpo]
    cabecalhos = {"Content-Type": "application/json"} if cabecalhos is None else dict(cabecalhos)
    lista = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in cabecalhos.items()]
    if isinstance(corpo, (bytes, bytearray)) and not any(k == b"content-length" for k, _ in lista):
        lista.append((b"content-length", str(len(corpo)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": metodo.upper(), "scheme": "http", "path": rota, "raw_path": rota.encode(),
             "query_string": b"", "root_path": "", "headers": lista,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    estado = {"status": None, "cabecalhos": {}, "partes": [], "lidos": 0, "erro": None}

    async def conversar():
        fim = asyncio.Event()
        fila = list(pedacos)

        async def receive():
            if fila:
                pedaco = fila.pop(0)
                estado["lidos"] += len(pedaco)
                return {"type": "http.request", "body": pedaco, "more_body": bool(fila)}
            await fim.wait()  # o corpo acabou: só resta "desconectar" quando a resposta sair
            return {"type": "http.disconnect"}

        async def send(mensagem):
            if mensagem["type"] == "http.response.start":
                estado["status"] = mensagem["status"]
                estado["cabecalhos"] = {k.decode("latin-1"): v.decode("latin-1")
                                        for k, v in mensagem.get("headers", [])}
            elif mensagem["type"] == "http.response.body":
                estado["partes"].append(mensagem.get("body", b""))
                if not mensagem.get("more_body", False):
                    fim.set()

        tarefa = asyncio.ensure_future(app(scope, receive, send))
        esperando_fim = asyncio.ensure_future(fim.wait())
        await asyncio.wait({tarefa, esperando_fim}, timeout=prazo, return_when=asyncio.FIRST_COMPLETED)
        if not fim.is_set() and tarefa.done() and tarefa.exception() is not None:
            estado["erro"] = tarefa.exception()
        for pendente in (tarefa, esperando_fim):
            pendente.cancel()
        await asyncio.gather(tarefa, esperando_fim, return_exceptions=True)

    def rodar():
        laco = asyncio.new_event_loop()
        try:
            laco.run_until_complete(conversar())
        except BaseException as erro:  # levada para quem chamou
            estado["erro"] = erro
        finally:
            laco.close()  # sem esperar as threads do executor: uma conta abandonada segue sozinha

    linha = threading.Thread(target=rodar, daemon=True)
    linha.start()
    linha.join()
    if estado["status"] is None:
        raise estado["erro"] or TimeoutError(f"o app não respondeu em {prazo:g} s")
    return RespostaASGI(estado["status"], estado["cabecalhos"], b"".join(estado["partes"]), estado["lidos"])


# -- o modelo no store --------------------------------------------------------------------------

def baixar_modelo(model_uri: str, pasta: str | Path, tracking_uri: str | None = None) -> str:
    """Baixa o modelo para `pasta` (uma vez; os workers carregam de lá) e devolve o caminho."""
    import mlflow

    uri_store = tracking_uri or store.tracking_uri()
    with store.apontado(uri_store):
        return mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(pasta))


def servir(model_uri: str, porta: int = PORTA_PADRAO, host: str = HOST, trabalhadores: int = 1,
           tracking_uri: str | None = None, limite_corpo: int = LIMITE_CORPO,
           profundidade_maxima: int = PROFUNDIDADE_MAXIMA, prazo: float | None = PRAZO) -> None:
    """Serve o modelo sob o uvicorn até Ctrl+C ou SIGTERM (bloqueia). Use `main` num terminal."""
    import uvicorn

    # Parar leva décimos de segundo, não mais de um (a pasta do modelo é apagada pelo `with`).
    processos.sair_sem_a_ultima_coleta()
    fixa, _ = resolver_modelo(model_uri, tracking_uri)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # O uvicorn trata SIGINT e SIGTERM (termina os pedidos em andamento e os workers) e depois
    # repete o sinal para o processo. O SIGTERM, sem tratamento, mataria o processo ali mesmo,
    # sem apagar a pasta temporária do modelo: aqui ele vira uma exceção, e a pasta é apagada.
    principal = threading.current_thread() is threading.main_thread()
    anterior = signal.signal(signal.SIGTERM, _ao_receber_sigterm) if principal else None
    try:
        with tempfile.TemporaryDirectory(prefix="curso-producao-") as pasta:
            os.environ[_VAR_MODELO] = baixar_modelo(fixa, pasta, tracking_uri)
            os.environ[_VAR_LIMITE] = str(int(limite_corpo))
            os.environ[_VAR_PROFUNDIDADE] = str(int(profundidade_maxima))
            os.environ[_VAR_PRAZO] = str(float(prazo or 0))
            _rodar_uvicorn(uvicorn.Config("curso_mlops.producao:app_do_ambiente", factory=True,
                                          host=host, port=int(porta), workers=int(trabalhadores),
                                          timeout_graceful_shutdown=PRAZO_DE_PARADA))
    except _Parada:
        pass
    finally:
        if principal:
            signal.signal(signal.SIGTERM, anterior)


def com_tcp_nodelay(sock: socket.socket) -> socket.socket:
    """O mesmo socket de escuta, marcado como TCP (`IPPROTO_TCP`), para as conexões terem TCP_NODELAY.

    O uvicorn 0.54 com `--workers N` cria o socket de escuta com `proto = 0`. As conexões aceitas
    herdam o valor, e o asyncio só liga o TCP_NODELAY quando vê `IPPROTO_TCP`. Sem ele, o
    algoritmo de Nagle segura o corpo da resposta até o cliente confirmar o cabeçalho, e o
    cliente adia a confirmação (o *delayed ACK* do Linux): cada pedido numa conexão reaproveitada
    custa uns 40 ms a mais (Kludex/uvicorn#3149). Com 1 worker no Linux, o uvicorn cria o socket
    de outro jeito, e o problema não aparece. O `mlflow models serve -w 2` tem o problema.
    """
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    novo = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    novo.set_inheritable(True)
    return novo


def _rodar_uvicorn(config) -> None:
    """O que `uvicorn.run` faz com um app em texto, com o socket dos workers consertado."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    servidor = uvicorn.Server(config)
    # O socket é aberto aqui (como o uvicorn faz com workers) nos dois casos: no macOS, o
    # caminho de 1 worker também o abriria sem IPPROTO_TCP.
    socket_de_escuta = com_tcp_nodelay(config.bind_socket())
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[socket_de_escuta]).run()
        else:
            servidor.run(sockets=[socket_de_escuta])
    except KeyboardInterrupt:  # Ctrl+C: o uvicorn já parou com calma e repetiu o sinal
        return
    if config.workers == 1 and not servidor.started:
        raise ErroDoServidor("o servidor não subiu (veja as mensagens do uvicorn acima).")


# -- a linha de comando (python -m curso_mlops.producao, make serve-producao) --------------------

def comando_cli(model_uri: str = MODELO_PADRAO, porta: int = PORTA_PADRAO, trabalhadores: int = 1) -> str:
    """A linha que um aluno digita num terminal, com o .venv ativo."""
    return shlex.join(["python", "scripts/servir_producao.py", "--modelo", model_uri,
                       "--porta", str(porta), "--trabalhadores", str(trabalhadores)])


def _analisador() -> argparse.ArgumentParser:
    analisador = argparse.ArgumentParser(
        prog="servir_producao.py",
        description="Serve um modelo do MLflow com a camada de produção (limites, Content-Type, "
                    "prazo e erros sem vazamento), sob o uvicorn.")
    analisador.add_argument("--modelo", default=MODELO_PADRAO, help=f"URI do modelo (padrão: {MODELO_PADRAO})")
    analisador.add_argument("--porta", type=int, default=PORTA_PADRAO, help=f"porta (padrão: {PORTA_PADRAO})")
    analisador.add_argument("--host", default=HOST,
                            help=f"endereço (padrão: {HOST}, só esta máquina; fora dela, ponha um proxy "
                                 "com HTTPS na frente)")
    analisador.add_argument("--trabalhadores", type=int, default=1,
                            help="processos do uvicorn que atendem em paralelo (padrão: 1)")
    analisador.add_argument("--limite-corpo", type=int, default=LIMITE_CORPO,
                            help=f"maior corpo aceito, em bytes (padrão: {LIMITE_CORPO}, 1 MiB)")
    analisador.add_argument("--profundidade", type=int, default=PROFUNDIDADE_MAXIMA,
                            help=f"níveis de aninhamento do JSON (padrão: {PROFUNDIDADE_MAXIMA})")
    analisador.add_argument("--prazo", type=float, default=PRAZO,
                            help=f"segundos por pedido; 0 desliga (padrão: {PRAZO:g})")
    return analisador


def main(argv: list[str] | None = None) -> int:
    args = _analisador().parse_args(argv)
    if args.trabalhadores < 1 or args.limite_corpo < 1 or args.profundidade < 1 or args.prazo < 0:
        print("erro: --trabalhadores, --limite-corpo e --profundidade precisam ser positivos, e "
              "--prazo não pode ser negativo.", file=sys.stderr)
        return 2
    # A porta primeiro: conferir é instantâneo; o champion pede o MLflow e o store.
    if processos.porta_em_uso(args.porta, args.host):
        outra = args.porta + 1
        print(f"erro: a porta {args.porta} já está em uso em {args.host} (outro `make "
              f"serve-producao`?). Pare o outro servidor ou use outra porta: `make serve-producao "
              f"PORTA_PRODUCAO={outra}` (ou --porta {outra}).", file=sys.stderr)
        return 1
    try:
        uri = store.tracking_uri()
        _, descricao = resolver_modelo(args.modelo, uri)
    except store.ErroDeStore as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    except ErroDoServidor as erro:
        print(f"erro: {erro}\nRode `make run` (ou os notebooks 00 a 06) para treinar, registrar e "
              "promover o modelo, e depois `make serve-producao` de novo.", file=sys.stderr)
        return 1
    if args.host not in processos.HOSTS_LOCAIS:
        print(f"aviso: escutando em {args.host}, fora desta máquina. Ponha um proxy com HTTPS na "
              "frente (README, 'Além de uma máquina').", file=sys.stderr)

    print(f"Servindo {descricao} em http://{args.host}:{args.porta}, com {args.trabalhadores} "
          f"trabalhador(es); Ctrl+C para parar.")
    print(f"Store: {store.descrever(uri)}")
    limite = f"{args.limite_corpo:,}".replace(",", ".")
    prazo = f"prazo de {args.prazo:g} s por pedido" if args.prazo else "sem prazo por pedido"
    print(f"Limites: corpo até {limite} bytes, JSON até {args.profundidade} níveis, {prazo}.")
    print("Em outro terminal, o pedido da aula:")
    print(f"  $ curl http://localhost:{args.porta}/invocations -H \"Content-Type: application/json\" "
          f"-d '{CORPO_DA_AULA}'", flush=True)
    try:
        servir(args.modelo, porta=args.porta, host=args.host, trabalhadores=args.trabalhadores,
               tracking_uri=uri, limite_corpo=args.limite_corpo, profundidade_maxima=args.profundidade,
               prazo=args.prazo or None)
    except ErroDoServidor as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl+C: o uvicorn já parou e repetiu o sinal
        pass
    print("Servidor parado.", flush=True)
    return 0


# -- o servidor num processo à parte (aulas, testes, make carga) ------------------------------

class ServidorDeProducao(ServidorDeModelo):
    """O servidor de produção (`python -m curso_mlops.producao`) num processo próprio: o mesmo
    ciclo de vida do `ServidorDeModelo` da aula 06, com outro comando."""

    def __init__(self, model_uri: str = MODELO_PADRAO, porta: int | None = None, trabalhadores: int = 1,
                 tracking_uri: str | None = None, arquivo_log: str | Path | None = None,
                 limite_corpo: int = LIMITE_CORPO, profundidade_maxima: int = PROFUNDIDADE_MAXIMA,
                 prazo: float | None = PRAZO, **opcoes):
        super().__init__(model_uri, porta=porta, trabalhadores=trabalhadores, tracking_uri=tracking_uri,
                         arquivo_log=arquivo_log, **opcoes)
        self.limite_corpo, self.profundidade_maxima, self.prazo = limite_corpo, profundidade_maxima, prazo

    @property
    def comando_cli(self) -> str:
        return comando_cli(self.model_uri, self.porta, self.trabalhadores)

    def _comando(self) -> list[str]:
        return [sys.executable, "-m", "curso_mlops.producao", "--modelo", self.model_uri,
                "--host", self.host, "--porta", str(self.porta), "--trabalhadores", str(self.trabalhadores),
                "--limite-corpo", str(self.limite_corpo), "--profundidade", str(self.profundidade_maxima),
                "--prazo", str(self.prazo or 0)]


if __name__ == "__main__":
    sys.exit(main())
