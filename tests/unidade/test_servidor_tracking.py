"""O servidor de tracking da turma (curso_mlops.servidor_tracking): configuração, linha de
comando, ambiente do processo e o arquivo pid, sem subir servidor nenhum.

Subir de verdade (make server / server-stop) está em tests/turma/test_make_server.py; os
segredos e o ini do basic-auth, em test_basic_auth.py.
"""

import json
import os
import stat
import subprocess
import sys

import pytest

from curso_mlops import servidor_tracking as st

SEGREDO = "0123456789abcdef0123456789abcdef"
SENHA = "Professor-Forte-Curso-9"


def _config(tmp_path, **extras):
    return st.Configuracao(pasta=tmp_path / "srv", **extras)


def test_comando_padrao_sqlite_proprio_e_artefatos_pelo_servidor(tmp_path):
    config = _config(tmp_path)
    pasta = (tmp_path / "srv").as_posix()
    assert st.argumentos(config) == [
        "server", "--backend-store-uri", f"sqlite:///{pasta}/mlflow.db",
        "--artifacts-destination", f"{pasta}/artefatos", "--serve-artifacts",
        "--host", "127.0.0.1", "--port", "5000", "--workers", "2"]
    assert st.comando(config)[:3] == [sys.executable, "-m", "mlflow"]
    assert st.comando_cli(config).startswith("mlflow server --backend-store-uri sqlite:///")
    assert config.url == "http://127.0.0.1:5000"


def test_pasta_do_servidor_esta_no_gitignore(raiz):
    assert "servidor/" in (raiz / ".gitignore").read_text().splitlines()


def test_padrao_nao_e_o_store_embutido(raiz):
    config = st.Configuracao()
    assert config.pasta == raiz / "servidor"
    assert config.uri_backend != "sqlite:///" + (raiz / "mlflow.db").as_posix()
    assert config.uri_backend.endswith("/servidor/mlflow.db")


def test_postgres_s3_porta_e_auth(tmp_path):
    config = _config(tmp_path, backend_uri="postgresql://curso:segredo@db:5432/mlflow",
                     artefatos="s3://turma/mlflow", porta=5001, trabalhadores=4, auth=True)
    args = st.argumentos(config)
    assert args[args.index("--backend-store-uri") + 1] == "postgresql://curso:segredo@db:5432/mlflow"
    assert args[args.index("--artifacts-destination") + 1] == "s3://turma/mlflow"
    assert args[args.index("--port") + 1] == "5001" and args[args.index("--workers") + 1] == "4"
    assert args[-2:] == ["--app-name", "basic-auth"]
    # A senha do banco não aparece no que o curso imprime.
    assert "segredo" not in config.descrever() and "curso:***@db:5432" in config.descrever()


def test_backend_vazio_vale_o_padrao(tmp_path):
    assert _config(tmp_path, backend_uri="  ").uri_backend.startswith("sqlite:///")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.0.10", "::"])
def test_so_escuta_no_host_local(tmp_path, host):
    with pytest.raises(st.ErroDoServidorDeTracking, match="só em 127.0.0.1"):
        _config(tmp_path, host=host)


@pytest.mark.parametrize("uri, trecho", [
    ("postgres://u@h/db", "não aceita o esquema 'postgres://'"),
    ("./mlruns", "não é um banco"),
    ("http://outro:5000", "não é um banco"),
])
def test_backend_invalido(tmp_path, uri, trecho):
    with pytest.raises(st.ErroDoServidorDeTracking, match=trecho):
        _config(tmp_path, backend_uri=uri)


def test_outras_opcoes_invalidas(tmp_path):
    with pytest.raises(st.ErroDoServidorDeTracking, match="Permissão padrão"):
        _config(tmp_path, permissao_padrao="EDIT")
    with pytest.raises(st.ErroDoServidorDeTracking, match="Porta inválida"):
        _config(tmp_path, porta=70000)
    with pytest.raises(st.ErroDoServidorDeTracking, match="trabalhador"):
        _config(tmp_path, trabalhadores=0)


