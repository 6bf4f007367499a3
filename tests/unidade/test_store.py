"""Resolução do store do MLflow: a variável manda; sem ela, o SQLite da raiz."""

import os
import subprocess
import sys

import pytest

from curso_mlops import store


def test_variavel_de_ambiente_vence():
    uri = "http://127.0.0.1:5000"
    assert store.tracking_uri({"MLFLOW_TRACKING_URI": uri}) == uri


@pytest.mark.parametrize("ambiente", [{}, {"MLFLOW_TRACKING_URI": ""}, {"MLFLOW_TRACKING_URI": "  "}])
def test_sem_variavel_usa_sqlite_na_raiz(ambiente, raiz):
    assert store.tracking_uri(ambiente) == "sqlite:///" + (raiz / "mlflow.db").as_posix()


def test_padrao_nao_depende_da_pasta_de_trabalho(tmp_path, monkeypatch, raiz):
    monkeypatch.chdir(tmp_path)
    assert store.caminho_do_banco(store.tracking_uri({})) == raiz / "mlflow.db"
    assert store.pasta_de_artefatos(store.tracking_uri({})) == raiz / "mlartifacts"


@pytest.mark.parametrize("uri", ["./mlruns", "mlruns", "file:///tmp/mlruns"])
def test_store_de_arquivos_e_recusado_com_mensagem(uri):
    with pytest.raises(store.ErroDeStore, match="MLflow 3"):
        store.tracking_uri({"MLFLOW_TRACKING_URI": uri})


def test_pasta_de_artefatos_ao_lado_do_banco(tmp_path):
    uri = "sqlite:///" + (tmp_path / "x" / "meu.db").as_posix()
    assert store.pasta_de_artefatos(uri) == tmp_path / "x" / "mlartifacts"
    assert store.pasta_de_artefatos("http://127.0.0.1:5000") is None
    assert store.pasta_de_artefatos("postgresql://u@h/db") is None


def test_banco_e_artefatos_estao_no_gitignore(raiz):
    linhas = (raiz / ".gitignore").read_text().splitlines()
    assert "mlflow.db" in linhas and "mlartifacts/" in linhas


def test_descricao_nao_mostra_caminhos_nem_senhas(raiz):
    padrao = store.descrever(ambiente={})
    assert "SQLite" in padrao and "padrão do curso" in padrao
    assert str(raiz) not in padrao and "/" not in padrao.replace("mlartifacts/", "")
    outro = store.descrever(ambiente={"MLFLOW_TRACKING_URI": "sqlite:////home/ana/x/mlflow.db"})
    assert "/home/ana" not in outro and "MLFLOW_TRACKING_URI" in outro
    servidor = store.descrever(ambiente={"MLFLOW_TRACKING_URI": "http://ana:segredo@127.0.0.1:5000"})
    assert servidor.startswith("servidor de tracking em http://127.0.0.1:5000")
    assert "segredo" not in servidor and "ana" not in servidor
    assert "postgresql" in store.descrever(ambiente={"MLFLOW_TRACKING_URI": "postgresql+psycopg2://u:s@h/db"})


# Os testes de garantir_experimento usam uma cópia do banco vazio (`banco_com_tabelas`): criar as
# tabelas custa ~1,5 s, e criá-las do zero é o assunto de test_criar_banco_novo_nao_suja_o_stderr.

def test_garantir_experimento_cria_com_artefatos_ao_lado_e_e_idempotente(tmp_path, banco_com_tabelas):
    from mlflow.tracking import MlflowClient

    uri = banco_com_tabelas
    assert uri == "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    primeiro = store.garantir_experimento("aula teste/1", uri)
    segundo = store.garantir_experimento("aula teste/1", uri)
    assert primeiro == segundo
    experimento = MlflowClient(uri).get_experiment(primeiro)
    assert experimento.artifact_location == (tmp_path / "mlartifacts" / "aula_teste_1").as_uri()


