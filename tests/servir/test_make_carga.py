"""`make carga` (scripts/carga.py): a fumaça roda os dois servidores e grava o JSON e o gráfico;
interrompido no meio (Ctrl+C ou SIGTERM), não deixa processo para trás."""

import json
import os
import re
import signal
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from curso_mlops import processos

pytestmark = pytest.mark.servidor

RAIZ = Path(__file__).resolve().parent.parent.parent


def _ambiente(uri):
    return dict(os.environ, MLFLOW_TRACKING_URI=uri)


def _servidores_na_porta(porta):
    """Processos vivos do curso (produção ou mlflow models serve) que receberam esta porta."""
    achados = []
    for processo in psutil.process_iter(["cmdline", "status"]):
        try:
            partes = processo.info["cmdline"] or []
            texto = " ".join(partes)
        except psutil.Error:
            continue
        if processo.info["status"] == psutil.STATUS_ZOMBIE or str(porta) not in partes:
            continue
        if "curso_mlops.producao" in texto or "models serve" in texto or "uvicorn" in texto:
            achados.append(processo.pid)
    return achados


def test_carga_rapida_mede_os_dois_servidores(store_do_champion, tmp_path, rodar_script):
    saida, grafico = tmp_path / "carga.json", tmp_path / "carga.png"
    inicio = time.monotonic()
    resultado = rodar_script(["scripts/carga.py", "--rapido", "--saida", saida, "--grafico", grafico],
                             env=_ambiente(store_do_champion), timeout=300)
    assert resultado.returncode == 0, resultado.stderr[-3000:]
    assert time.monotonic() - inicio < 180
    dados = json.loads(saida.read_text(encoding="utf-8"))
    assert dados["origem"] == "store do curso" and dados["respostas_da_aula_iguais"] is True
    assert [(c["servidor"], c["trabalhadores"]) for c in dados["configuracoes"]] == [("producao", 1), ("mlflow", 1)]
    for config in dados["configuracoes"]:
        assert json.loads(config["resposta_da_aula"])["predictions"][0]["0"] == pytest.approx(34.3, abs=0.1)
        assert [n["clientes"] for n in config["niveis"]] == [1, 4]
        for nivel in config["niveis"]:
            assert nivel["erros"] == 0 and 0 < nivel["ok"] <= dados["limites_por_nivel"]["pedidos"]
            assert nivel["segundos"] < dados["limites_por_nivel"]["segundos"] + 5
            assert 0 < nivel["p50_ms"] <= nivel["p95_ms"] <= nivel["p99_ms"] and nivel["vazao"] > 0
        assert not processos.vivo(config["pid"]) and not processos.porta_em_uso(config["porta"])
        assert not _servidores_na_porta(config["porta"])
    assert grafico.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and grafico.stat().st_size < 150_000
    assert "p50 ms" in resultado.stdout and "mlflow models serve" in resultado.stdout


@pytest.mark.parametrize("sinal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_carga_interrompida_nao_deixa_processo(store_do_champion, tmp_path, sinal):
    log, saida = tmp_path / "carga.log", tmp_path / "carga.json"
    carga = processos.iniciar([sys.executable, "scripts/carga.py", "--servidores", "producao", "--trabalhadores", "1",
                               "--clientes", "4", "--segundos", "60", "--pedidos", "1000000", "--saida", saida,
                               "--grafico", tmp_path / "carga.png"],
                              log=log, env=_ambiente(store_do_champion), cwd=RAIZ)
    porta = None
    try:
        def servidor_no_ar():
            nonlocal porta
            achado = re.search(r"em http://127\.0\.0\.1:(\d+)", log.read_text())
            if not achado:
                return False
            porta = int(achado[1])
            return urllib.request.urlopen(f"http://127.0.0.1:{porta}/ping", timeout=2).status == 200

        processos.esperar(servidor_no_ar, carga, prazo=120)
        time.sleep(2)  # a carga já está rodando (aquecimento e medição)
        assert _servidores_na_porta(porta), "o servidor devia estar no ar"
        os.kill(carga.pid, sinal)  # só no script, como o Ctrl+C de quem o rodou
        assert carga.wait(timeout=60) == 130
    finally:
        processos.parar(carga.pid, processo=carga)
    texto = log.read_text()
    assert "Interrompido: os servidores foram parados" in texto and "Traceback" not in texto
    assert not saida.exists()
    assert not processos.porta_em_uso(porta) and not _servidores_na_porta(porta)
