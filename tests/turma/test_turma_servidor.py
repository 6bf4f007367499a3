"""A turma num servidor de tracking de verdade: PostgreSQL, senha e dois alunos ao mesmo tempo.

A execução da turma (a 3ª e última execução do curso na sessão, tests/conftest.py): um
`mlflow server` com o banco num PostgreSQL descartável e o app de senha (basic-auth); o
instrutor cria os alunos com `scripts/criar_alunos.py` e as permissões PADRÃO dele (EDIT); a
Ana roda o curso inteiro e a Bia, ao mesmo tempo, só as aulas 00 a 04 (dois pontos diferentes
do curso, como numa turma de verdade). Confere pela API REST o que cada um deixou, que nenhum
gravou no espaço do outro e que as runs estão no PostgreSQL; as recusas (401 sem senha, 403 no
que é do colega) são chamadas à API desse mesmo servidor, sem outra execução do curso.

O servidor e o PostgreSQL sobem em 127.0.0.1, em portas livres, e param no fim, mesmo quando
um teste falha (tests/turma/turma_compartilhada.py).
"""

from __future__ import annotations

import os
import urllib.request

import pytest

from curso_mlops import nomes
from curso_mlops import servidor_tracking as st
from tests.conftest import conferir_execucao
from tests.turma import turma_compartilhada as tc

pytestmark = [pytest.mark.lento, pytest.mark.servidor, pytest.mark.turma]

SENHA_ADMIN = tc.SENHA_ADMIN
ALUNOS = tc.ALUNOS
PERMISSAO_EXTRA = tc.PERMISSAO_EXTRA
_notebooks = tc.notebooks_de


# O servidor da turma, os alunos e a execução dos dois vêm de tests/turma/conftest.py (a turma
# da sessão começa em segundo plano junto com o nbval): postgres, servidor_da_turma,
# turma_criada e aula_da_turma.


def _cliente(url):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=url, registry_uri=url)


