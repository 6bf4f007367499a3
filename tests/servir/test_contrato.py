"""O contrato da API do champion e o que as aulas 05 e 06 deixam no Model Registry.

Os testes de contrato sobem um `mlflow models serve` de verdade (via `ServidorDeModelo`) sobre
o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo) e o atacam
com pedidos bons, ruins e hostis: o pedido da aula responde como na aula; nenhum pedido ruim
recebe 5xx nem um *stack trace*; o servidor continua de pé; e, sob concorrência, cada previsão
é igual à do mesmo modelo carregado no processo.

Dois alvos, um servidor para cada: o `champion` final do curso (o que `make serve` serve) e a
versão guardada mais recente da aula 06 (`origem = guarda`).
"""

import configparser
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from curso_mlops import notebooks as nbs
from curso_mlops.servidor import ServidorDeModelo, porta_em_uso, porta_livre

pytestmark = pytest.mark.lento

MODELO = "tempo_entrega"
NB05 = "05_registrar_e_versionar_modelos.ipynb"
NB06 = "06_servir_o_modelo_via_api.ipynb"
JSON = {"Content-Type": "application/json"}
PEDIDO_DA_AULA = {"dataframe_records": [{"distancia": 20}]}


def _versoes(cliente, origem):
    versoes = cliente.search_model_versions(f"name = '{MODELO}' and tags.origem = '{origem}'")
    return sorted(versoes, key=lambda v: int(v.version))


@pytest.fixture(scope="module")
def cliente(curso_executado):
    return MlflowClient(curso_executado["uri"], registry_uri=curso_executado["uri"])


