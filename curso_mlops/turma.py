"""A turma num servidor com senha: um usuário por aluno, cada um com os seus nomes.

Usado por `scripts/criar_alunos.py` (o instrutor roda uma vez, e de novo quando chega aluno).

O CSV (UTF-8, separado por vírgula, com cabeçalho) tem duas colunas:

    aluno,senha
    ana,Vento-Azul-42-Mar
    joao-silva,Pedra.Lisa.Cinco.7

- `aluno` é o nome de usuário no servidor e o valor de ALUNO do aluno (a mesma regra de
  `curso_mlops.nomes.validar_aluno`: minúsculas, dígitos e hífen);
- `senha`: pelo menos 12 caracteres, sem o nome do aluno, com 6 caracteres diferentes ou
  mais e sem sequências óbvias (`problema_da_senha`, abaixo: a mesma regra vale para a
  senha do administrador do `make server-auth`).

Linhas em branco e linhas que começam com `#` são ignoradas. O arquivo é conferido inteiro
antes de qualquer mudança no servidor: um nome repetido, inválido ou uma senha fraca param
tudo, com a linha do problema. A senha nunca é impressa.

Para cada aluno, com as credenciais do administrador (MLFLOW_TRACKING_USERNAME e
MLFLOW_TRACKING_PASSWORD):

1. cria o usuário (se ele já existe, mantém a senha que ele tem);
2. cria, se ainda não existem, os experimentos `tempo-entrega-<aluno>` e
   `tempo-entrega-monitoramento-<aluno>` (o servidor decide onde ficam os artefatos) e o modelo
   registrado `tempo_entrega_<aluno>`, ainda sem versões;
3. dá ao aluno EDIT nos três (`grant_user_permission` do cliente do basic-auth). EDIT deixa
   criar runs, registrar versões, mudar tags e aliases; não deixa apagar nem dar permissão a
   outros (isso é MANAGE, e a aula 08, que apaga um alias e uma versão, precisa dele:
   `permissao="MANAGE"`). Nos recursos dos colegas vale a permissão padrão do servidor (READ:
   ver, sem gravar).

Criar os recursos antes é o que garante o nome: se o aluno os criasse, qualquer colega
poderia criar `tempo-entrega-ana` antes da Ana.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from . import nomes

COLUNAS = ("aluno", "senha")
PERMISSOES = ("EDIT", "MANAGE")
SENHA_MINIMA = 12  # o MLflow 3.17 recusa senhas menores


class ErroDaTurma(ValueError):
    """O CSV da turma ou o servidor não permitem criar os alunos."""


# -- a regra das senhas (alunos e administrador) -------------------------------------------------
def problema_da_senha(senha: str | None, usuario: str = "") -> str | None:
    """Por que a senha é fraca (em português), ou None se ela serve.

    A regra do curso: pelo menos 12 caracteres (o mínimo do MLflow), não conter o nome do
    usuário, ter pelo menos 6 caracteres diferentes, nenhuma sequência de teclado ou de
    alfabeto com 6 caracteres (123456, abcdef, qwerty) nem as palavras senha, password, mlflow.
    """
    if senha is None or not senha.strip():
        return "a senha está vazia"
    if senha != senha.strip():
        return "a senha começa ou termina com espaço (provável erro de cópia)"
    if len(senha) < SENHA_MINIMA:
        return f"a senha tem {len(senha)} caracteres; o mínimo é {SENHA_MINIMA}"
    if usuario and usuario.lower() in senha.lower():
        return "a senha contém o nome do usuário"
    if len(set(senha)) < 6:
        return "a senha repete poucos caracteres (precisa de pelo menos 6 diferentes)"
    minuscula = senha.lower()
    for sequencia in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl"):
        for i in range(len(sequencia) - 5):
            if sequencia[i:i + 6] in minuscula:
                return f"a senha contém uma sequência óbvia ({sequencia[i:i + 6]!r})"
    for palavra in ("senha", "password", "mlflow"):
        if palavra in minuscula:
            return f"a senha contém a palavra óbvia {palavra!r}"
    return None


# -- o CSV da turma ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Aluno:
    nome: str
    senha: str
    linha: int

    def __repr__(self) -> str:  # nunca mostra a senha
        return f"Aluno({self.nome!r}, linha {self.linha})"


def ler_csv(texto: str, origem: str = "CSV") -> list[Aluno]:
    """Lê e confere o CSV inteiro; levanta ErroDaTurma com todos os problemas encontrados."""
    linhas_uteis = [(i, l) for i, l in enumerate(texto.splitlines(), start=1)
                    if l.strip() and not l.lstrip().startswith("#")]
    if not linhas_uteis:
        raise ErroDaTurma(f"{origem}: está vazio; a primeira linha deve ser o cabeçalho "
                          f"{','.join(COLUNAS)}.")
    numeros = [i for i, _ in linhas_uteis]
    leitor = csv.reader(io.StringIO("\n".join(l for _, l in linhas_uteis)))
    linhas = list(leitor)
    cabecalho = [c.strip().lower() for c in linhas[0]]
    if cabecalho != list(COLUNAS):
        raise ErroDaTurma(f"{origem}: o cabeçalho deve ser exatamente {','.join(COLUNAS)} "
                          f"(encontrado: {','.join(linhas[0])}).")
    alunos, problemas, vistos = [], [], {}
    for numero, campos in zip(numeros[1:], linhas[1:]):
        if len(campos) != len(COLUNAS):
            problemas.append(f"linha {numero}: esperava {len(COLUNAS)} colunas (aluno,senha), "
                             f"encontrei {len(campos)} (uma vírgula na senha? ponha a senha "
                             "entre aspas)")
            continue
        nome, senha = campos[0].strip(), campos[1]
        if not nome:
            problemas.append(f"linha {numero}: o nome do aluno está vazio")
            continue
        try:
            nomes.validar_aluno(nome)
        except nomes.ErroDeNome as erro:
            problemas.append(f"linha {numero}: {erro}")
            continue
        if nome in vistos:
            problemas.append(f"linha {numero}: o aluno {nome!r} está repetido (já aparece na "
                             f"linha {vistos[nome]})")
            continue
        vistos[nome] = numero
        problema = problema_da_senha(senha, nome)
        if problema:
            problemas.append(f"linha {numero}: a senha de {nome!r} não serve: {problema}")
            continue
        alunos.append(Aluno(nome, senha, numero))
    if problemas:
        raise ErroDaTurma(f"{origem}: nada foi criado; corrija e rode de novo:\n  - "
                          + "\n  - ".join(problemas))
    if not alunos:
        raise ErroDaTurma(f"{origem}: só tem o cabeçalho; nenhum aluno para criar.")
    return alunos


def ler_arquivo(caminho: str | Path) -> list[Aluno]:
    caminho = Path(caminho)
    if not caminho.is_file():
        raise ErroDaTurma(f"{caminho}: arquivo não encontrado.")
    try:
        texto = caminho.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ErroDaTurma(f"{caminho}: não está em UTF-8 (salve o CSV como UTF-8).") from None
    return ler_csv(texto, caminho.name)


def credenciais_do_admin(ambiente: dict[str, str] | None = None) -> tuple[str, str]:
    ambiente = os.environ if ambiente is None else ambiente
    usuario = ambiente.get("MLFLOW_TRACKING_USERNAME", "").strip()
    senha = ambiente.get("MLFLOW_TRACKING_PASSWORD", "")
    if not usuario or not senha:
        raise ErroDaTurma(
            "Faltam as credenciais do administrador do servidor: exporte "
            "MLFLOW_TRACKING_USERNAME (ex.: admin) e MLFLOW_TRACKING_PASSWORD (a senha que "
            "você deu em MLFLOW_AUTH_ADMIN_PASSWORD ao subir `make server-auth`).")
    return usuario, senha


def responde(tracking_uri: str, timeout: float = 5.0) -> None:
    """Confere em segundos que o servidor está no ar (o cliente do MLflow insistiria por minutos)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(tracking_uri.rstrip("/") + "/health", timeout=timeout):
            return
    except (urllib.error.URLError, OSError) as erro:
        motivo = getattr(erro, "reason", erro)
        raise ErroDaTurma(f"O servidor {tracking_uri} não responde ({motivo}). Ele está no ar? "
                          "Suba-o com `make server-auth` e confira a porta.") from None


