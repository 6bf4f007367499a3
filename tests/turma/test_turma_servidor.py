"""A turma num servidor de tracking de verdade (`mlflow server`), como na aula:

- o curso inteiro contra um servidor com SQLite e contra um com PostgreSQL, conferindo pela
  API REST os experimentos, as versões, os aliases e um artefato baixado pelo proxy;
- dois alunos ao mesmo tempo no mesmo servidor, cada um no seu espaço (ALUNO);
- o servidor com senha: cada aluno grava só no que é seu (403 no do colega, 401 sem senha).

Cada teste sobe os seus servidores em 127.0.0.1, numa porta livre, e os para no fim, mesmo
quando falha (fixtures com yield). Os tempos de cada execução do curso vão para
build/tempos_turma.json (informativo: nenhum teste depende deles).
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from curso_mlops import nomes
from curso_mlops import notebooks as nbs
from curso_mlops import servidor_tracking as st
from curso_mlops.store import raiz_do_repositorio

pytestmark = [pytest.mark.lento,
              pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")]

NA_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
SEGREDO = "segredo-do-teste-0123456789abcdef"
SENHA_ADMIN = "Professor-Forte-Curso-9"
ALUNOS = {"ana": "Vento-Azul-42-Mar", "bia": "Pedra.Lisa.Cinco.7"}


def _tem_aula(numero: str) -> bool:
    return any(p.name.startswith(f"{numero}_") for p in nbs.listar())


def _algum_notebook_declara_aluno() -> bool:
    return "ALUNO" in _parametros_declarados()


def _registrar_tempo(chave: str, segundos: float) -> None:
    arquivo = raiz_do_repositorio() / "build" / "tempos_turma.json"
    arquivo.parent.mkdir(parents=True, exist_ok=True)
    try:
        tempos = json.loads(arquivo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tempos = {}
    tempos[chave] = round(segundos, 1)
    arquivo.write_text(json.dumps(tempos, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\ntempo do curso ({chave}): {segundos:.1f} s")


def _parametros_declarados() -> set[str]:
    """Os parâmetros que algum notebook declara, lidos como o executor os lê."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "run_course_turma", raiz_do_repositorio() / "scripts" / "run_course.py")
    executor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(executor)
    return {n for p in nbs.listar() for n in executor._declarados(p)}


def _rodar_curso(rodar_script, url, saida, aluno=None, porta_api=None):
    args = ["scripts/run_course.py", "--tracking-uri", url, "--saida", saida]
    if aluno:
        args += ["--aluno", aluno]
    if porta_api is not None:
        args += ["-p", "PORTA", str(porta_api)]
    inicio = time.perf_counter()
    resultado = rodar_script(args, timeout=1800)
    return resultado, time.perf_counter() - inicio


def _sem_processos(servidor: st.ServidorDeTracking) -> None:
    pid = servidor.processo.pid if servidor.processo is not None else None
    servidor.parar()
    assert pid is None or not st.grupo_vivo(pid), "sobrou processo do servidor de tracking"
    assert not st.porta_em_uso(servidor.config.porta)


def _subir(config: st.Configuracao, ambiente=None):
    servidor = st.ServidorDeTracking(config, ambiente=ambiente)
    servidor.iniciar()
    return servidor


