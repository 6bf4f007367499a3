"""O gerador de carga (curso_mlops.carga) contra um servidor HTTP mínimo, numa thread deste processo."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from curso_mlops import carga


class _Respondedor(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, como o uvicorn
    # TCP_NODELAY, como o uvicorn: sem ele o corpo, escrito depois dos cabeçalhos, espera o ACK
    # atrasado do cliente (~40 ms por pedido, segundos por teste).
    disable_nagle_algorithm = True
    contador = 0
    trava = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.trava:
            type(self).contador += 1
            numero = type(self).contador
        status = 500 if numero % 10 == 0 else 200  # um erro a cada dez pedidos
        corpo = json.dumps({"predictions": [{"0": 34.3}]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(corpo)))
        self.end_headers()
        self.wfile.write(corpo)

    def log_message(self, *args):
        pass


@pytest.fixture
def servidor_minimo():
    _Respondedor.contador = 0
    servidor = ThreadingHTTPServer(("127.0.0.1", 0), _Respondedor)
    # poll_interval curto: o shutdown() no fim espera até um intervalo inteiro (0,5 s por padrão).
    linha = threading.Thread(target=servidor.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    linha.start()
    yield f"http://127.0.0.1:{servidor.server_address[1]}"
    servidor.shutdown()
    servidor.server_close()


def test_cada_nivel_para_no_limite_de_pedidos(servidor_minimo):
    vistos = []
    niveis = carga.medir(servidor_minimo, clientes=[1, 4], pedidos=40, segundos=30, ao_terminar_nivel=vistos.append)
    assert [n["clientes"] for n in niveis] == [1, 4] and vistos == niveis
    for nivel in niveis:
        assert nivel["pedidos"] == 40 and nivel["ok"] + nivel["erros"] == 40
        assert nivel["erros"] == nivel["erros_por_tipo"].get("500", 0) > 0
        assert 0 < nivel["p50_ms"] <= nivel["p95_ms"] <= nivel["p99_ms"] and nivel["vazao"] > 0


def test_cada_nivel_para_no_limite_de_tempo(servidor_minimo):
    (nivel,) = carga.medir(servidor_minimo, clientes=[2], pedidos=10 ** 9, segundos=0.3)
    assert 0 < nivel["pedidos"] < 10 ** 9 and nivel["segundos"] < 3


def test_servidor_fora_do_ar_conta_erros_sem_travar():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]
    (nivel,) = carga.medir(f"http://127.0.0.1:{porta}", clientes=[2], pedidos=6, segundos=5)
    assert nivel["ok"] == 0 and nivel["erros"] == 6 and "p50_ms" not in nivel


@pytest.mark.parametrize("url", ["http://10.0.0.1:80", "http://192.168.0.10:5399", "http://exemplo.com.br"])
def test_so_fala_com_esta_maquina(url):
    with pytest.raises(ValueError, match="127.0.0.1"):
        carga.medir(url, clientes=[1], pedidos=1, segundos=1)


def test_tabela_e_grafico():
    import matplotlib

    matplotlib.use("Agg")
    niveis = [{"clientes": c, "pedidos": 10, "ok": 10, "erros": 0, "vazao": 100.0 * c,
               "p50_ms": 2.0 * c, "p95_ms": 3.0 * c, "p99_ms": 4.0 * c} for c in (1, 4, 16)]
    configs = [{"servidor": s, "trabalhadores": t, "niveis": niveis} for s in ("producao", "mlflow") for t in (1, 2)]
    texto = carga.tabela(configs)
    assert len(texto.splitlines()) == 2 + 12 and "mlflow models serve" in texto and "produção" in texto
    figura = carga.grafico(configs)
    assert len(figura.axes) == 2
    assert [e.get_title() for e in figura.axes] == ["1 trabalhador do uvicorn", "2 trabalhadores do uvicorn"]
    assert figura.axes[0].get_xlabel() == "clientes simultâneos"