def test_garantir_experimento_nao_altera_um_existente(tmp_path, banco_com_tabelas):
    from mlflow.tracking import MlflowClient

    uri = banco_com_tabelas
    cliente = MlflowClient(uri)
    local = (tmp_path / "outro-lugar").as_uri()
    id_ = cliente.create_experiment("meu", artifact_location=local, tags={"dono": "ana"})
    assert store.garantir_experimento("meu", uri) == id_
    experimento = cliente.get_experiment(id_)
    assert experimento.artifact_location == local and experimento.tags["dono"] == "ana"


def test_experimento_na_lixeira_tem_mensagem_clara(banco_com_tabelas):
    from mlflow.tracking import MlflowClient

    uri = banco_com_tabelas
    id_ = store.garantir_experimento("apagado", uri)
    MlflowClient(uri).delete_experiment(id_)
    with pytest.raises(store.ErroDeStore, match="lixeira.*restore"):
        store.garantir_experimento("apagado", uri)
    with pytest.raises(store.ErroDeStore, match="vazio"):
        store.garantir_experimento("  ", uri)


def test_criar_banco_novo_nao_suja_o_stderr(tmp_path):
    codigo = (
        "from curso_mlops import store;"
        f"store.garantir_experimento('x', 'sqlite:///{(tmp_path / 'novo.db').as_posix()}')"
    )
    resultado = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True,
                               cwd=tmp_path, timeout=120)
    assert resultado.returncode == 0, resultado.stderr
    assert "INFO" not in resultado.stderr, resultado.stderr
    assert (tmp_path / "novo.db").exists() and not (tmp_path / "mlruns").exists()


def test_banco_relativo_resolve_na_pasta_de_trabalho(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert store.pasta_de_artefatos("sqlite:///meu.db") == tmp_path / "mlartifacts"
    assert store.caminho_do_banco("sqlite:///:memory:") is None


# -- apontar o MLflow do processo (ou de um filho) para um store ---------------------------------

@pytest.mark.parametrize("antes", [{}, {"MLFLOW_TRACKING_URI": "sqlite:////tmp/a.db"},
                                   {"MLFLOW_TRACKING_URI": "sqlite:////tmp/a.db",
                                    "MLFLOW_REGISTRY_URI": "sqlite:////tmp/b.db"}])
def test_apontado_aponta_tracking_e_registro_e_devolve_tudo(tmp_path, monkeypatch, antes):
    import mlflow
    from mlflow.tracking._model_registry import utils as registro
    from mlflow.tracking._tracking_service import utils as tracking

    # O processo "de antes": só as variáveis, nada fixado por set_*_uri (o monkeypatch devolve).
    monkeypatch.setattr(tracking, "_tracking_uri", None)
    monkeypatch.setattr(registro, "_registry_uri", None)
    for chave in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(chave, raising=False)
    for chave, valor in antes.items():
        monkeypatch.setenv(chave, valor)
    fora = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    with store.apontado(uri):
        assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == uri
        assert os.environ["MLFLOW_TRACKING_URI"] == os.environ["MLFLOW_REGISTRY_URI"] == uri
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == fora
    assert {c: os.environ.get(c) for c in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")} == {
        "MLFLOW_TRACKING_URI": antes.get("MLFLOW_TRACKING_URI"),
        "MLFLOW_REGISTRY_URI": antes.get("MLFLOW_REGISTRY_URI")}


def test_apontado_devolve_tudo_tambem_numa_excecao(tmp_path):
    import mlflow

    fora = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    with pytest.raises(ZeroDivisionError), store.apontado(f"sqlite:///{tmp_path.as_posix()}/x.db"):
        1 / 0  # noqa: B018 – a exceção dentro do bloco
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == fora


def test_no_ambiente_troca_tambem_o_registro_herdado():
    herdado = {"MLFLOW_TRACKING_URI": "sqlite:////tmp/a.db", "MLFLOW_REGISTRY_URI": "sqlite:////tmp/a.db",
               "PATH": "/bin"}
    ambiente = store.no_ambiente(dict(herdado), "http://127.0.0.1:5000")
    assert ambiente == {"MLFLOW_TRACKING_URI": "http://127.0.0.1:5000",
                        "MLFLOW_REGISTRY_URI": "http://127.0.0.1:5000", "PATH": "/bin"}
