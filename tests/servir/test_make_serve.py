"""`make serve`, `make bench` e um notebook que falha com o servidor no ar, sobre um modelo mínimo.

Nenhum deles precisa do curso: o modelo `modelo-minimo@champion` é registrado num store
próprio (tests/servir/conftest.py).
"""

import json
import os

import nbformat
import pytest
import requests

from curso_mlops import processos
from curso_mlops.servidor import porta_em_uso, porta_livre

pytestmark = [pytest.mark.lento, pytest.mark.servidor]

PEDIDO_DA_AULA = {"dataframe_records": [{"distancia": 20}]}


def test_notebook_que_falha_nao_deixa_servidor(tmp_path, modelo_minimo, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 00 · Falhar com o servidor no ar"),
        nbformat.v4.new_code_cell('PORTA = 0\nARQUIVO_PID = ""'),
        nbformat.v4.new_code_cell(
            "from pathlib import Path\n"
            "from curso_mlops.servidor import ServidorDeModelo\n"
            'servidor = ServidorDeModelo("models:/modelo-minimo@champion", porta=PORTA)\n'
            "servidor.iniciar()\n"
            "Path(ARQUIVO_PID).write_text(str(servidor.processo.pid))"),
        nbformat.v4.new_code_cell('raise RuntimeError("falha de propósito com o servidor no ar")'),
    ]
    nb.cells[1].metadata["tags"] = ["parameters"]
    for i, celula in enumerate(nb.cells):
        celula.id = f"c{i}"
    nbformat.write(nb, pasta / "00_falhar.ipynb")

    porta, arquivo_pid = porta_livre(), tmp_path / "servidor.pid"
    resultado = rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--tracking-uri",
                              modelo_minimo, "--saida", tmp_path / "saida", "-p", "PORTA", str(porta),
                              "-p", "ARQUIVO_PID", str(arquivo_pid)], timeout=300)
    assert resultado.returncode == 1
    assert "falha de propósito com o servidor no ar" in resultado.stderr
    pid = int(arquivo_pid.read_text())  # o servidor chegou a subir
    assert not processos.grupo_vivo(pid), "sobrou processo do grupo do servidor"
    assert not porta_em_uso(porta)


# --- make serve e make bench ---------------------------------------------------------------

def _ambiente(uri):
    return dict(os.environ, MLFLOW_TRACKING_URI=uri, MLFLOW_REGISTRY_URI=uri)


def test_make_serve_sem_champion_manda_rodar_make_run(tmp_path, rodar_script):
    banco = tmp_path / "nao-existe" / "mlflow.db"
    resultado = rodar_script(["scripts/servir.py"], env=_ambiente("sqlite:///" + banco.as_posix()))
    assert resultado.returncode == 1
    assert "models:/tempo_entrega@champion" in resultado.stderr and "make run" in resultado.stderr
    assert not banco.parent.exists(), "conferir não pode criar um store vazio"


def test_make_serve_com_a_porta_ocupada(modelo_minimo, rodar_script):
    import socket

    with socket.socket() as ocupante:
        ocupante.bind(("127.0.0.1", 0))
        ocupante.listen()
        porta = ocupante.getsockname()[1]
        resultado = rodar_script(["scripts/servir.py", "--modelo", "models:/modelo-minimo@champion",
                                  "--porta", str(porta)], env=_ambiente(modelo_minimo))
    assert resultado.returncode == 1
    erros = [l for l in resultado.stderr.splitlines() if l.strip()]
    assert len(erros) == 1 and erros[0].startswith(f"erro: a porta {porta} já está em uso")
    assert f"`make serve PORTA_API={porta + 1}`" in erros[0]