# -- o que o curso deixa no servidor ---------------------------------------------------------------
def conferir_o_que_o_curso_gravou(url: str, servidor: st.Configuracao, destino, aluno: str = "") -> None:
    """Confere pela API REST (MlflowClient no URI do servidor) o estado final do curso."""
    import mlflow
    from mlflow.tracking import MlflowClient

    cliente = MlflowClient(tracking_uri=url, registry_uri=url)
    proprios = nomes.nomes_do_aluno(aluno)
    experimento = cliente.get_experiment_by_name(proprios["experimento"])
    assert experimento is not None, f"o experimento {proprios['experimento']} não existe"
    # Artefatos pelo proxy do servidor, nunca um caminho da máquina do aluno.
    assert experimento.artifact_location.startswith("mlflow-artifacts:/")
    runs = cliente.search_runs([experimento.experiment_id], max_results=500)
    assert runs, "o experimento não tem runs"

    if _tem_aula("05"):
        versao = cliente.get_model_version_by_alias(proprios["modelo"], "champion")
        assert versao.name == proprios["modelo"]
        if versao.run_id:
            assert cliente.get_run(versao.run_id).info.experiment_id == experimento.experiment_id
    if _tem_aula("07"):
        monitoramento = cliente.get_experiment_by_name(proprios["monitoramento"])
        assert monitoramento is not None, f"o experimento {proprios['monitoramento']} não existe"
        assert cliente.search_runs([monitoramento.experiment_id], max_results=5)

    # Um artefato baixado pelo proxy: os dados de treino guardados pela aula 02.
    preparacao = cliente.search_runs([experimento.experiment_id], "tags.etapa = 'preparacao'",
                                     max_results=1)
    assert preparacao, "não há a run de preparação da aula 02"
    uri_artefatos = preparacao[0].info.artifact_uri
    assert uri_artefatos.startswith("mlflow-artifacts:/")
    baixado = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{uri_artefatos}/dados/treino.csv", dst_path=str(destino), tracking_uri=url)
    conteudo = open(baixado, "rb").read()
    assert conteudo.startswith(b"pedido_id,")
    # O mesmo arquivo pelo HTTP puro do proxy (o que o cliente faz por baixo).
    caminho = uri_artefatos[len("mlflow-artifacts:/"):].lstrip("/")
    with urllib.request.urlopen(f"{url}/api/2.0/mlflow-artifacts/artifacts/{caminho}/dados/treino.csv",
                                timeout=30) as resposta:
        assert resposta.status == 200 and resposta.read() == conteudo
    # E quem guardou foi o servidor, no destino dele.
    if servidor.artefatos is None:
        assert (servidor.pasta / st.PASTA_ARTEFATOS / caminho / "dados" / "treino.csv").read_bytes() == conteudo


def _conferir_execucao(resultado) -> None:
    assert resultado.returncode == 0, (resultado.stdout[-2000:] + "\n" + resultado.stderr[-3000:])
    for caminho in nbs.listar():
        assert caminho.stem in resultado.stdout, f"{caminho.stem} não está na tabela do executor"


# -- SQLite ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def servidor_sqlite(tmp_path_factory):
    """`make server` (SQLite próprio, artefatos pelo servidor) numa pasta e porta temporárias."""
    config = st.Configuracao(pasta=tmp_path_factory.mktemp("servidor-sqlite"), porta=st.porta_livre())
    servidor = _subir(config)
    yield servidor
    _sem_processos(servidor)


def test_curso_inteiro_no_servidor_sqlite(servidor_sqlite, rodar_script, tmp_path):
    resultado, segundos = _rodar_curso(rodar_script, servidor_sqlite.url, tmp_path / "executados")
    _registrar_tempo("servidor_sqlite", segundos)
    _conferir_execucao(resultado)
    assert "servidor de tracking em http://127.0.0.1" in resultado.stdout
    conferir_o_que_o_curso_gravou(servidor_sqlite.url, servidor_sqlite.config, tmp_path / "baixados")
    # O store embutido do repositório não foi usado.
    assert not (servidor_sqlite.config.pasta / "mlruns").exists()


