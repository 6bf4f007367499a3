"""O servidor de modelo (curso_mlops.servidor) sem subir o MLflow: linha de comando, host, porta.

Os testes que sobem um `mlflow models serve` de verdade estão em tests/servir/.
"""

import socket
import sys
import time

import pytest

from curso_mlops import processos
from curso_mlops import servidor as srv


def test_linha_de_comando_e_a_do_aluno_e_o_processo_e_o_mesmo_python():
    servidor = srv.ServidorDeModelo("models:/tempo_entrega@champion", porta=5299)
    assert servidor.comando_cli == ("mlflow models serve -m models:/tempo_entrega@champion -p 5299 "
                                    "--env-manager local")
    assert servidor._comando()[:3] == [sys.executable, "-m", "mlflow"]
    assert servidor.url == "http://127.0.0.1:5299" and servidor.porta == 5299
    assert not servidor.rodando and servidor.log == ""


def test_ambiente_do_servidor_acha_o_uvicorn_do_mesmo_python(tmp_path):
    uri = "sqlite:///" + (tmp_path / "x.db").as_posix()
    ambiente = srv.ServidorDeModelo("models:/x@y", tracking_uri=uri)._ambiente()
    assert ambiente["PATH"].startswith(str(processos.Path(sys.executable).parent))
    assert ambiente["MLFLOW_TRACKING_URI"] == ambiente["MLFLOW_REGISTRY_URI"] == uri


def test_so_escuta_no_host_local():
    with pytest.raises(srv.ErroDoServidor, match="127.0.0.1"):
        srv.ServidorDeModelo("models:/x@y", host="0.0.0.0")


def test_porta_ocupada_e_avisada_antes_de_qualquer_coisa():
    with socket.socket() as ocupante:
        ocupante.bind(("127.0.0.1", 0))
        ocupante.listen()
        porta = ocupante.getsockname()[1]
        inicio = time.monotonic()
        with pytest.raises(srv.ErroDoServidor, match=f"porta {porta} já está em uso"):
            srv.ServidorDeModelo("models:/nao-existe@champion", porta=porta).iniciar()
        assert time.monotonic() - inicio < 2


def test_as_portas_sao_as_de_processos():
    """Os notebooks importam as portas daqui; são as mesmas funções de curso_mlops.processos."""
    assert srv.porta_disponivel is processos.porta_disponivel
    assert srv.porta_em_uso is processos.porta_em_uso and srv.porta_livre is processos.porta_livre


def test_modelo_desconhecido_tem_mensagem_clara(banco_com_tabelas):
    uri = banco_com_tabelas  # um store que existe, sem modelos
    with pytest.raises(srv.ErroDoServidor, match="Modelo não encontrado: 'models:/nao-existe@champion'"):
        srv.verificar_modelo("models:/nao-existe@champion", uri)
    srv.verificar_modelo("runs:/abc/model", uri)  # outros esquemas seguem sem verificação


def test_store_que_nao_existe_nao_e_criado_para_conferir(tmp_path):
    banco = tmp_path / "nao-existe" / "mlflow.db"
    for uri in ("models:/tempo_entrega@champion", "runs:/abc/model"):
        with pytest.raises(srv.ErroDoServidor, match="ainda não existe, então não tem"):
            srv.verificar_modelo(uri, "sqlite:///" + banco.as_posix())
    assert not banco.parent.exists()
