"""O app de senha do `mlflow server` (basic-auth): os segredos e o arquivo ini (encanamento).

Usado por `curso_mlops.servidor_tracking` quando o servidor sobe com senha (`make server-auth`).
O app lê um arquivo ini apontado por `MLFLOW_AUTH_CONFIG_PATH`; o curso o gera em
`servidor/auth/basic_auth.ini` (`escrever_config`). O segredo do Flask
(`MLFLOW_FLASK_SERVER_SECRET_KEY`) e a senha do administrador (`MLFLOW_AUTH_ADMIN_PASSWORD`)
vêm do ambiente, nunca de um arquivo do repositório: não há senha padrão, e sem elas o servidor
não sobe. A senha não é gravada no ini: o MLflow a lê da variável, e só na primeira vez, quando
cria o usuário administrador. A regra da senha forte é a dos alunos (`turma.problema_da_senha`).

Nada acontece na importação.
"""

from __future__ import annotations

import os
from pathlib import Path

from .turma import problema_da_senha

ARQUIVO_CONFIG = "basic_auth.ini"
ARQUIVO_BANCO = "basic_auth.db"

# READ: cada aluno vê os experimentos e modelos dos colegas (na UI e pela API), mas só grava
# nos seus, onde o script do instrutor dá EDIT. NO_PERMISSIONS: ninguém vê o que não é seu.
PERMISSAO_PADRAO = "READ"
PERMISSOES_PADRAO_ACEITAS = ("READ", "NO_PERMISSIONS")
USUARIO_ADMIN = "admin"
CACHE_DE_SENHAS_SEGUNDOS = 60
SEGREDO_MINIMO = 16

VARIAVEL_SEGREDO = "MLFLOW_FLASK_SERVER_SECRET_KEY"
VARIAVEL_SENHA_ADMIN = "MLFLOW_AUTH_ADMIN_PASSWORD"
VARIAVEL_USUARIO_ADMIN = "MLFLOW_AUTH_ADMIN_USERNAME"
VARIAVEL_CONFIG = "MLFLOW_AUTH_CONFIG_PATH"


class ErroDeSenha(RuntimeError):
    """Faltam o segredo ou a senha do administrador, ou a senha é fraca."""


def conferir_segredos(ambiente: dict[str, str] | None = None) -> tuple[str, str]:
    """(usuário, senha) do administrador; levanta ErroDeSenha se faltar segredo ou senha.

    Nunca há senha padrão: sem `MLFLOW_AUTH_ADMIN_PASSWORD` e `MLFLOW_FLASK_SERVER_SECRET_KEY`
    no ambiente, o servidor com senha não sobe.
    """
    ambiente = os.environ if ambiente is None else ambiente
    faltando = []
    segredo = ambiente.get(VARIAVEL_SEGREDO, "")
    if not segredo.strip():
        faltando.append(f"  export {VARIAVEL_SEGREDO}=$(python -c 'import secrets; "
                        "print(secrets.token_hex(32))')")
    senha = ambiente.get(VARIAVEL_SENHA_ADMIN, "")
    if not senha:
        faltando.append(f"  export {VARIAVEL_SENHA_ADMIN}='<uma senha forte, só sua>'")
    if faltando:
        raise ErroDeSenha(
            "O servidor com senha (make server-auth) não sobe sem estas variáveis de ambiente; "
            "o curso não tem senha padrão:\n" + "\n".join(faltando) +
            "\nO segredo protege as sessões e os formulários da UI; a senha é a do usuário "
            "administrador, criado na primeira vez que o servidor sobe.")
    usuario = ambiente.get(VARIAVEL_USUARIO_ADMIN, "").strip() or USUARIO_ADMIN
    problema = problema_da_senha(senha, usuario)
    if problema:
        raise ErroDeSenha(f"{VARIAVEL_SENHA_ADMIN} não serve: {problema}. Escolha uma senha forte "
                          "para o administrador.")
    if len(segredo.strip()) < SEGREDO_MINIMO:
        raise ErroDeSenha(
            f"{VARIAVEL_SEGREDO} é curto demais ({len(segredo.strip())} caracteres; use pelo "
            f"menos {SEGREDO_MINIMO}, por exemplo a saída de `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`).")
    return usuario, senha


def conferir_permissao_padrao(permissao: str) -> str:
    if permissao not in PERMISSOES_PADRAO_ACEITAS:
        raise ErroDeSenha(f"Permissão padrão {permissao!r} inválida: use "
                          f"{' ou '.join(PERMISSOES_PADRAO_ACEITAS)}.")
    return permissao


def texto_config(permissao_padrao: str, uri_banco: str, usuario_admin: str = USUARIO_ADMIN) -> str:
    """O ini do basic-auth. A senha do administrador NÃO entra: vem de MLFLOW_AUTH_ADMIN_PASSWORD."""
    return (
        "# Gerado por curso_mlops.basic_auth (make server-auth); não edite à mão.\n"
        "# Lido pelo app basic-auth do MLflow por meio de MLFLOW_AUTH_CONFIG_PATH.\n"
        "# A senha do administrador não fica aqui: o MLflow a lê de MLFLOW_AUTH_ADMIN_PASSWORD\n"
        "# (só na primeira vez, quando cria o usuário; depois, troque-a pela API).\n"
        "[mlflow]\n"
        f"default_permission = {permissao_padrao}\n"
        f"database_uri = {uri_banco}\n"
        f"admin_username = {usuario_admin}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "# Guarda por 60 s, em cada processo do servidor, cada senha já conferida: sem isso o\n"
        "# servidor refaz o hash lento da senha a cada pedido e o curso fica ~3x mais lento.\n"
        "# Custo: uma senha trocada ou um usuário apagado pode valer por até 60 s a mais.\n"
        f"auth_cache_ttl_seconds = {CACHE_DE_SENHAS_SEGUNDOS}\n"
    )


def escrever_config(arquivo: Path, permissao_padrao: str, uri_banco: str,
                    usuario_admin: str = USUARIO_ADMIN) -> Path:
    """Grava o ini em `arquivo` (a pasta e o arquivo, só para o dono) e devolve o caminho."""
    arquivo = Path(arquivo)
    arquivo.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(arquivo.parent, 0o700)
    arquivo.write_text(texto_config(permissao_padrao, uri_banco, usuario_admin), encoding="utf-8")
    os.chmod(arquivo, 0o600)
    return arquivo


def ambiente_com_senha(ambiente: dict[str, str], arquivo: Path, permissao_padrao: str,
                       uri_banco: str) -> dict[str, str]:
    """Confere os segredos em `ambiente`, grava o ini e devolve o ambiente que aponta para ele."""
    usuario, _ = conferir_segredos(ambiente)
    ambiente = dict(ambiente)
    ambiente[VARIAVEL_CONFIG] = str(escrever_config(arquivo, permissao_padrao, uri_banco, usuario))
    ambiente[VARIAVEL_USUARIO_ADMIN] = usuario
    return ambiente