@contextmanager
def _mlflow_no_store(uri):
    """Aponta o MLflow deste processo para `uri` e, no fim, devolve tudo como estava.

    `mlflow.set_tracking_uri` e `set_registry_uri` também gravam MLFLOW_TRACKING_URI e
    MLFLOW_REGISTRY_URI no os.environ (para os subprocessos herdarem): sem devolvê-los, o store
    de um teste vazaria para os seguintes.
    """
    import mlflow

    antes = {chave: os.environ.get(chave) for chave in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(antes["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(antes["MLFLOW_REGISTRY_URI"])
        for chave, valor in antes.items():
            if valor is None:
                os.environ.pop(chave, None)
            else:
                os.environ[chave] = valor


def _local(cliente, versao):
    """A pasta com os arquivos de uma versão: carregar dali não depende do store global do MLflow."""
    from urllib.parse import unquote, urlparse

    uri = cliente.get_model_version_download_uri(MODELO, str(versao))
    assert uri.startswith("file:"), uri
    return unquote(urlparse(uri).path)


@pytest.fixture(scope="module", params=["champion", "guardado-da-aula-06"])
def alvo(request, cliente, curso_executado, tmp_path_factory):
    import mlflow

    if request.param == "champion":
        versao = cliente.get_model_version_by_alias(MODELO, "champion").version
        uri = f"models:/{MODELO}@champion"
    else:
        versao = _versoes(cliente, "guarda")[-1].version
        uri = f"models:/{MODELO}/{versao}"
    local = _local(cliente, versao)
    modelo = mlflow.pyfunc.load_model(local)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with ServidorDeModelo(uri, tracking_uri=curso_executado["uri"], arquivo_log=log) as servidor:
        yield {"uri": uri, "local": local, "modelo": modelo, "servidor": servidor}
    assert not porta_em_uso(servidor.porta)


def _post(servidor, corpo, cabecalhos=None, sessao=requests):
    dados = corpo if isinstance(corpo, bytes) else json.dumps(corpo).encode()
    return sessao.post(f"{servidor.url}/invocations", data=dados, headers=cabecalhos or JSON, timeout=60)


def _no_processo(modelo, distancias):
    """A previsão do mesmo modelo no processo, uma linha por vez (como cada chamada REST)."""
    return {d: float(modelo.predict(pd.DataFrame({"distancia": [d]})).iloc[0]) for d in distancias}


# --- o pedido da aula e os formatos -------------------------------------------------------

def test_pedido_da_aula_responde_como_na_aula(alvo):
    resposta = _post(alvo["servidor"], PEDIDO_DA_AULA)
    assert resposta.status_code == 200, resposta.text
    assert resposta.headers["content-type"].startswith("application/json")
    corpo = resposta.json()
    assert list(corpo) == ["predictions"] and len(corpo["predictions"]) == 1
    assert list(corpo["predictions"][0]) == ["0"]
    previsto = corpo["predictions"][0]["0"]
    assert 32 <= previsto <= 37, f"a aula responde cerca de 34 min; veio {previsto}"
    assert previsto == _no_processo(alvo["modelo"], [20])[20]


def test_dataframe_split_e_distancia_maior_nunca_da_tempo_menor(alvo):
    distancias = [0.5, 2, 5, 10, 15, 20, 25]
    resposta = _post(alvo["servidor"], {"dataframe_split": {"columns": ["distancia"],
                                                            "data": [[d] for d in distancias]}})
    assert resposta.status_code == 200, resposta.text
    previstos = [p["0"] for p in resposta.json()["predictions"]]
    assert len(previstos) == len(distancias) and previstos == sorted(previstos)


def test_colunas_extras_sao_ignoradas(alvo):
    """A decisão documentada em curso_mlops/guarda.py: colunas que o modelo não usa não mudam nada."""
    sem = _post(alvo["servidor"], PEDIDO_DA_AULA)
    com = _post(alvo["servidor"], {"dataframe_records": [
        {"distancia": 20, "cor_da_moto": "azul", "pedido_id": "P999", "gorjeta": None}]})
    assert com.status_code == 200, com.text
    assert com.json() == sem.json()


def test_guarda_e_um_pyfunc_sem_sabor_statsmodels(alvo):
    import mlflow

    assert set(alvo["modelo"].metadata.flavors) == {"python_function"}
    with pytest.raises(MlflowException, match="statsmodels"):
        mlflow.statsmodels.load_model(alvo["local"])


# --- pedidos ruins, hostis e absurdos: 4xx, nunca 5xx, nunca um stack trace ----------------

_LIXO = np.random.default_rng(20250303).integers(32, 127, 5 * 1024 * 1024, dtype=np.uint8).tobytes()

# (rótulo, corpo, cabeçalhos, a mensagem do guarda nomeia `distancia`?)
HOSTIS = [
    ("coluna faltando", {"dataframe_records": [{"km": 20}]}, None, True),
    ("registros sem nomes", {"dataframe_records": [[20]]}, None, True),
    ("split sem colunas", {"dataframe_split": {"data": [[20]]}}, None, True),
    ("texto", {"dataframe_records": [{"distancia": "vinte"}]}, None, True),
    ("número como texto", {"dataframe_records": [{"distancia": "20"}]}, None, True),
    ("null", {"dataframe_records": [{"distancia": None}]}, None, True),
    ("NaN", b'{"dataframe_records": [{"distancia": NaN}]}', None, True),
    ("Infinity", b'{"dataframe_records": [{"distancia": Infinity}]}', None, True),
    ("negativo", {"dataframe_records": [{"distancia": -5}]}, None, True),
    ("zero", {"dataframe_records": [{"distancia": 0}]}, None, True),
    ("1e308", {"dataframe_records": [{"distancia": 1e308}]}, None, True),
    ("inteiro gigante", b'{"dataframe_records": [{"distancia": 1' + b"0" * 400 + b"}]}", None, True),
    ("true", {"dataframe_records": [{"distancia": True}]}, None, True),
    ("false", {"dataframe_records": [{"distancia": False}]}, None, True),
    ("uma linha boa e uma ruim", {"dataframe_records": [{"distancia": 5}, {"distancia": -1}]}, None, True),
    ("lista vazia", {"dataframe_records": []}, None, False),
    ("split sem linhas", {"dataframe_split": {"columns": ["distancia"], "data": []}}, None, False),
    ("objeto aninhado", {"dataframe_records": [{"distancia": {"km": 20}}]}, None, True),
    ("lista aninhada", {"dataframe_records": [{"distancia": [[[20]]]}]}, None, True),
    ("inputs aninhado", {"inputs": {"distancia": {"a": [1]}}}, None, True),
    ("colunas repetidas", {"dataframe_split": {"columns": ["distancia", "distancia"], "data": [[1, 2]]}}, None, False),
    ("dois formatos", {"dataframe_records": [{"distancia": 20}], "dataframe_split": {"data": [[1]]}}, None, False),
    ("sem formato", {"distancia": 20}, None, False),
    ("formato de chat (LLM)", {"messages": [{"role": "user", "content": "quanto tempo?"}]}, None, True),
    ("JSON mal formado", b'{"dataframe_records": [{"distancia": 20}', None, False),
    ("lista no topo", b"[1, 2, 3]", None, False),
    ("bytes que não são UTF-8", b"\xff\xfe\x00\x01", None, False),
    ("5 MB de lixo", _LIXO, None, False),
    ("content type text/plain", b"distancia=20", {"Content-Type": "text/plain"}, False),
    ("content type xml", b"<distancia>20</distancia>", {"Content-Type": "application/xml"}, False),
    ("charset latin-1", b'{"dataframe_records": [{"distancia": 20}]}',
     {"Content-Type": "application/json; charset=latin-1"}, False),
]


@pytest.mark.parametrize("rotulo, corpo, cabecalhos, nomeia_o_campo", HOSTIS, ids=[h[0] for h in HOSTIS])
def test_pedido_hostil_recebe_4xx_sem_stack_trace(alvo, rotulo, corpo, cabecalhos, nomeia_o_campo):
    resposta = _post(alvo["servidor"], corpo, cabecalhos)
    assert 400 <= resposta.status_code < 500, f"{rotulo}: {resposta.status_code} {resposta.text[:300]}"
    assert "Traceback" not in resposta.text and 'File "' not in resposta.text
    assert "stack_trace" not in resposta.text
    if nomeia_o_campo:
        mensagem = resposta.json()["message"]
        assert ("'distancia'" in mensagem and "deve ser um número" in mensagem) or "falta a coluna" in mensagem, mensagem
        assert "Entrada inválida" in mensagem


def test_servidor_continua_de_pe_depois_dos_pedidos_hostis(alvo):
    servidor = alvo["servidor"]
    assert servidor.rodando
    assert requests.get(f"{servidor.url}/ping", timeout=10).status_code == 200
    assert _post(servidor, PEDIDO_DA_AULA).status_code == 200
    assert "Traceback" not in servidor.log


# O que acontece antes do modelo (o parser do servidor do MLflow 3.17) e o guarda não alcança.
# Ficam registrados como falhas esperadas: se uma versão nova do MLflow corrigir, o teste avisa.
LIMITES_DO_SERVIDOR = [
    ("CSV quebrado", b'distancia\n"20', {"Content-Type": "text/csv"}),
    ("Parquet que não é Parquet", b"PAR1 lixo", {"Content-Type": "application/vnd.apache.parquet"}),
    ("JSON aninhado 100 mil níveis", b"[" * 100_000 + b"]" * 100_000, None),
    ("sem Content-Type", b'{"dataframe_records": [{"distancia": 20}]}', {}),
]


@pytest.mark.xfail(strict=True, reason="limite do servidor do MLflow 3.17, antes do modelo: "
                   "stack trace no corpo (CSV, Parquet) ou 500 (recursão, sem Content-Type)")
@pytest.mark.parametrize("rotulo, corpo, cabecalhos", LIMITES_DO_SERVIDOR, ids=[l[0] for l in LIMITES_DO_SERVIDOR])
def test_limites_do_servidor_do_mlflow(alvo, rotulo, corpo, cabecalhos):
    import http.client

    conexao = http.client.HTTPConnection(alvo["servidor"].host, alvo["servidor"].porta, timeout=60)
    try:  # http.client não acrescenta cabeçalhos: o pedido "sem Content-Type" vai mesmo sem
        conexao.request("POST", "/invocations", body=corpo, headers=JSON if cabecalhos is None else cabecalhos)
        resposta = conexao.getresponse()
        status, texto = resposta.status, resposta.read().decode(errors="replace")
    finally:
        conexao.close()
    assert 400 <= status < 500 and "Traceback" not in texto


def test_servidor_continua_de_pe_depois_dos_limites_do_mlflow(alvo):
    """Nem o 500 do parser do MLflow derruba o servidor (o log dele, aí sim, tem o traceback)."""
    assert alvo["servidor"].rodando
    assert requests.get(f"{alvo['servidor'].url}/ping", timeout=10).status_code == 200
    assert _post(alvo["servidor"], PEDIDO_DA_AULA).status_code == 200


# --- concorrência --------------------------------------------------------------------------

def test_concorrencia_8_threads_50_pedidos_iguais_ao_processo(alvo):
    distancias = [round(float(d), 1) for d in np.linspace(0.5, 26.0, 50)]
    esperado = _no_processo(alvo["modelo"], distancias)
    erros, conferidos = [], []
    trava = threading.Lock()

    def cliente_http(numero):
        with requests.Session() as sessao:
            for i in range(50):
                distancia = distancias[(numero * 7 + i) % len(distancias)]
                resposta = _post(alvo["servidor"], {"dataframe_records": [{"distancia": distancia}]},
                                 sessao=sessao)
                with trava:
                    if resposta.status_code != 200:
                        erros.append((distancia, resposta.status_code, resposta.text[:200]))
                    else:
                        conferidos.append(resposta.json()["predictions"][0]["0"] == esperado[distancia])

    with ThreadPoolExecutor(max_workers=8) as executor:
        list(executor.map(cliente_http, range(8)))
    assert not erros, erros[:3]
    assert len(conferidos) == 400 and all(conferidos)


# --- o que as aulas 05 e 06 deixam no registro (depois de duas execuções do curso) --------

def test_aula_05_registra_uma_versao_base_por_execucao(cliente, curso_executado):
    bases = _versoes(cliente, "candidato")
    assert len(bases) == 2, "cada execução do curso registra o seu candidato"
    for versao in bases:
        assert versao.tags["tipo"] == "base"
        assert versao.tags["formula"] == "tempo_entrega ~ distancia"
        assert re.fullmatch(r"[0-9a-f]{12}", versao.tags["versao_dados"])
        assert 0 < float(versao.tags["mae_teste"]) <= 5
        assert versao.tags["autor"] and versao.tags["curso"]
        assert versao.description and versao.tags["versao_dados"] in versao.description
        assert versao.source.startswith("models:/m-")
        assert cliente.get_run(versao.run_id).data.tags["etapa"] == "treino"
    # a mais nova vem do candidato atual da aula 04
    atual = cliente.get_run(bases[-1].run_id).data.tags
    assert atual.get("candidato_producao") == "true"
    registrado = cliente.get_registered_model(MODELO)
    assert registrado.description and registrado.tags["alvo"] == "tempo_entrega"


def test_aula_06_registra_o_guardado_que_aponta_para_a_base(cliente):
    import mlflow

    bases, guardadas = _versoes(cliente, "candidato"), _versoes(cliente, "guarda")
    assert len(guardadas) == 2, "cada execução do curso registra a sua versão guardada"
    # 05 e 06 rodam nessa ordem em cada execução: base1 < guardada1 < base2 < guardada2
    for base, guardada in zip(bases, guardadas):
        assert guardada.tags["versao_base"] == str(base.version)
        assert int(guardada.version) > int(base.version)
        assert guardada.tags["tipo"] == "guardado"
        for chave in ("formula", "versao_dados", "mae_teste"):
            assert guardada.tags[chave] == base.tags[chave]
        faixa = guardada.tags["entrada.distancia"]
        assert faixa.startswith("maior que 0 e até ") and faixa.endswith(" km")
        assert faixa in guardada.description
        assert cliente.get_run(guardada.run_id).data.tags["etapa"] == "guarda"
        sabores = mlflow.models.Model.load(_local(cliente, guardada.version)).flavors  # só lê o MLmodel
        assert set(sabores) == {"python_function"}
        assert sabores["python_function"]["code"] == "code"
        assert sabores["python_function"]["artifacts"]["modelo_base"]["uri"] == f"models:/{MODELO}/{base.version}"
    assert int(guardadas[0].version) < int(bases[1].version)


def test_guardada_leva_o_codigo_do_guarda_e_a_copia_da_base(cliente, tmp_path):
    import mlflow

    pasta = mlflow.artifacts.download_artifacts(
        artifact_uri=_local(cliente, _versoes(cliente, "guarda")[-1].version), dst_path=str(tmp_path))
    arquivos = sorted(p.relative_to(pasta).as_posix() for p in Path(pasta).rglob("*") if p.is_file())
    assert "code/curso_mlops/guarda.py" in arquivos and "code/curso_mlops/__init__.py" in arquivos
    assert [a for a in arquivos if a.startswith("code/")] == ["code/curso_mlops/__init__.py",
                                                               "code/curso_mlops/guarda.py"]
    assert "artifacts/model.statsmodels" in arquivos and "python_model.pkl" in arquivos


def test_champion_e_a_guardada_da_aula_06_ou_mais_nova(cliente):
    champion = cliente.get_model_version_by_alias(MODELO, "champion")
    guardada = _versoes(cliente, "guarda")[-1]
    assert int(champion.version) >= int(guardada.version)
    if champion.version == guardada.version:
        assert champion.tags["versao_base"] == str(_versoes(cliente, "candidato")[-1].version)


# --- as saídas das aulas são as mesmas na segunda execução ---------------------------------

def _regras_do_sanitize():
    from curso_mlops.store import raiz_do_repositorio

    leitor = configparser.ConfigParser(interpolation=None)
    leitor.read(raiz_do_repositorio() / "tests" / "nbval_sanitize.cfg", encoding="utf-8")
    return [(re.compile(leitor[s]["regex"]), leitor[s]["replace"]) for s in leitor.sections()]


def _saidas(caminho, regras):
    """(id da célula, tipo, texto sanitizado) de cada saída, com os streams de mesmo nome de uma
    célula juntados, como o nbval faz (o kernel pode partir um `print` em dois pedaços)."""
    textos = []
    for celula in nbs.ler(caminho)["cells"]:
        if celula["cell_type"] != "code" or "nbval-ignore-output" in celula["metadata"].get("tags", []):
            continue
        streams, outras = {}, []
        for saida in celula.get("outputs", []):
            if saida["output_type"] == "stream":
                streams[saida["name"]] = streams.get(saida["name"], "") + "".join(saida["text"])
            else:
                outras.append((saida["output_type"], "".join(saida.get("data", {}).get("text/plain", ""))))
        for tipo, texto in [*streams.items(), *outras]:
            for regex, troca in regras:
                texto = regex.sub(troca, texto)
            textos.append((celula["id"], tipo, texto))
    return textos


@pytest.mark.parametrize("nome", [NB05, NB06])
def test_saidas_iguais_nas_duas_execucoes(curso_executado, nome):
    regras = _regras_do_sanitize()
    primeira = _saidas(curso_executado["pasta"] / "executados1" / nome, regras)
    segunda = _saidas(curso_executado["pasta"] / "executados2" / nome, regras)
    assert primeira == segunda
    stderr = [(celula, texto) for celula, nome_saida, texto in segunda if nome_saida == "stderr"]
    assert all(celula == "registrar-guardado" for celula, _ in stderr), stderr
    for _, texto in stderr:  # só os dois avisos explicados no notebook
        for linha in texto.strip().splitlines():
            assert "Validating input example" in linha or "serialized using CloudPickle" in linha, linha


# --- nenhum servidor sobra quando um notebook falha ----------------------------------------

@pytest.fixture(scope="module")
def modelo_minimo(tmp_path_factory):
    """Um OLS mínimo registrado como `modelo-minimo@champion` num store novo (sem o curso)."""
    import mlflow
    import statsmodels.formula.api as smf

    from curso_mlops import ambiente, store

    pasta = tmp_path_factory.mktemp("store-minimo")
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    df = pd.DataFrame({"distancia": np.linspace(1, 20, 50)})
    df["tempo_entrega"] = 10 + 1.2 * df["distancia"]
    ajuste = smf.ols("tempo_entrega ~ distancia", data=df).fit()
    experimento = store.garantir_experimento("minimo", uri)
    cliente = MlflowClient(uri, registry_uri=uri)
    # Tudo dentro do contexto: registrar um modelo logado (models:/m-...) consulta o store global.
    with _mlflow_no_store(uri):
        with mlflow.start_run(experiment_id=experimento):
            info = mlflow.statsmodels.log_model(ajuste, name="model",
                                                pip_requirements=ambiente.requisitos_do_modelo())
        cliente.create_registered_model("modelo-minimo")
        versao = cliente.create_model_version("modelo-minimo", info.model_uri, model_id=info.model_id)
        cliente.set_registered_model_alias("modelo-minimo", "champion", versao.version)
    return uri


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
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # nenhum processo do grupo do servidor sobrou
    assert not porta_em_uso(porta)


# --- make serve e make bench ---------------------------------------------------------------

def _ambiente(uri):
    return dict(os.environ, MLFLOW_TRACKING_URI=uri)


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
                                  "--port", str(porta)], env=_ambiente(modelo_minimo))
    assert resultado.returncode == 1 and f"porta {porta} já está em uso" in resultado.stderr


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="precisa de /proc (Linux)")
def test_make_serve_responde_ao_curl_da_aula_e_para_com_ctrl_c(modelo_minimo, raiz):
    import signal
    import subprocess
    import sys
    import time

    porta = porta_livre()
    processo = subprocess.Popen(
        [sys.executable, "scripts/servir.py", "--modelo", "models:/modelo-minimo@champion",
         "--port", str(porta)], cwd=raiz, env=_ambiente(modelo_minimo), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        limite = time.monotonic() + 90
        while time.monotonic() < limite:
            try:
                if requests.get(f"http://127.0.0.1:{porta}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        resposta = requests.post(f"http://localhost:{porta}/invocations", json=PEDIDO_DA_AULA, timeout=30)
        assert resposta.status_code == 200 and 33 < resposta.json()["predictions"][0]["0"] < 35
    finally:
        os.kill(processo.pid, signal.SIGINT)  # o Ctrl+C no terminal do `make serve`
        saida, _ = processo.communicate(timeout=60)
    assert f"mlflow models serve -m models:/modelo-minimo@champion -p {porta} --env-manager local" in saida
    assert "curl http://localhost" in saida
    limite = time.monotonic() + 20
    while porta_em_uso(porta) and time.monotonic() < limite:
        time.sleep(0.2)
    assert not porta_em_uso(porta)
    assert not _processos_do_servidor(porta), "sobrou um processo do servidor"


def _processos_do_servidor(porta):
    """PIDs de `mlflow models serve` ou `uvicorn` na `porta` (Linux: lê /proc)."""
    achados = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            partes = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        texto = " ".join(partes)
        if str(porta) in partes and ("models serve" in texto or "uvicorn" in texto):
            achados.append(int(cmdline.parent.name))
    return achados


def test_make_bench_mede_e_grava_o_json(modelo_minimo, tmp_path, rodar_script):
    saida = tmp_path / "bench.json"
    resultado = rodar_script(["scripts/bench.py", "--modelo", "models:/modelo-minimo@champion",
                              "--chamadas", "5", "--linhas", "200", "--saida", saida],
                             env=_ambiente(modelo_minimo))
    assert resultado.returncode == 0, resultado.stderr[-2000:]
    dados = json.loads(saida.read_text())
    assert dados["origem"] == "store do curso" and dados["linhas_lote"] == 200
    for chave in ("rest_1_linha_ms", "processo_1_linha_ms"):
        assert 0 < dados[chave]["p50"] <= dados[chave]["p95"]
    assert dados["rest_lote"]["linhas_por_segundo"] > 0 and dados["razao_rest_processo_1_linha"] > 0
    assert 33 < dados["previsao_20km"] < 35
    assert "1 linha, p50 (ms)" in resultado.stdout and "200 linhas, linhas/s" in resultado.stdout