def test_dois_alunos_ao_mesmo_tempo(servidor_sqlite, rodar_script, tmp_path):
    """Dois cursos com ALUNO diferente, juntos, no mesmo servidor: nenhum toca no do outro."""
    if not _algum_notebook_declara_aluno():
        pytest.skip("nenhum notebook declara o parâmetro ALUNO ainda: o espaço por aluno "
                    "depende dos notebooks (este teste passa a valer quando um declarar)")
    from mlflow.tracking import MlflowClient

    cliente = MlflowClient(tracking_uri=servidor_sqlite.url, registry_uri=servidor_sqlite.url)
    antes_exp = {e.name: e.experiment_id for e in cliente.search_experiments(max_results=1000)}
    antes_runs = {nome: len(cliente.search_runs([i], max_results=5000)) for nome, i in antes_exp.items()}
    antes_modelos = {m.name: len(cliente.search_model_versions(f"name = '{m.name}'"))
                     for m in cliente.search_registered_models(max_results=1000)}

    # Na turma cada aluno tem a sua máquina; aqui os dois dividem uma, então cada um sobe a API
    # da aula 06 numa porta própria (senão as duas disputariam a 5299 no mesmo instante).
    portas = dict.fromkeys(ALUNOS)
    if "PORTA" in _parametros_declarados():
        while len(set(portas.values()) - {None}) < len(ALUNOS):
            portas = {aluno: st.porta_livre() for aluno in ALUNOS}
    with ThreadPoolExecutor(max_workers=2) as execucoes:
        futuros = {aluno: execucoes.submit(_rodar_curso, rodar_script, servidor_sqlite.url,
                                           tmp_path / aluno, aluno, portas[aluno])
                   for aluno in ALUNOS}
        resultados = {aluno: futuro.result() for aluno, futuro in futuros.items()}
    _registrar_tempo("servidor_sqlite_dois_alunos_juntos",
                     max(segundos for _, segundos in resultados.values()))
    for aluno, (resultado, _) in resultados.items():
        _conferir_execucao(resultado)
        assert f"aluno: {aluno} " in resultado.stdout
        conferir_o_que_o_curso_gravou(servidor_sqlite.url, servidor_sqlite.config,
                                      tmp_path / f"baixados-{aluno}", aluno)

    # O que já existia (o curso sem ALUNO) não ganhou nenhuma run nem versão.
    depois_exp = {e.name: e.experiment_id for e in cliente.search_experiments(max_results=1000)}
    for nome, experimento_id in antes_exp.items():
        assert len(cliente.search_runs([experimento_id], max_results=5000)) == antes_runs[nome], \
            f"um aluno gravou no experimento {nome}"
    for nome, quantas in antes_modelos.items():
        assert len(cliente.search_model_versions(f"name = '{nome}'")) == quantas, \
            f"um aluno registrou versão no modelo {nome}"
    # Os experimentos e modelos novos são exatamente os dos dois alunos, cada um com as suas runs.
    novos = set(depois_exp) - set(antes_exp)
    esperados = {n for aluno in ALUNOS for chave, n in nomes.nomes_do_aluno(aluno).items()
                 if chave != "modelo" and (chave != "monitoramento" or _tem_aula("07"))}
    assert novos == esperados
    for aluno in ALUNOS:
        proprios = nomes.nomes_do_aluno(aluno)
        meus = {depois_exp[proprios["experimento"]]}
        if _tem_aula("07"):
            meus.add(depois_exp[proprios["monitoramento"]])
        if _tem_aula("05"):
            for versao in cliente.search_model_versions(f"name = '{proprios['modelo']}'"):
                if versao.run_id:
                    assert cliente.get_run(versao.run_id).info.experiment_id in meus, \
                        f"o modelo de {aluno} tem versão vinda de run de outro aluno"


# -- PostgreSQL ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgres():
    from curso_mlops import postgres_local

    if postgres_local.localizar_binarios() is None:
        mensagem = ("PostgreSQL não instalado (não há initdb no PATH nem em "
                    "/usr/lib/postgresql/*/bin): `apt-get install -y postgresql`")
        if NA_CI:
            pytest.fail(mensagem + " — na CI o .ci/run deveria tê-lo instalado.")
        pytest.skip(mensagem)
    banco = postgres_local.PostgresTemporario().iniciar()
    yield banco
    pid = banco.processo.pid if banco.processo else None
    banco.parar()
    if pid:
        assert not st.grupo_vivo(pid), "sobrou processo do PostgreSQL"


@pytest.fixture(scope="module")
def servidor_postgres(postgres, tmp_path_factory):
    config = st.Configuracao(pasta=tmp_path_factory.mktemp("servidor-postgres"),
                             porta=st.porta_livre(), backend_uri=postgres.uri)
    servidor = _subir(config)
    yield servidor
    _sem_processos(servidor)


def test_curso_inteiro_no_servidor_postgres(servidor_postgres, postgres, rodar_script, tmp_path):
    resultado, segundos = _rodar_curso(rodar_script, servidor_postgres.url, tmp_path / "executados")
    _registrar_tempo("servidor_postgres", segundos)
    _conferir_execucao(resultado)
    conferir_o_que_o_curso_gravou(servidor_postgres.url, servidor_postgres.config, tmp_path / "baixados")
    # As runs estão mesmo no PostgreSQL (e não num SQLite ao lado).
    import psycopg

    with psycopg.connect(postgres.uri, autocommit=True) as conexao:
        (quantas,) = conexao.execute(
            "SELECT count(*) FROM runs r JOIN experiments e ON r.experiment_id = e.experiment_id "
            "WHERE e.name = %s", ("tempo-entrega",)).fetchone()
    assert quantas > 0
    assert not (servidor_postgres.config.pasta / st.ARQUIVO_BANCO).exists()


