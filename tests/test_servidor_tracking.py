"""O servidor de tracking da turma (curso_mlops.servidor_tracking, make server/server-stop/server-auth).

Os testes de unidade conferem a linha de comando, o ini do basic-auth e cada caminho de erro;
o último sobe um servidor de verdade em segundo plano, com arquivo pid, e o para.
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


@pytest.mark.parametrize("ambiente, faltam", [
    ({}, ["MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_ADMIN_PASSWORD"]),
    ({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO}, ["MLFLOW_AUTH_ADMIN_PASSWORD"]),
    ({"MLFLOW_AUTH_ADMIN_PASSWORD": SENHA, "MLFLOW_FLASK_SERVER_SECRET_KEY": " "},
     ["MLFLOW_FLASK_SERVER_SECRET_KEY"]),
])
def test_sem_segredo_ou_senha_nao_sobe(ambiente, faltam):
    with pytest.raises(st.ErroDoServidorDeTracking) as erro:
        st.conferir_segredos_auth(ambiente)
    mensagem = str(erro.value)
    assert "não tem senha padrão" in mensagem
    for variavel in faltam:
        assert f"export {variavel}=" in mensagem


def test_senha_fraca_ou_segredo_curto():
    with pytest.raises(st.ErroDoServidorDeTracking, match="o mínimo é 12"):
        st.conferir_segredos_auth({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": "curta"})
    with pytest.raises(st.ErroDoServidorDeTracking, match="contém o nome do usuário"):
        st.conferir_segredos_auth({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": "Admin-Forte-Curso-9"})
    with pytest.raises(st.ErroDoServidorDeTracking, match="curto demais"):
        st.conferir_segredos_auth({"MLFLOW_FLASK_SERVER_SECRET_KEY": "abc",
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": SENHA})
    assert st.conferir_segredos_auth({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                      "MLFLOW_AUTH_ADMIN_PASSWORD": SENHA,
                                      "MLFLOW_AUTH_ADMIN_USERNAME": "docente"}) == ("docente", SENHA)


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
        config = _config(tmp_path, porta=ocupante.getsockname()[1])
        with pytest.raises(st.ErroDoServidorDeTracking, match="já está em uso"):
            st.iniciar_em_segundo_plano(config, ambiente={"PATH": os.environ["PATH"]})
    assert not config.arquivo_pid.exists()


# -- o script e o make ------------------------------------------------------------------------
def _sem_segredos():
    return {k: v for k, v in os.environ.items()
            if k not in ("MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_ADMIN_PASSWORD")}


def test_script_auth_sem_segredos_recusa(tmp_path, rodar_script):
    resultado = rodar_script(["scripts/servidor_tracking.py", "--pasta", tmp_path / "srv",
                              "iniciar", "--auth", "--porta", st.porta_livre()], env=_sem_segredos())
    assert resultado.returncode == 1
    assert "não tem senha padrão" in resultado.stderr
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in resultado.stderr
    assert not (tmp_path / "srv" / st.ARQUIVO_PID).exists()


def test_make_server_auth_sem_segredos_recusa(raiz):
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make não está instalado")
    ambiente = _sem_segredos()
    ambiente["PORTA_SERVIDOR"] = str(st.porta_livre())
    resultado = subprocess.run(["make", "-s", "server-auth"], cwd=raiz, env=ambiente,
                               capture_output=True, text=True, timeout=600)
    assert resultado.returncode != 0
    assert "não tem senha padrão" in resultado.stderr
    assert "export MLFLOW_FLASK_SERVER_SECRET_KEY=" in resultado.stderr


def test_script_comando_e_host(rodar_script):
    resultado = rodar_script(["scripts/servidor_tracking.py", "comando", "--porta", "5001"])
    assert resultado.returncode == 0
    assert resultado.stdout.startswith("mlflow server --backend-store-uri sqlite:///")
    assert "--port 5001" in resultado.stdout
    resultado = rodar_script(["scripts/servidor_tracking.py", "comando", "--host", "0.0.0.0"])
    assert resultado.returncode == 1 and "só em 127.0.0.1" in resultado.stderr


@pytest.mark.lento
def test_iniciar_em_segundo_plano_e_parar_pelo_pid(tmp_path, rodar_script):
    """make server / make server-stop: pid, 'já está rodando', parada do grupo, nada sobra."""
    pasta = tmp_path / "srv"
    config = st.Configuracao(pasta=pasta, porta=st.porta_livre())
    base = ["scripts/servidor_tracking.py", "--pasta", pasta]
    try:
        inicio = rodar_script([*base, "iniciar", "--porta", config.porta], timeout=180)
        assert inicio.returncode == 0, inicio.stderr
        assert f"export MLFLOW_TRACKING_URI={config.url}" in inicio.stdout
        dados = json.loads(config.arquivo_pid.read_text())
        pid = dados["pid"]
        assert st.grupo_vivo(pid) and dados["url"] == config.url
        assert config.arquivo_log.exists() and (pasta / "mlflow.db").exists()

        de_novo = rodar_script([*base, "iniciar", "--porta", st.porta_livre()])
        assert de_novo.returncode == 1 and "já está rodando" in de_novo.stderr
        assert f"pid {pid}" in de_novo.stderr
        assert "Servidor rodando" in rodar_script([*base, "situacao"]).stdout

        parada = rodar_script([*base, "parar"], timeout=120)
        assert parada.returncode == 0, parada.stderr
        assert not st.grupo_vivo(pid), "sobrou processo do servidor"
        assert not config.arquivo_pid.exists()
        assert not st.porta_em_uso(config.porta)

        outra = rodar_script([*base, "parar"])
        assert outra.returncode == 1 and "Nada foi parado" in outra.stderr
    finally:
        dados = st.ler_pid(config)
        if dados and dados.get("pid"):
            st.parar_grupo(int(dados["pid"]), 10)
