"""O que `curso_mlops.producao` faz sem subir servidor: chamar um app no processo, conferir o store, a CLI."""

import asyncio

import pytest

from curso_mlops import producao, servidor


async def _eco(scope, receive, send):
    corpo = b""
    while True:
        mensagem = await receive()
        corpo += mensagem.get("body", b"")
        if not mensagem.get("more_body"):
            break
    tipo = dict(scope["headers"]).get(b"content-type", b"-")
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-tipo", tipo)]})
    await send({"type": "http.response.body", "body": corpo[:5], "more_body": True})
    await send({"type": "http.response.body", "body": corpo[5:]})


def test_chamar_app_manda_o_corpo_e_junta_a_resposta():
    resposta = producao.chamar_app(_eco, corpo=b"0123456789")
    assert (resposta.status, resposta.corpo, resposta.bytes_lidos) == (201, b"0123456789", 10)
    assert resposta.cabecalhos["x-tipo"] == "application/json"
    em_pedacos = producao.chamar_app(_eco, corpo=[b"ab", b"cd"], cabecalhos={})
    assert em_pedacos.corpo == b"abcd" and em_pedacos.cabecalhos["x-tipo"] == "-"


def test_chamar_app_funciona_com_um_loop_ja_rodando():
    async def dentro_de_um_loop():  # como numa célula do Jupyter
        return producao.chamar_app(_eco, corpo=b"oi").status

    assert asyncio.run(dentro_de_um_loop()) == 201


def test_chamar_app_levanta_o_erro_do_app_sem_resposta():
    async def quebra(scope, receive, send):
        raise RuntimeError("quebrou")

    with pytest.raises(RuntimeError, match="quebrou"):
        producao.chamar_app(quebra)


def test_store_que_nao_existe_nao_e_criado(tmp_path):
    banco = tmp_path / "nao-existe" / "mlflow.db"
    with pytest.raises(servidor.ErroDoServidor, match="ainda não existe"):
        servidor.resolver_modelo("models:/tempo_entrega@champion", "sqlite:///" + banco.as_posix())
    assert not banco.parent.exists()


def test_cli_sem_champion_manda_rodar_make_run(tmp_path, monkeypatch, capsys):
    banco = tmp_path / "vazio" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///" + banco.as_posix())
    from curso_mlops import processos

    assert producao.main(["--porta", str(processos.porta_livre())]) == 1
    erro = capsys.readouterr().err
    assert "models:/tempo_entrega@champion" in erro and "make run" in erro and "make serve-producao" in erro
    assert not banco.parent.exists()


@pytest.mark.parametrize("argumentos", [["--trabalhadores", "0"], ["--limite-corpo", "0"], ["--prazo", "-1"]])
def test_cli_recusa_numeros_invalidos(argumentos, capsys):
    assert producao.main(argumentos) == 2
    assert "precisam ser positivos" in capsys.readouterr().err


def test_comando_do_aluno_e_host_so_local():
    assert producao.comando_cli(porta=5400, trabalhadores=2) == (
        "python scripts/servir_producao.py --modelo models:/tempo_entrega@champion --porta 5400 --trabalhadores 2")
    with pytest.raises(servidor.ErroDoServidor, match="127.0.0.1"):
        producao.ServidorDeProducao(host="0.0.0.0")
    mlflow = servidor.ServidorDeModelo("models:/x@champion", porta=5301, trabalhadores=2)
    assert mlflow.comando_cli == "mlflow models serve -m models:/x@champion -p 5301 -w 2 --env-manager local"
    assert not mlflow.rodando and mlflow.parar() is True


def test_socket_dos_workers_tem_tcp_nodelay():
    """Kludex/uvicorn#3149: sem IPPROTO_TCP no socket de escuta, o asyncio não liga o TCP_NODELAY."""
    import socket

    async def aceitar(escuta):
        conexoes = []
        servidor = await asyncio.get_running_loop().create_server(
            lambda: _Guardar(conexoes), sock=escuta)
        with socket.create_connection(escuta.getsockname()[:2]):
            for _ in range(100):
                if conexoes:
                    break
                await asyncio.sleep(0.01)
        servidor.close()
        return conexoes[0]

    class _Guardar(asyncio.Protocol):
        def __init__(self, conexoes):
            self.conexoes = conexoes

        def connection_made(self, transporte):
            s = transporte.get_extra_info("socket")
            self.conexoes.append((s.proto, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            transporte.close()

    def escuta():
        s = socket.socket(family=socket.AF_INET)  # como o uvicorn.Config.bind_socket
        s.bind(("127.0.0.1", 0))
        return s

    assert asyncio.run(aceitar(escuta()))[1] == 0  # o problema, como o uvicorn o deixa
    proto, nodelay = asyncio.run(aceitar(producao.com_tcp_nodelay(escuta())))
    assert proto == socket.IPPROTO_TCP and nodelay != 0