def test_esconder_senha():
    assert st.esconder_senha("postgresql://u:p@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert st.esconder_senha("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")
def test_ini_do_basic_auth_e_lido_pelo_mlflow(tmp_path, monkeypatch):
    """O ini gerado é o que o MLflow 3.17 lê, sem a senha; a senha vem da variável."""
    from mlflow.server.auth.config import read_auth_config

    config = _config(tmp_path, auth=True)
    ambiente = st.ambiente_do_servidor(config, {
        "PATH": "/usr/bin", "MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
        "MLFLOW_AUTH_ADMIN_PASSWORD": SENHA, "MLFLOW_TRACKING_PASSWORD": "do-cliente"})
    arquivo = config.arquivo_config_auth
    assert ambiente["MLFLOW_AUTH_CONFIG_PATH"] == str(arquivo)
    assert SENHA not in arquivo.read_text(encoding="utf-8")
    assert stat.S_IMODE(arquivo.stat().st_mode) == 0o600
    assert "MLFLOW_TRACKING_PASSWORD" not in ambiente
    assert ambiente["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    for variavel in ("MLFLOW_AUTH_CONFIG_PATH", "MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_ADMIN_USERNAME"):
        monkeypatch.setenv(variavel, ambiente[variavel])
    lido = read_auth_config()
    assert lido.default_permission == "READ"
    assert lido.database_uri == config.uri_banco_auth
    assert lido.database_uri.endswith("/srv/auth/basic_auth.db")
    assert (lido.admin_username, lido.admin_password) == ("admin", SENHA)
    assert lido.auth_cache_ttl_seconds == 60


def test_sem_auth_nao_ha_ini(tmp_path):
    config = _config(tmp_path)
    ambiente = st.ambiente_do_servidor(config, {"PATH": "/usr/bin", "MLFLOW_AUTH_CONFIG_PATH": "/x"})
    assert "MLFLOW_AUTH_CONFIG_PATH" not in ambiente
    assert not config.arquivo_config_auth.exists()



# -- arquivo pid ---------------------------------------------------------------------------
def test_parar_sem_arquivo_pid_recusa(tmp_path):
    config = _config(tmp_path)
    with pytest.raises(st.ErroDoServidorDeTracking, match="não existe. Nada foi parado"):
        st.parar_pelo_pid(config)
    assert "Nenhum servidor" in st.situacao(config)


def _falso_servidor(*extras):
    """Um processo cuja linha de comando tem "mlflow", como a do servidor (sem subir o MLflow)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "mlflow", "server",
                             *extras], start_new_session=True)


def test_arquivo_pid_guarda_a_identidade_e_para_o_grupo(tmp_path):
    """O que `make server` grava (processos.identidade) é o que `make server-stop` confere."""
    from curso_mlops import processos

    config = _config(tmp_path)
    config.pasta.mkdir()
    servidor = _falso_servidor()
    try:
        registro = {**processos.identidade(servidor.pid), "url": config.url}
        config.arquivo_pid.write_text(json.dumps(registro))
        assert {"pid", "criado_em", "comando"} <= set(st.ler_pid(config))
        assert "Servidor rodando" in st.situacao(config)
        assert st.parar_pelo_pid(config, prazo=5) == f"Servidor de tracking parado (pid {servidor.pid}, {config.url})."
        assert servidor.wait(timeout=10) is not None
        assert not config.arquivo_pid.exists()
    finally:
        if servidor.poll() is None:
            servidor.kill()
            servidor.wait()


def test_depois_de_reiniciar_o_pid_reaproveitado_nao_e_parado(tmp_path):
    """Depois de reiniciar a máquina, o PID do arquivo é de outro processo, criado em outra hora,
    mesmo que ele também rode o MLflow: `make server-stop` recusa e não o mata."""
    from curso_mlops import processos

    config = _config(tmp_path)
    config.pasta.mkdir()
    outro = _falso_servidor("--outro")
    try:
        antigo = {**processos.identidade(outro.pid), "url": config.url}
        antigo["criado_em"] -= 7200  # o servidor de antes de reiniciar foi criado 2 h antes
        config.arquivo_pid.write_text(json.dumps(antigo))
        assert "é velho" in st.situacao(config)
        with pytest.raises(st.ErroDoServidorDeTracking, match="já não é o servidor.*Nada foi parado"):
            st.parar_pelo_pid(config)
        assert outro.poll() is None, "o outro processo foi morto"
        assert not config.arquivo_pid.exists()
    finally:
        outro.kill()
        outro.wait()


def test_o_arquivo_pid_nao_guarda_a_senha_do_banco(tmp_path):
    linha = "python -m mlflow server --backend-store-uri postgresql://curso:segredo@db:5432/mlflow"
    assert st._esconder_senhas(linha) == ("python -m mlflow server --backend-store-uri "
                                          "postgresql://curso:***@db:5432/mlflow")


def test_parar_com_arquivo_pid_velho_recusa_e_apaga(tmp_path):
    config = _config(tmp_path)
    config.pasta.mkdir()
    morto = subprocess.Popen(["true"])
    morto.wait()
    config.arquivo_pid.write_text(json.dumps({"pid": morto.pid, "url": config.url}))
    assert "é velho" in st.situacao(config)
    with pytest.raises(st.ErroDoServidorDeTracking, match="era velho.*Nada foi parado"):
        st.parar_pelo_pid(config)
    assert not config.arquivo_pid.exists()


def test_pid_de_outro_programa_nao_e_parado(tmp_path):
    """O pid foi reaproveitado por outro processo: o curso não o mata."""
    config = _config(tmp_path)
    config.pasta.mkdir()
    outro = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        config.arquivo_pid.write_text(json.dumps({"pid": outro.pid, "url": config.url}))
        with pytest.raises(st.ErroDoServidorDeTracking, match="já não é o servidor"):
            st.parar_pelo_pid(config)
        assert outro.poll() is None, "o outro processo foi morto"
    finally:
        outro.kill()
        outro.wait()


def test_arquivo_pid_ilegivel(tmp_path):
    config = _config(tmp_path)
    config.pasta.mkdir()
    config.arquivo_pid.write_text("lixo")
    with pytest.raises(st.ErroDoServidorDeTracking, match="ilegível"):
        st.parar_pelo_pid(config)
    assert not config.arquivo_pid.exists()


def test_porta_ocupada(tmp_path):
    import socket

    with socket.socket() as ocupante:
        ocupante.bind(("127.0.0.1", 0))
        ocupante.listen()
        porta = ocupante.getsockname()[1]
        config = _config(tmp_path, porta=porta)
        with pytest.raises(st.ErroDoServidorDeTracking) as erro:
            st.iniciar_em_segundo_plano(config, ambiente={"PATH": os.environ["PATH"]})
    assert str(erro.value).startswith(f"A porta {porta} já está em uso em 127.0.0.1")
    assert f"`make server PORTA_SERVIDOR={porta + 1}`" in str(erro.value)
    assert not config.arquivo_pid.exists()


def test_script_comando_e_host(rodar_script):
    resultado = rodar_script(["scripts/servidor_tracking.py", "comando", "--porta", "5001"])
    assert resultado.returncode == 0
    assert resultado.stdout.startswith("mlflow server --backend-store-uri sqlite:///")
    assert "--port 5001" in resultado.stdout
    resultado = rodar_script(["scripts/servidor_tracking.py", "comando", "--host", "0.0.0.0"])
    assert resultado.returncode == 1 and "só em 127.0.0.1" in resultado.stderr


def test_script_auth_sem_segredos_recusa(tmp_path, rodar_script):
    ambiente = {k: v for k, v in os.environ.items()
                if k not in ("MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_ADMIN_PASSWORD")}
    resultado = rodar_script(["scripts/servidor_tracking.py", "--pasta", tmp_path / "srv",
                              "iniciar", "--auth", "--porta", st.porta_livre()], env=ambiente)
    assert resultado.returncode == 1
    assert "não tem senha padrão" in resultado.stderr
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in resultado.stderr
    assert not (tmp_path / "srv" / st.ARQUIVO_PID).exists()