@pytest.fixture
def como_admin(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", SENHA_ADMIN)


# -- a aula da turma ---------------------------------------------------------------------------------
@pytest.mark.parametrize("aluno", list(ALUNOS))
def test_cada_aluno_roda_o_seu_trecho_do_curso(aula_da_turma, aluno):
    resultado = aula_da_turma[aluno]
    conferir_execucao(resultado, _notebooks(aluno))
    proprios = nomes.nomes_do_aluno(aluno)
    assert (f"aluno: {aluno} (experimentos {proprios['experimento']} e {proprios['monitoramento']}, "
            f"modelo {proprios['modelo']})") in resultado.stdout
    assert "servidor de tracking em http://127.0.0.1" in resultado.stdout


@pytest.mark.parametrize("aluno", list(ALUNOS))
def test_o_que_cada_aluno_deixou_no_servidor(aula_da_turma, servidor_da_turma, como_admin, aluno, tmp_path):
    """Pela API REST do servidor: os experimentos, o champion (se chegou à 05) e um artefato."""
    url = servidor_da_turma.url
    cliente = _cliente(url)
    proprios = nomes.nomes_do_aluno(aluno)
    aulas = {p.name[:2] for p in _notebooks(aluno)}
    experimento = cliente.get_experiment_by_name(proprios["experimento"])
    assert experimento is not None, f"o experimento {proprios['experimento']} não existe"
    # Artefatos pelo proxy do servidor, nunca um caminho da máquina do aluno.
    assert experimento.artifact_location.startswith("mlflow-artifacts:/")
    assert cliente.search_runs([experimento.experiment_id], max_results=500), "o experimento não tem runs"
    candidatas = cliente.search_runs([experimento.experiment_id], "tags.candidato_producao = 'true'")
    assert len(candidatas) == 1, "a aula 04 marcou um candidato"
    versoes = cliente.search_model_versions(f"name = '{proprios['modelo']}'")
    if "05" in aulas:
        versao = cliente.get_model_version_by_alias(proprios["modelo"], "champion")
        assert cliente.get_run(versao.run_id).info.experiment_id == experimento.experiment_id
    else:
        assert versoes == [], "quem parou na 04 não registrou versão"
    monitoramento = cliente.get_experiment_by_name(proprios["monitoramento"])
    assert monitoramento is not None  # criado pelo instrutor, antes da aula
    assert bool(cliente.search_runs([monitoramento.experiment_id], max_results=5)) == ("07" in aulas)

    destino = tmp_path
    conteudo = _artefato_da_preparacao(cliente, url, experimento, destino)
    assert conteudo.startswith(b"pedido_id,")


def _artefato_da_preparacao(cliente, url, experimento, destino) -> bytes:
    """Os dados de treino da aula 02, baixados pelo proxy (pelo cliente e pelo HTTP puro)."""
    import base64

    import mlflow

    preparacao = cliente.search_runs([experimento.experiment_id], "tags.etapa = 'preparacao'",
                                     max_results=1)
    assert preparacao, "não há a run de preparação da aula 02"
    uri_artefatos = preparacao[0].info.artifact_uri
    assert uri_artefatos.startswith("mlflow-artifacts:/")
    baixado = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{uri_artefatos}/dados/treino.csv", dst_path=str(destino), tracking_uri=url)
    conteudo = open(baixado, "rb").read()
    caminho = uri_artefatos[len("mlflow-artifacts:/"):].lstrip("/")
    pedido = urllib.request.Request(f"{url}/api/2.0/mlflow-artifacts/artifacts/{caminho}/dados/treino.csv")
    pedido.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{SENHA_ADMIN}".encode()).decode())
    with urllib.request.urlopen(pedido, timeout=30) as resposta:
        assert resposta.status == 200 and resposta.read() == conteudo
    return conteudo


def test_nenhum_aluno_gravou_no_espaco_do_outro(aula_da_turma, servidor_da_turma, como_admin):
    cliente = _cliente(servidor_da_turma.url)
    experimentos = {e.name: e.experiment_id for e in cliente.search_experiments(max_results=1000)}
    esperados = {n for aluno in ALUNOS for chave, n in nomes.nomes_do_aluno(aluno).items() if chave != "modelo"}
    assert esperados <= set(experimentos)
    assert "tempo-entrega" not in experimentos, "alguém gravou com os nomes da aula, sem ALUNO"
    for aluno in ALUNOS:
        proprios = nomes.nomes_do_aluno(aluno)
        meus = {experimentos[proprios["experimento"]], experimentos[proprios["monitoramento"]]}
        for versao in cliente.search_model_versions(f"name = '{proprios['modelo']}'"):
            assert cliente.get_run(versao.run_id).info.experiment_id in meus, \
                f"o modelo de {aluno} tem versão vinda de run de outro aluno"


def test_as_runs_estao_no_postgres(aula_da_turma, servidor_da_turma, postgres):
    import psycopg

    with psycopg.connect(postgres.uri, autocommit=True) as conexao:
        quantas = dict(conexao.execute(
            "SELECT e.name, count(*) FROM runs r JOIN experiments e ON r.experiment_id = e.experiment_id "
            "GROUP BY e.name").fetchall())
    for aluno in ALUNOS:
        assert quantas.get(nomes.nomes_do_aluno(aluno)["experimento"], 0) > 0
    assert not (servidor_da_turma.config.pasta / st.ARQUIVO_BANCO).exists(), "um SQLite ao lado?"


# -- usuários e permissões, pela API (sem outra execução do curso) -----------------------------------
def _pedir(url, caminho, usuario=None, senha=None, json_=None, metodo="POST"):
    import requests

    autenticacao = (usuario, senha) if usuario else None
    if metodo == "GET":
        return requests.get(url + caminho, params=json_, auth=autenticacao, timeout=30)
    return requests.post(url + caminho, json=json_, auth=autenticacao, timeout=30)


def _id_do_experimento(url, nome):
    resposta = _pedir(url, "/api/2.0/mlflow/experiments/get-by-name", "admin", SENHA_ADMIN,
                      {"experiment_name": nome}, "GET")
    assert resposta.status_code == 200, resposta.text
    return resposta.json()["experiment"]["experiment_id"]


def test_script_cria_os_alunos_e_e_idempotente(turma_criada, servidor_da_turma, rodar_script):
    saida = turma_criada["resultado"].stdout
    assert "ana: usuário criado; EDIT em tempo-entrega-ana, tempo-entrega-monitoramento-ana e " \
           "tempo_entrega_ana" in saida
    assert all(senha not in saida for senha in ALUNOS.values())
    de_novo = rodar_script(["scripts/criar_alunos.py", turma_criada["csv"], *PERMISSAO_EXTRA],
                           env=turma_criada["ambiente"], timeout=300)
    assert de_novo.returncode == 0, de_novo.stderr
    assert "ana: usuário já existia (senha mantida)" in de_novo.stdout
    assert "0 usuário(s) novo(s)" in de_novo.stdout

    import mlflow.server

    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=SENHA_ADMIN)
    try:
        auth = mlflow.server.get_app_client("basic-auth", tracking_uri=servidor_da_turma.url)
        permissao = auth.get_user_permission("ana", "registered_model", "tempo_entrega_ana")
        assert permissao.permission == "EDIT"
        experimento = _id_do_experimento(servidor_da_turma.url, "tempo-entrega-monitoramento-ana")
        assert auth.get_user_permission("ana", "experiment", experimento).permission == "EDIT"
    finally:
        os.environ.pop("MLFLOW_TRACKING_USERNAME")
        os.environ.pop("MLFLOW_TRACKING_PASSWORD")