def test_make_serve_responde_ao_curl_da_aula_e_para_com_ctrl_c(modelo_minimo, raiz, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    porta, log = porta_livre(), tmp_path / "make-serve.log"
    with open(log, "w", encoding="utf-8") as arquivo:
        processo = subprocess.Popen(
            [sys.executable, "scripts/servir.py", "--modelo", "models:/modelo-minimo@champion",
             "--porta", str(porta)], cwd=raiz, env=_ambiente(modelo_minimo), start_new_session=True,
            stdout=arquivo, stderr=subprocess.STDOUT, text=True)
    try:
        limite = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{porta}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
            if processo.poll() is not None or time.monotonic() > limite:
                pytest.fail(f"make serve não respondeu /ping (código {processo.poll()}):\n"
                            f"{log.read_text(encoding='utf-8')[-2000:]}")
        resposta = requests.post(f"http://localhost:{porta}/invocations", json=PEDIDO_DA_AULA, timeout=30)
        assert resposta.status_code == 200 and 33 < resposta.json()["predictions"][0]["0"] < 35
    finally:
        if processo.poll() is None:
            os.kill(processo.pid, signal.SIGINT)  # o Ctrl+C no terminal do `make serve`
        try:
            processo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # O Ctrl+C não bastou: o teste falha, mas o grupo inteiro (o servir.py e o servidor
            # que ele subiu) para aqui, e nada fica na porta para os testes seguintes.
            processos.parar(processo.pid, processo=processo)
            pytest.fail("make serve não parou em 60 s depois do Ctrl+C:\n"
                        f"{log.read_text(encoding='utf-8')[-2000:]}")
    saida = log.read_text(encoding="utf-8")
    assert processo.returncode == 0, saida[-2000:]
    assert "Parando o servidor..." in saida
    assert f"mlflow models serve -m models:/modelo-minimo@champion -p {porta} --env-manager local" in saida
    assert "curl http://localhost" in saida
    limite = time.monotonic() + 20
    while porta_em_uso(porta) and time.monotonic() < limite:
        time.sleep(0.2)
    assert not porta_em_uso(porta)
    assert not _processos_do_servidor(porta), "sobrou um processo do servidor"


def _processos_do_servidor(porta):
    """PIDs de `mlflow models serve` ou `uvicorn` na `porta` (pelo psutil, em qualquer sistema)."""
    achados = []
    for processo in processos.psutil.process_iter(["cmdline"]):
        partes = processo.info["cmdline"] or []
        texto = " ".join(partes)
        if str(porta) in partes and ("models serve" in texto or "uvicorn" in texto):
            achados.append(processo.pid)
    return achados


def test_make_bench_so_api_mede_e_grava_o_json(modelo_minimo, tmp_path, rodar_script):
    saida = tmp_path / "bench.json"
    resultado = rodar_script(["scripts/bench.py", "--so-api", "--modelo", "models:/modelo-minimo@champion",
                              "--chamadas", "5", "--linhas", "200", "--saida", saida],
                             env=_ambiente(modelo_minimo))
    assert resultado.returncode == 0, resultado.stderr[-2000:]
    dados = json.loads(saida.read_text())
    assert dados["origem"] == "store do curso" and dados["linhas_lote"] == 200
    for chave in ("rest_1_linha_ms", "processo_1_linha_ms", "rest_1_linha_cliente_da_carga_ms"):
        assert 0 < dados[chave]["p50"] <= dados[chave]["p95"] <= dados[chave]["p99"]
    assert "1 linha, p50, cliente carga" in resultado.stdout
    assert dados["rest_lote"]["linhas_por_segundo"] > 0 and dados["razao_rest_processo_1_linha"] > 0
    assert 33 < dados["previsao_20km"] < 35
    assert "1 linha, p50 (ms)" in resultado.stdout and "200 linhas, linhas/s" in resultado.stdout
    assert "piso" not in dados, "--so-api não mede o curso"


def test_bench_piso_soma_as_partes_com_as_contagens_do_curso(modelo_minimo, tmp_path, monkeypatch):
    """O piso = notebooks × kernel + partidas de servidor × partida + mlflow run × run (sem rodar o curso)."""
    from scripts import bench

    monkeypatch.setattr(bench, "rodar_curso", lambda pasta, notebooks=None: (modelo_minimo, 100.0))
    monkeypatch.setattr(bench, "medir_kernel_e_imports", lambda pasta, n: (5.0, [5.0] * n))
    projeto = {}

    def medir_projeto(uri, n):
        projeto.update(uri=uri)
        return 8.0, [8.0] * n

    monkeypatch.setattr(bench, "medir_mlflow_run", medir_projeto)
    partida = {}

    def medir_partida(modelo, uri, n):
        partida.update(modelo=modelo, uri=uri)
        return 4.0, [4.0] * n

    monkeypatch.setattr(bench, "medir_partida_de_servidor", medir_partida)
    numeros, uri = bench.medir_piso_e_curso(tmp_path, repeticoes=2)
    quantos = len(bench.nbs.listar())
    # as partidas das aulas 06, 08 e 09 e o `mlflow run` da 10 (ver o comentário em bench.py)
    assert bench.NECESSARIO_PELO_CURSO == {"partidas_de_servidor": 3, "mlflow_run": 1}
    assert numeros["piso_segundos"] == round(quantos * 5.0 + 3 * 4.0 + 1 * 8.0, 1)
    assert numeros["razao_curso_piso"] == round(100.0 / numeros["piso_segundos"], 2)
    # o servidor e o `mlflow run` do piso usam o store em que o curso rodou (o projeto precisa
    # da run de preparação da aula 02)
    assert partida["uri"] == projeto["uri"] == uri == modelo_minimo
    assert "curso / piso" in bench.tabela_piso(numeros)


def test_bench_mede_uma_partida_de_servidor_de_verdade(modelo_minimo):
    from scripts import bench

    mediana, todas = bench.medir_partida_de_servidor("models:/modelo-minimo@champion", modelo_minimo, 1)
    assert len(todas) == 1 and 0 < mediana < 120


def test_bench_mede_o_kernel_com_os_imports_das_aulas(tmp_path):
    from scripts import bench

    mediana, todas = bench.medir_kernel_e_imports(tmp_path, 1)
    assert len(todas) == 1 and 0 < mediana < 120
    executado = bench.nbs.ler(tmp_path / "piso-executado.ipynb")
    assert executado.cells[0].source == bench.IMPORTS_DAS_AULAS
    assert not [s for s in executado.cells[0].outputs if s.get("output_type") == "error"]
