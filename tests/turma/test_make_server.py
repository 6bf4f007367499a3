"""`make server`, `make server-stop`, `make server-auth` e `make ui` de verdade, como o instrutor os roda.

Sobe um `mlflow server` em segundo plano numa pasta e porta temporárias, com arquivo pid, e o
para; confere as recusas (sem segredos, porta ocupada) com uma linha em português.
"""

import json
import os
import shutil
import socket
import subprocess

import pytest

from curso_mlops import servidor_tracking as st

pytestmark = [pytest.mark.servidor, pytest.mark.turma]


def _sem_segredos():
    return {k: v for k, v in os.environ.items()
            if k not in ("MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_ADMIN_PASSWORD")}


def _make(raiz, *args, env=None):
    if shutil.which("make") is None:
        pytest.skip("make não está instalado")
    return subprocess.run(["make", "-s", *args], cwd=raiz, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=600)


def test_make_server_auth_sem_segredos_recusa(raiz):
    ambiente = _sem_segredos()
    ambiente["PORTA_SERVIDOR"] = str(st.porta_livre())
    resultado = _make(raiz, "server-auth", env=ambiente)
    assert resultado.returncode != 0
    assert "não tem senha padrão" in resultado.stderr
    assert "export MLFLOW_FLASK_SERVER_SECRET_KEY=" in resultado.stderr


@pytest.mark.parametrize("alvo, variavel", [("ui", "PORTA_UI"), ("server", "PORTA_SERVIDOR")])
def test_make_com_a_porta_ocupada_diz_qual_e_como_trocar(raiz, tmp_path, alvo, variavel):
    with socket.socket() as ocupante:
        ocupante.bind(("127.0.0.1", 0))
        ocupante.listen()
        porta = ocupante.getsockname()[1]
        # (o `make serve` com a porta ocupada está em tests/servir/test_make_serve.py: ele precisa
        # de um champion no store antes de olhar a porta)
        ambiente = dict(os.environ, MLFLOW_TRACKING_URI="sqlite:///" + (tmp_path / "x.db").as_posix())
        resultado = _make(raiz, alvo, f"{variavel}={porta}", env=ambiente)
    assert resultado.returncode != 0
    erros = [l for l in resultado.stderr.splitlines() if l.startswith("erro:")]
    assert len(erros) == 1, resultado.stderr
    assert f"porta {porta} já está em uso" in erros[0]
    assert f"make {alvo} {variavel}={porta + 1}" in erros[0]


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
