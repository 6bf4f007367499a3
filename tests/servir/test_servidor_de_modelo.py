"""O servidor de modelo do curso (curso_mlops.servidor) de verdade: cada situação ruim tem um teste.

Sobem `mlflow models serve` sobre um OLS mínimo num store próprio (sem o curso). Os casos que
não precisam subir nada (host, porta ocupada, reserva de porta) estão em tests/unidade/.
"""

import json
import time
import urllib.request

import pytest

from curso_mlops import processos
from curso_mlops import servidor as srv

pytestmark = pytest.mark.servidor


def _grupo_existe(pid):
    return processos.grupo_vivo(pid)


def test_serve_responde_e_uma_excecao_no_bloco_para_o_servidor(modelo_minimo, tmp_path):
    """Uma partida só: o servidor responde ao pedido da aula, e uma exceção dentro do bloco `with`
    sobe para quem chamou e também para o servidor (o grupo inteiro e a porta). A saída normal
    do bloco passa pelo mesmo `parar()`; a fixture `alvo` de tests/servir/test_contrato.py sai
    assim e confere a porta livre."""
    with pytest.raises(ZeroDivisionError):
        with srv.ServidorDeModelo("models:/modelo-minimo@champion", tracking_uri=modelo_minimo,
                                  arquivo_log=tmp_path / "serve.log") as servidor:
            pid, porta = servidor.processo.pid, servidor.porta
            assert servidor.comando_cli == (f"mlflow models serve -m models:/modelo-minimo@champion "
                                            f"-p {porta} --env-manager local")
            corpo = json.dumps({"dataframe_records": [{"distancia": 20}]}).encode()
            pedido = urllib.request.Request(servidor.url + "/invocations", data=corpo,
                                            headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(pedido, timeout=10) as resposta:
                previsao = json.loads(resposta.read())["predictions"][0]
            assert 33 < float(previsao if not isinstance(previsao, dict) else previsao["0"]) < 35
            1 / 0  # noqa: B018 – a exceção dentro do bloco
    assert not _grupo_existe(pid)
    assert not srv.porta_em_uso(porta)
    assert servidor.processo is None
    assert "uvicorn" in (tmp_path / "serve.log").read_text().lower()


@pytest.mark.parametrize("uri", ["models:/modelo-minimo@nao-existe", "models:/nao-existe@champion",
                                 "models:/modelo-minimo/99", "models:/m-0123456789abcdef0123456789abcdef"])
def test_modelo_ou_alias_desconhecido(modelo_minimo, uri):
    with pytest.raises(srv.ErroDoServidor, match="Modelo não encontrado"):
        srv.ServidorDeModelo(uri, tracking_uri=modelo_minimo).iniciar()


def test_servidor_que_morre_ao_iniciar_mostra_o_log(modelo_minimo):
    servidor = srv.ServidorDeModelo("models:/modelo-minimo@nao-existe", tracking_uri=modelo_minimo,
                                    verificar=False, timeout=90)
    inicio = time.monotonic()
    with pytest.raises(srv.ErroDoServidor, match="terminou enquanto iniciava") as erro:
        servidor.iniciar()
    assert time.monotonic() - inicio < 60
    assert "nao-existe" in str(erro.value)  # a cauda do log vem na mensagem
    assert servidor.processo is None and not srv.porta_em_uso(servidor.porta)


def test_prazo_esgotado_encerra_o_processo(modelo_minimo):
    servidor = srv.ServidorDeModelo("models:/modelo-minimo@champion", tracking_uri=modelo_minimo,
                                    timeout=0.5)
    with pytest.raises(srv.ErroDoServidor, match="não respondeu /ping"):
        servidor.iniciar()
    assert servidor.processo is None and not srv.porta_em_uso(servidor.porta)


def test_ping_de_outro_processo_na_mesma_porta_nao_engana(modelo_minimo, monkeypatch):
    """Se outro servidor ocupa a porta entre a verificação e o início, o /ping 200 dele não vale."""
    import http.server
    import threading

    class Impostor(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    impostor = http.server.HTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    porta = impostor.server_address[1]
    monkeypatch.setattr(srv, "porta_em_uso", lambda *args, **kwargs: False)  # a corrida
    servidor = srv.ServidorDeModelo("models:/modelo-minimo@champion", porta=porta,
                                    tracking_uri=modelo_minimo, timeout=90)
    try:
        with pytest.raises(srv.ErroDoServidor, match=f"porta {porta} foi ocupada por outro processo"):
            servidor.iniciar()
        assert servidor.processo is None
    finally:
        impostor.shutdown()
        impostor.server_close()