def _codigo(erro: Exception) -> str:
    return str(getattr(erro, "error_code", "") or "")


def _garantir_experimento(cliente, nome: str) -> tuple[str, bool]:
    from mlflow.exceptions import MlflowException

    experimento = cliente.get_experiment_by_name(nome)
    if experimento is None:
        try:
            return cliente.create_experiment(nome), True
        except MlflowException as erro:
            if "RESOURCE_ALREADY_EXISTS" not in _codigo(erro):
                raise
            experimento = cliente.get_experiment_by_name(nome)
    if experimento.lifecycle_stage == "deleted":
        raise ErroDaTurma(f"O experimento {nome!r} está na lixeira do servidor; restaure-o "
                          f"(mlflow experiments restore --experiment-id "
                          f"{experimento.experiment_id}) e rode de novo.")
    return experimento.experiment_id, False


def _garantir_modelo(cliente, nome: str, aluno: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        cliente.get_registered_model(nome)
        return False
    except MlflowException as erro:
        if "RESOURCE_DOES_NOT_EXIST" not in _codigo(erro):
            raise
    try:
        cliente.create_registered_model(
            nome, tags={"aluno": aluno},
            description=f"Modelo de tempo de entrega do aluno {aluno} (criado pelo instrutor).")
        return True
    except MlflowException as erro:
        if "RESOURCE_ALREADY_EXISTS" not in _codigo(erro):
            raise
        return False


def _conceder(auth, aluno: str, tipo: str, recurso: str, permissao: str) -> str:
    """Dá `permissao`; se já havia uma concessão, ajusta-a. Devolve 'concedida' ou 'mantida'."""
    from mlflow.exceptions import MlflowException

    try:
        auth.grant_user_permission(aluno, tipo, recurso, permissao)
        return "concedida"
    except MlflowException as erro:
        if "RESOURCE_ALREADY_EXISTS" not in _codigo(erro):
            raise
    atual = auth.get_user_permission(aluno, tipo, recurso)
    if atual.permission == permissao:
        return "mantida"
    auth.revoke_user_permission(aluno, tipo, recurso)
    auth.grant_user_permission(aluno, tipo, recurso, permissao)
    return "ajustada"


def criar_alunos(alunos: list[Aluno], tracking_uri: str, permissao: str = "EDIT",
                 avisar=print) -> list[dict]:
    """Cria usuários, recursos e concessões; devolve um resumo por aluno (sem senhas)."""
    import mlflow.server
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    if permissao not in PERMISSOES:
        raise ErroDaTurma(f"Permissão {permissao!r} inválida: use {' ou '.join(PERMISSOES)}.")
    if not tracking_uri.startswith(("http://", "https://")):
        raise ErroDaTurma(f"O tracking URI precisa ser o servidor com senha (http://...), não "
                          f"{tracking_uri!r}.")
    credenciais_do_admin()
    responde(tracking_uri)
    auth = mlflow.server.get_app_client("basic-auth", tracking_uri=tracking_uri)
    cliente = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        auth.get_user(os.environ["MLFLOW_TRACKING_USERNAME"].strip())
    except MlflowException as erro:
        raise ErroDaTurma(
            f"O servidor {tracking_uri} recusou as credenciais do administrador ou não tem o "
            f"app de senha (foi iniciado com `make server-auth`?). Detalhe: "
            f"{str(erro).splitlines()[0][:200]}") from None
    resumo = []
    for aluno in alunos:
        try:
            auth.get_user(aluno.nome)
            usuario = "já existia (senha mantida)"
        except MlflowException as erro:
            if "RESOURCE_DOES_NOT_EXIST" not in _codigo(erro):
                raise
            auth.create_user(aluno.nome, aluno.senha)
            usuario = "criado"
        proprios = nomes.nomes_do_aluno(aluno.nome)
        feito = {"aluno": aluno.nome, "usuario": usuario}
        for chave in ("experimento", "monitoramento"):
            experimento_id, criado = _garantir_experimento(cliente, proprios[chave])
            situacao = _conceder(auth, aluno.nome, "experiment", experimento_id, permissao)
            feito[chave] = (proprios[chave], experimento_id, criado, situacao)
        criado = _garantir_modelo(cliente, proprios["modelo"], aluno.nome)
        situacao = _conceder(auth, aluno.nome, "registered_model", proprios["modelo"], permissao)
        feito["modelo"] = (proprios["modelo"], None, criado, situacao)
        # Os espaços dos exercícios (as tentativas que o `conferir` lê) e das respostas
        # comentadas: reservados também, para um colega não criar `tempo-entrega-exercicios-ana`
        # antes da Ana.
        for chave, experimento, modelo in (
                ("exercicios", nomes.experimento_exercicios(aluno.nome), nomes.modelo_exercicios(aluno.nome)),
                ("respostas", nomes.experimento_respostas(aluno.nome), nomes.modelo_respostas(aluno.nome))):
            experimento_id, criado = _garantir_experimento(cliente, experimento)
            _conceder(auth, aluno.nome, "experiment", experimento_id, permissao)
            _garantir_modelo(cliente, modelo, aluno.nome)
            situacao = _conceder(auth, aluno.nome, "registered_model", modelo, permissao)
            feito[chave] = (experimento, experimento_id, criado, situacao)
        avisar(f"{aluno.nome}: usuário {usuario}; {permissao} em "
               f"{proprios['experimento']}, {proprios['monitoramento']} e {proprios['modelo']} "
               "(e nos espaços dos exercícios e das respostas)")
        resumo.append(feito)
    return resumo