def test_aluno_grava_so_no_que_e_seu(turma_criada, servidor_da_turma):
    url = servidor_da_turma.url
    ana = ("ana", ALUNOS["ana"])
    exp_ana = _id_do_experimento(url, "tempo-entrega-ana")
    exp_bia = _id_do_experimento(url, "tempo-entrega-bia")

    # A grava no experimento de A e no modelo de A...
    resposta = _pedir(url, "/api/2.0/mlflow/runs/create", *ana, {"experiment_id": exp_ana})
    assert resposta.status_code == 200, resposta.text
    resposta = _pedir(url, "/api/2.0/mlflow/registered-models/set-tag", *ana,
                      {"name": "tempo_entrega_ana", "key": "turma", "value": "2025"})
    assert resposta.status_code == 200, resposta.text
    # ...e recebe 403 no experimento de B e no modelo de B.
    resposta = _pedir(url, "/api/2.0/mlflow/runs/create", *ana, {"experiment_id": exp_bia})
    assert resposta.status_code == 403
    resposta = _pedir(url, "/api/2.0/mlflow/registered-models/set-tag", *ana,
                      {"name": "tempo_entrega_bia", "key": "turma", "value": "2025"})
    assert resposta.status_code == 403
    # Permissão padrão READ: A vê o experimento de B (a escolha documentada), sem gravar.
    resposta = _pedir(url, "/api/2.0/mlflow/experiments/get", *ana, {"experiment_id": exp_bia}, "GET")
    assert resposta.status_code == 200
    # Sem credenciais, ou com a senha errada: 401.
    resposta = _pedir(url, "/api/2.0/mlflow/experiments/get", json_={"experiment_id": exp_ana}, metodo="GET")
    assert resposta.status_code == 401
    resposta = _pedir(url, "/api/2.0/mlflow/runs/create", "ana", "senha-errada-123", {"experiment_id": exp_ana})
    assert resposta.status_code == 401


def test_aluno_usa_as_variaveis_do_readme(turma_criada, servidor_da_turma, monkeypatch):
    """Com MLFLOW_TRACKING_USERNAME/PASSWORD exportadas, o cliente do MLflow grava no seu espaço."""
    import mlflow
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bia")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ALUNOS["bia"])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    cliente = mlflow.MlflowClient(tracking_uri=servidor_da_turma.url, registry_uri=servidor_da_turma.url)
    experimento = cliente.get_experiment_by_name("tempo-entrega-bia")
    run = cliente.create_run(experimento.experiment_id, run_name="da-bia")
    cliente.log_text(run.info.run_id, "olá", "nota.txt")  # artefato pelo proxy, com senha
    cliente.set_terminated(run.info.run_id)
    with pytest.raises(MlflowException, match="403"):
        cliente.create_run(cliente.get_experiment_by_name("tempo-entrega-ana").experiment_id)
