"""Os segredos e o ini do app de senha do servidor (curso_mlops.basic_auth, make server-auth)."""

import stat

import pytest

from curso_mlops import basic_auth

SEGREDO = "0123456789abcdef0123456789abcdef"
SENHA = "Professor-Forte-Curso-9"


@pytest.mark.parametrize("ambiente, faltam", [
    ({}, ["MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_ADMIN_PASSWORD"]),
    ({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO}, ["MLFLOW_AUTH_ADMIN_PASSWORD"]),
    ({"MLFLOW_AUTH_ADMIN_PASSWORD": SENHA, "MLFLOW_FLASK_SERVER_SECRET_KEY": " "},
     ["MLFLOW_FLASK_SERVER_SECRET_KEY"]),
])
def test_sem_segredo_ou_senha_nao_sobe(ambiente, faltam):
    with pytest.raises(basic_auth.ErroDeSenha) as erro:
        basic_auth.conferir_segredos(ambiente)
    mensagem = str(erro.value)
    assert "não tem senha padrão" in mensagem
    for variavel in faltam:
        assert f"export {variavel}=" in mensagem


def test_senha_fraca_ou_segredo_curto():
    with pytest.raises(basic_auth.ErroDeSenha, match="o mínimo é 12"):
        basic_auth.conferir_segredos({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": "curta"})
    with pytest.raises(basic_auth.ErroDeSenha, match="contém o nome do usuário"):
        basic_auth.conferir_segredos({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": "Admin-Forte-Curso-9"})
    with pytest.raises(basic_auth.ErroDeSenha, match="curto demais"):
        basic_auth.conferir_segredos({"MLFLOW_FLASK_SERVER_SECRET_KEY": "abc",
                                   "MLFLOW_AUTH_ADMIN_PASSWORD": SENHA})
    assert basic_auth.conferir_segredos({"MLFLOW_FLASK_SERVER_SECRET_KEY": SEGREDO,
                                      "MLFLOW_AUTH_ADMIN_PASSWORD": SENHA,
                                      "MLFLOW_AUTH_ADMIN_USERNAME": "docente"}) == ("docente", SENHA)



def test_ini_sem_a_senha_e_so_para_o_dono(tmp_path):
    arquivo = basic_auth.escrever_config(tmp_path / "auth" / "basic_auth.ini", "READ",
                                         "sqlite:////x/basic_auth.db", "docente")
    texto = arquivo.read_text(encoding="utf-8")
    assert "default_permission = READ" in texto and "admin_username = docente" in texto
    assert "database_uri = sqlite:////x/basic_auth.db" in texto
    assert "auth_cache_ttl_seconds = 60" in texto and "password" not in texto.lower().split("#")[0]
    assert stat.S_IMODE(arquivo.stat().st_mode) == 0o600
    assert stat.S_IMODE(arquivo.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("permissao", ["READ", "NO_PERMISSIONS"])
def test_permissoes_padrao_aceitas(permissao):
    assert basic_auth.conferir_permissao_padrao(permissao) == permissao


def test_permissao_padrao_invalida():
    with pytest.raises(basic_auth.ErroDeSenha, match="Permissão padrão 'EDIT' inválida"):
        basic_auth.conferir_permissao_padrao("EDIT")