# -- o servidor com senha ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def servidor_com_senha(tmp_path_factory):
    config = st.Configuracao(pasta=tmp_path_factory.mktemp("servidor-auth"), porta=st.porta_livre(),
                             auth=True)
    ambiente = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_AUTH_")}
    ambiente.update(MLFLOW_FLASK_SERVER_SECRET_KEY=SEGREDO, MLFLOW_AUTH_ADMIN_PASSWORD=SENHA_ADMIN)
    servidor = _subir(config, ambiente)
    yield servidor
    _sem_processos(servidor)


@pytest.fixture(scope="module")
def turma_criada(servidor_com_senha, tmp_path_factory, rodar_script):
    csv = tmp_path_factory.mktemp("turma") / "turma.csv"
    csv.write_text("aluno,senha\n" + "".join(f"{a},{s}\n" for a, s in ALUNOS.items()), encoding="utf-8")
    ambiente = dict(os.environ, MLFLOW_TRACKING_URI=servidor_com_senha.url,
                    MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=SENHA_ADMIN)
    resultado = rodar_script(["scripts/criar_alunos.py", csv], env=ambiente, timeout=300)
    assert resultado.returncode == 0, resultado.stderr
    return {"csv": csv, "ambiente": ambiente, "resultado": resultado}


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


def test_script_cria_os_alunos_e_e_idempotente(turma_criada, servidor_com_senha, rodar_script):
    saida = turma_criada["resultado"].stdout
    assert "ana: usuário criado; EDIT em tempo-entrega-ana, tempo-entrega-monitoramento-ana e " \
           "tempo_entrega_ana" in saida
    assert all(senha not in saida for senha in ALUNOS.values())
    de_novo = rodar_script(["scripts/criar_alunos.py", turma_criada["csv"]],
                           env=turma_criada["ambiente"], timeout=300)
    assert de_novo.returncode == 0, de_novo.stderr
    assert "ana: usuário já existia (senha mantida)" in de_novo.stdout
    assert "0 usuário(s) novo(s)" in de_novo.stdout

    import mlflow.server

    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=SENHA_ADMIN)
    try:
        auth = mlflow.server.get_app_client("basic-auth", tracking_uri=servidor_com_senha.url)
        permissao = auth.get_user_permission("ana", "registered_model", "tempo_entrega_ana")
        assert permissao.permission == "EDIT"
        experimento = _id_do_experimento(servidor_com_senha.url, "tempo-entrega-monitoramento-ana")
        assert auth.get_user_permission("ana", "experiment", experimento).permission == "EDIT"
    finally:
        os.environ.pop("MLFLOW_TRACKING_USERNAME")
        os.environ.pop("MLFLOW_TRACKING_PASSWORD")


def test_aluno_grava_so_no_que_e_seu(turma_criada, servidor_com_senha):
    url = servidor_com_senha.url
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


def test_aluno_usa_as_variaveis_do_readme(turma_criada, servidor_com_senha, monkeypatch):
    """Com MLFLOW_TRACKING_USERNAME/PASSWORD exportadas, o cliente do MLflow grava no seu espaço."""
    import mlflow
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bia")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ALUNOS["bia"])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    cliente = mlflow.MlflowClient(tracking_uri=servidor_com_senha.url, registry_uri=servidor_com_senha.url)
    experimento = cliente.get_experiment_by_name("tempo-entrega-bia")
    run = cliente.create_run(experimento.experiment_id, run_name="da-bia")
    cliente.log_text(run.info.run_id, "olá", "nota.txt")  # artefato pelo proxy, com senha
    cliente.set_terminated(run.info.run_id)
    with pytest.raises(MlflowException, match="403"):
        cliente.create_run(cliente.get_experiment_by_name("tempo-entrega-ana").experiment_id)
