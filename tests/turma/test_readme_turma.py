"""Os trechos do README em "Para a turma" e "Além de uma máquina" são os que o kit produz.

- cada linha `mlflow server ...` do README é a que curso_mlops.servidor_tracking monta (e o
  `make server` com as mesmas variáveis chega nela);
- o ini do basic-auth mostrado é o gerado (curso_mlops.basic_auth);
- o CSV de exemplo passa no `criar_alunos.py --conferir`, e a tabela de nomes é a de
  curso_mlops.nomes;
- as linhas do Dockerfile citadas estão no Dockerfile que o `mlflow models generate-dockerfile`
  do .venv gera para um modelo de verdade;
- o InferenceService do KServe é YAML válido e aponta para a porta e a rota que a imagem serve.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from curso_mlops import basic_auth, docker, nomes, store, turma
from curso_mlops import servidor_tracking as st


@pytest.fixture
def readme(raiz):
    return (raiz / "README.md").read_text(encoding="utf-8")


def _secao(readme: str, titulo: str) -> str:
    inicio = readme.index(f"## {titulo}\n")
    fim = readme.find("\n## ", inicio + 1)
    return readme[inicio:fim if fim != -1 else None]


def _blocos(texto: str, linguagem: str) -> list[str]:
    return re.findall(rf"```{linguagem}\n(.*?)```", texto, flags=re.S)


def _linhas_mlflow_server(readme: str) -> list[str]:
    return [linha.strip() for linha in readme.splitlines() if linha.strip().startswith("mlflow server ")]


def _config_da_linha(linha: str, raiz) -> st.Configuracao:
    """A Configuracao que a linha do README descreve (padrões do kit onde ela usa $PWD)."""
    tokens = shlex.split(linha)
    valor = {tokens[i]: tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i].startswith("--")}
    backend = valor["--backend-store-uri"]
    artefatos = valor["--artifacts-destination"]
    return st.Configuracao(
        pasta=raiz / st.PASTA,
        backend_uri=None if backend == "sqlite:///$PWD/servidor/mlflow.db" else backend,
        artefatos=None if artefatos == "$PWD/servidor/artefatos" else artefatos,
        host=valor["--host"], porta=int(valor["--port"]), trabalhadores=int(valor["--workers"]),
        auth=valor.get("--app-name") == "basic-auth")


def _com_pwd(texto: str, raiz) -> str:
    return texto.replace(raiz.as_posix(), "$PWD")


def test_linhas_mlflow_server_sao_as_do_modulo(readme, raiz):
    if shlex.quote(raiz.as_posix()) != raiz.as_posix():
        pytest.skip("o caminho do repositório tem caracteres que o shell citaria")
    linhas = _linhas_mlflow_server(readme)
    assert len(linhas) >= 2
    padrao = _com_pwd(st.comando_cli(st.Configuracao(pasta=raiz / st.PASTA)), raiz)
    assert padrao in linhas, "a linha do `make server` padrão não está no README"
    assert any("postgresql://" in l and "s3://" in l for l in linhas), "falta a linha com PostgreSQL e S3"
    for linha in linhas:
        assert _com_pwd(st.comando_cli(_config_da_linha(linha, raiz)), raiz) == linha
    assert "--app-name basic-auth" in _secao(readme, "Para a turma")


@pytest.mark.skipif(shutil.which("make") is None, reason="make não está instalado")
def test_make_server_chega_na_linha_do_readme(readme, raiz):
    """`make server BACKEND_URI=... ARTEFATOS=...` do README -> o script -> a linha do README."""
    chamada = next(l for l in _secao(readme, "Além de uma máquina").splitlines()
                   if l.startswith("make server BACKEND_URI="))
    variaveis = dict(v.split("=", 1) for v in shlex.split(chamada)[2:])
    simulado = subprocess.run(["make", "-n", "server", *(f"{k}={v}" for k, v in variaveis.items())],
                              cwd=raiz, capture_output=True, text=True, timeout=120)
    assert simulado.returncode == 0, simulado.stderr
    receita = next(l for l in simulado.stdout.splitlines() if "scripts/servidor_tracking.py iniciar" in l)
    argumentos = shlex.split(receita)
    argumentos[argumentos.index("iniciar")] = "comando"
    mostrado = subprocess.run([sys.executable, *argumentos[1:]], cwd=raiz, capture_output=True,
                              text=True, timeout=120)
    assert mostrado.returncode == 0, mostrado.stderr
    assert mostrado.stdout.strip() in _linhas_mlflow_server(readme)


def test_ini_do_readme_e_o_gerado(readme, raiz):
    (ini,) = _blocos(_secao(readme, "Para a turma"), "ini")
    config = st.Configuracao(pasta=raiz / st.PASTA)
    gerado = basic_auth.texto_config(config.permissao_padrao, config.uri_banco_auth)
    sem_comentarios = [l for l in gerado.splitlines() if l and not l.startswith("#")]
    assert ini.strip().splitlines() == [l.replace(raiz.as_posix(), "<raiz>") for l in sem_comentarios]


def test_csv_de_exemplo_e_tabela_de_nomes(readme):
    secao = _secao(readme, "Para a turma")
    csv = next(b for b in _blocos(secao, "text") if b.startswith("aluno,senha"))
    alunos = turma.ler_csv(csv)
    assert [a.nome for a in alunos] == ["ana", "joao-silva"]
    for aluno, rotulo in (("", "(vazio)"), ("ana", "`ana`")):
        proprios = nomes.nomes_do_aluno(aluno)
        linha = f"| {rotulo} | `{proprios['experimento']}` | `{proprios['monitoramento']}` | `{proprios['modelo']}` |"
        assert linha in secao


def test_kserve_aponta_para_a_imagem_e_a_porta_do_mlflow(readme):
    import yaml

    secao = _secao(readme, "Além de uma máquina")
    (bloco,) = _blocos(secao, "yaml")
    servico = yaml.safe_load(bloco)
    assert servico["apiVersion"] == "serving.kserve.io/v1beta1"
    assert servico["kind"] == "InferenceService"
    (container,) = servico["spec"]["predictor"]["containers"]
    assert container["ports"][0]["containerPort"] == 8080
    assert container["readinessProbe"]["httpGet"]["path"] == "/ping"
    construcao = next(l for l in secao.splitlines() if l.startswith("mlflow models build-docker "))
    tokens = shlex.split(construcao)
    assert tokens[tokens.index("-n") + 1] == container["image"]
    # A porta é a do servidor que a imagem do MLflow sobe.
    from mlflow.models import container as conteiner_mlflow

    assert conteiner_mlflow.DEFAULT_NGINX_SERVER_PORT == 8080
    # E as opções usadas existem no `build-docker` do .venv (as opções do comando click, lidas
    # no processo: é o mesmo objeto que o `mlflow models build-docker` executa).
    from mlflow.models.cli import build_docker

    opcoes = {nome for parametro in build_docker.params for nome in parametro.opts}
    assert {"-m", "-n", "--env-manager"} <= opcoes, opcoes
    for opcao in (t for t in tokens if t.startswith("-")):
        assert opcao in opcoes, f"{opcao} não existe no build-docker"
    assert "--enable-mlserver" not in opcoes  # o README diz que ela saiu


@pytest.mark.lento
def test_dockerfile_do_readme_e_o_gerado(readme, tmp_path):
    """Gera o Dockerfile de um modelo pequeno num store temporário e procura as linhas citadas."""
    import mlflow

    secao = _secao(readme, "Além de uma máquina")
    (citado,) = _blocos(secao, "dockerfile")
    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()

    class Dobro(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: list[float], params=None) -> list[float]:
            return [2 * x for x in model_input]

    with store.apontado(uri):
        experimento = mlflow.MlflowClient(uri).create_experiment(
            "dockerfile", artifact_location=(tmp_path / "artefatos").as_uri())
        with mlflow.start_run(experiment_id=experimento):
            info = mlflow.pyfunc.log_model(name="modelo", python_model=Dobro(),
                                           pip_requirements=[f"mlflow=={mlflow.__version__}"])
    # O mesmo código do `mlflow models generate-dockerfile` (tests/modelo/test_modelo_guardado.py
    # confere que o Dockerfile é igual ao do comando), sem abrir outro processo.
    saida = tmp_path / "docker"
    with store.apontado(uri):
        docker.gerar_dockerfile(info.model_uri, saida)
    linhas = {l.strip() for l in (saida / "Dockerfile").read_text().splitlines()}
    for linha in citado.strip().splitlines():
        assert linha.strip() in linhas, f"o Dockerfile gerado não tem: {linha}"
