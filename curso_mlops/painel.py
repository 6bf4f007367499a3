"""O painel da turma: quem fez qual aula, quais self-checks passam e quando cada aluno trabalhou.

Usado por `make painel` (`scripts/painel_turma.py`). Lê o servidor de tracking da turma
(`MLFLOW_TRACKING_URI=http://...`) com as credenciais do administrador
(`MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD`) e escreve uma tabela no terminal e uma
página HTML (`build/painel.html`) para projetar em aula. **Só lê**: nenhuma chamada grava no
servidor (o cliente que o painel usa recusa qualquer método de escrita, `SoLeitura`).

**Quem é aluno.** A união de três fontes, porque qualquer uma pode faltar:

1. os usuários do app de senha (basic-auth) que não são administradores e cujo nome é um
   valor válido de ALUNO (`curso_mlops.nomes`): é quem o `criar_alunos.py` criou;
2. os experimentos `tempo-entrega-<aluno>` e `tempo-entrega-monitoramento-<aluno>`, inclusive os
   que estão na lixeira;
3. os modelos registrados `tempo_entrega_<aluno>`.

Um aluno que aparece numa fonte e não em outra continua na tabela, com uma observação ("sem
usuário no servidor", "sem o experimento ...", "experimento na lixeira"). Os nomes da aula sem
sufixo (`tempo-entrega`, de quem roda o curso sem ALUNO, como o instrutor numa demonstração)
não são de aluno nenhum e ficam fora. Num servidor sem o app de senha, só valem 2 e 3.

**Aula feita.** A aula deixou no store o que ela grava, pela tabela `curso_mlops.aula.RASTROS`,
com as mesmas verificações que as aulas seguintes usam para conferir os pré-requisitos: a 02
está feita quando há a run de preparação que a 03 vai procurar. As aulas 01, 06 e 09 não gravam
nada no MLflow (exploram dados ou só servem o modelo); o painel as mostra com "—", nunca como
feitas ou não feitas.

**Self-checks.** Os exercícios de `curso_mlops.exercicios.VERIFICAVEIS_PELO_STORE`, cada um
conferido com `exercicios.verificar(id, cliente, nomes)` no espaço do aluno. Sem o módulo, a
coluna diz "self-checks indisponíveis". Um verificador que falha com exceção conta como "não
passou" e aparece como erro no HTML; o painel não para.

**Último trabalho.** O mais recente entre o início e o fim das runs nos dois experimentos do
aluno e a última atualização das versões do modelo dele, na hora local do instrutor. A aula 00
só grava tags no experimento, que não têm hora: quem só fez a 00 aparece com "nenhuma run
ainda".
"""

from __future__ import annotations

import contextlib
import html
import importlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from . import aula as _aula
from . import nomes as _nomes

AULAS = tuple(_aula.RASTROS)
ROTULOS = {"00": "negócio", "01": "dados", "02": "preparar", "03": "treinar", "04": "avaliar",
           "05": "registrar", "06": "servir", "07": "monitorar", "08": "retreinar",
           "09": "produção", "10": "projeto"}
MODULO_EXERCICIOS = "curso_mlops.exercicios"
INDISPONIVEIS = "self-checks indisponíveis"
HTML_PADRAO = Path("build") / "painel.html"

FEITA, FALTA, SEM_RASTRO = "feita", "falta", "sem_rastro"
SIMBOLOS = {FEITA: "✓", FALTA: "·", SEM_RASTRO: "—"}
SIMBOLOS_ASCII = {FEITA: "x", FALTA: ".", SEM_RASTRO: "-"}

# Os métodos do MlflowClient que só leem. Qualquer outro é recusado por `SoLeitura`.
PREFIXOS_DE_LEITURA = ("get_", "search_", "list_", "download_")


class ErroDoPainel(RuntimeError):
    """O painel não pode ler o servidor; a mensagem é uma linha em português, sem senha."""


class EscritaRecusada(PermissionError):
    """Alguém tentou gravar no servidor pelo cliente do painel, que só lê."""


class SoLeitura:
    """Um MlflowClient que só deixa passar os métodos de leitura (`PREFIXOS_DE_LEITURA`).

    É o cliente que o painel usa e que ele entrega aos verificadores dos exercícios: um
    `set_tag`, `create_run` ou `delete_*` levanta `EscritaRecusada` antes de sair da máquina.
    """

    def __init__(self, cliente):
        object.__setattr__(self, "_cliente", cliente)

    def __getattr__(self, nome):
        valor = getattr(self._cliente, nome)
        if callable(valor) and not nome.startswith(PREFIXOS_DE_LEITURA):
            def recusado(*_args, **_kwargs):
                raise EscritaRecusada(f"o painel só lê o servidor: {nome}() foi recusado")
            return recusado
        return valor

    def __setattr__(self, nome, valor):
        raise EscritaRecusada(f"o painel só lê o servidor: não muda o cliente ({nome})")


# -- o resultado -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EstadoDaAula:
    aula: str
    estado: str          # FEITA, FALTA ou SEM_RASTRO
    detalhe: str = ""    # o que falta, ou por que a aula não deixa rastro


@dataclass(frozen=True)
class Conferencia:
    exercicio: str
    ok: bool
    erro: str = ""       # o verificador levantou uma exceção (conta como não passou)


@dataclass(frozen=True)
class LinhaDoAluno:
    aluno: str
    aulas: tuple[EstadoDaAula, ...]
    conferencias: tuple[Conferencia, ...] | None  # None: self-checks indisponíveis
    ultimo_ms: int | None
    observacoes: tuple[str, ...] = ()

    @property
    def feitas(self) -> int:
        return sum(a.estado == FEITA for a in self.aulas)

    @property
    def passaram(self) -> int:
        return sum(c.ok for c in self.conferencias or ())


@dataclass(frozen=True)
class Painel:
    endereco: str                      # o servidor, sem credenciais
    gerado_em: datetime                # com fuso (a hora local do instrutor)
    alunos: tuple[LinhaDoAluno, ...]
    exercicios: tuple[str, ...] | None  # os ids conferidos, ou None se indisponíveis
    motivo_sem_exercicios: str = ""
    avisos: tuple[str, ...] = ()

    @property
    def aulas_com_rastro(self) -> tuple[str, ...]:
        return tuple(a for a in AULAS if _aula.RASTROS[a].grava)


# -- entrada: o endereço e as credenciais -----------------------------------------------------------
def endereco_publico(uri: str) -> str:
    """O endereço do servidor sem usuário, senha, consulta nem fragmento."""
    partes = urlparse(uri.strip())
    host = partes.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    porta = f":{partes.port}" if partes.port else ""
    return urlunparse((partes.scheme, host + porta, partes.path.rstrip("/"), "", "", ""))


def conferir_entrada(uri: str | None, ambiente: dict[str, str] | None = None) -> tuple[str, str]:
    """(endereço, usuário) se o URI e as credenciais servem; senão ErroDoPainel, numa linha."""
    ambiente = os.environ if ambiente is None else ambiente
    uri = (uri or "").strip()
    if not uri:
        raise ErroDoPainel("falta o endereço do servidor da turma: exporte MLFLOW_TRACKING_URI "
                           "(ex.: http://127.0.0.1:5000) ou use --tracking-uri.")
    partes = urlparse(uri)
    if partes.scheme not in ("http", "https") or not partes.hostname:
        raise ErroDoPainel(f"o painel lê um servidor de tracking (http://...), e o endereço é "
                           f"{endereco_publico(uri) if partes.hostname else uri!r}.")
    if partes.username or partes.password:
        raise ErroDoPainel(f"tire o usuário e a senha do endereço ({endereco_publico(uri)}): "
                           "exporte MLFLOW_TRACKING_USERNAME e MLFLOW_TRACKING_PASSWORD.")
    usuario = ambiente.get("MLFLOW_TRACKING_USERNAME", "").strip()
    senha = ambiente.get("MLFLOW_TRACKING_PASSWORD", "")
    if not usuario or not senha:
        raise ErroDoPainel("faltam as credenciais do administrador: exporte "
                           "MLFLOW_TRACKING_USERNAME (ex.: admin) e MLFLOW_TRACKING_PASSWORD.")
    return endereco_publico(uri), usuario


def _pedir(uri: str, rota: str, params: dict | None = None):
    """GET `rota` no servidor, com as credenciais do ambiente, sem insistir; a resposta crua."""
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    return http_request(get_default_host_creds(uri), rota, "GET", params=params,
                        max_retries=0, timeout=30)


def responde(uri: str, timeout: float = 5.0) -> None:
    """Confere em segundos que o servidor está no ar (o cliente do MLflow insistiria por minutos)."""
    import urllib.error
    import urllib.request

    endereco = endereco_publico(uri)
    try:
        with urllib.request.urlopen(endereco + "/health", timeout=timeout):
            return
    except urllib.error.HTTPError as erro:
        raise ErroDoPainel(f"o servidor {endereco} respondeu {erro.code} em /health: é mesmo um "
                           "servidor de tracking do MLflow?") from None
    except (urllib.error.URLError, OSError) as erro:
        motivo = getattr(erro, "reason", erro)
        raise ErroDoPainel(f"o servidor {endereco} não responde ({motivo}): ele está no ar? "
                           "Confira o endereço e a porta (make server-auth).") from None


def usuarios_do_servidor(uri: str, usuario: str) -> list[dict] | None:
    """Os usuários do app de senha; None se o servidor não tem o app. Confere o administrador."""
    from mlflow.exceptions import MlflowException

    endereco = endereco_publico(uri)
    try:
        atual = _pedir(uri, "/api/2.0/mlflow/users/current")
    except MlflowException as erro:
        raise ErroDoPainel(f"o servidor {endereco} não respondeu ao pedido do usuário atual "
                           f"({_primeira_linha(erro)}).") from None
    if atual.status_code == 401:
        raise ErroDoPainel(f"o servidor {endereco} recusou o usuário {usuario!r} e a senha "
                           "(401): confira MLFLOW_TRACKING_USERNAME e MLFLOW_TRACKING_PASSWORD.")
    if atual.status_code == 404:
        return None  # sem o app basic-auth: não há usuários para listar
    if atual.status_code != 200:
        raise ErroDoPainel(f"o servidor {endereco} respondeu {atual.status_code} ao pedido do "
                           "usuário atual.")
    if not atual.json().get("user", {}).get("is_admin"):
        raise ErroDoPainel(f"o usuário {usuario!r} não é administrador do servidor {endereco}: o "
                           "painel lê a turma inteira e precisa das credenciais do admin.")
    lista = _pedir(uri, "/api/2.0/mlflow/users/list")
    if lista.status_code != 200:
        raise ErroDoPainel(f"o servidor {endereco} respondeu {lista.status_code} ao listar os "
                           "usuários.")
    return list(lista.json().get("users", []))


def _primeira_linha(erro: BaseException, tamanho: int = 160) -> str:
    texto = str(erro).strip().splitlines()
    return (texto[0] if texto else type(erro).__name__)[:tamanho]


# -- quem é aluno ----------------------------------------------------------------------------------
@dataclass
class Origem:
    """Onde o nome do aluno apareceu no servidor."""

    usuario: bool = False
    experimento: str | None = None     # "active", "deleted" ou None (não existe)
    monitoramento: str | None = None
    modelo: bool = False


def _aluno_do_nome(nome: str, prefixo: str) -> str | None:
    if not nome.startswith(prefixo):
        return None
    try:
        aluno = _nomes.validar_aluno(nome[len(prefixo):])
    except _nomes.ErroDeNome:
        return None
    return aluno or None


def _todos(buscar: Callable, **kwargs) -> list:
    """Todas as páginas de uma busca paginada do MlflowClient."""
    itens, token = [], None
    while True:
        pagina = buscar(page_token=token, **kwargs)
        itens.extend(pagina)
        token = getattr(pagina, "token", None)
        if not token:
            return itens


def descobrir_alunos(cliente, usuarios: list[dict] | None) -> tuple[dict[str, Origem], list[str]]:
    """{aluno: Origem} de todas as fontes, e os usuários que não são aluno (para o rodapé)."""
    from mlflow.entities import ViewType

    alunos: dict[str, Origem] = {}
    outros: list[str] = []
    for usuario in usuarios or ():
        nome = str(usuario.get("username", ""))
        if usuario.get("is_admin"):
            continue
        try:
            valido = _nomes.validar_aluno(nome)
        except _nomes.ErroDeNome:
            valido = ""
        if valido and valido == nome:
            alunos.setdefault(nome, Origem()).usuario = True
        else:
            outros.append(nome)
    monitoramento = _nomes.EXPERIMENTO_MONITORAMENTO + "-"
    experimentos = _todos(cliente.search_experiments, view_type=ViewType.ALL, max_results=1000,
                          filter_string=f"name LIKE '{_nomes.EXPERIMENTO}-%'")
    for experimento in experimentos:
        estado = experimento.lifecycle_stage
        aluno = _aluno_do_nome(experimento.name, monitoramento)
        if aluno is not None and _nomes.experimento_monitoramento(aluno) == experimento.name:
            alunos.setdefault(aluno, Origem()).monitoramento = estado
            continue
        aluno = _aluno_do_nome(experimento.name, _nomes.EXPERIMENTO + "-")
        if aluno is not None and _nomes.experimento(aluno) == experimento.name:
            alunos.setdefault(aluno, Origem()).experimento = estado
    for modelo in _todos(cliente.search_registered_models, max_results=1000,
                         filter_string=f"name LIKE '{_nomes.MODELO}_%'"):
        aluno = _aluno_do_nome(modelo.name, _nomes.MODELO + "_")
        if aluno is not None and _nomes.modelo(aluno) == modelo.name:
            alunos.setdefault(aluno, Origem()).modelo = True
    return dict(sorted(alunos.items())), sorted(outros)


def observacoes(n: _aula.Nomes, origem: Origem, com_usuarios: bool) -> tuple[str, ...]:
    """O que falta ou sobra nos nomes do aluno, em frases curtas para o instrutor."""
    notas = []
    if com_usuarios and not origem.usuario:
        notas.append("sem usuário no servidor")
    for estado, rotulo, nome in ((origem.experimento, "experimento", n.experimento),
                                 (origem.monitoramento, "monitoramento", n.monitoramento)):
        if estado is not None and estado != "active":
            notas.append(f"{rotulo} na lixeira ({nome})")
    faltam = [rotulo for presente, rotulo in ((origem.experimento, "experimento"),
                                               (origem.monitoramento, "monitoramento"),
                                               (origem.modelo, "modelo registrado"))
              if not presente]
    if len(faltam) == 3:
        notas.append("sem experimentos nem modelo (o criar_alunos.py os cria)")
    elif faltam:
        notas.append(f"sem {' nem '.join(faltam)} (o criar_alunos.py cria)")
    return tuple(notas)


# -- cada aluno ------------------------------------------------------------------------------------
def estado_das_aulas(cliente, n: _aula.Nomes) -> tuple[EstadoDaAula, ...]:
    estados = []
    for numero, rastro in _aula.RASTROS.items():
        if not rastro.grava:
            estados.append(EstadoDaAula(numero, SEM_RASTRO, rastro.descricao))
            continue
        falta = _aula.o_que_falta(numero, cliente, n)
        estados.append(EstadoDaAula(numero, FEITA, rastro.descricao) if falta is None
                       else EstadoDaAula(numero, FALTA, f"falta {falta}"))
    return tuple(estados)


def ultimo_trabalho(cliente, n: _aula.Nomes) -> int | None:
    """O instante (ms) mais recente em que o aluno gravou uma run ou uma versão; None se nunca."""
    tempos: list[int] = []
    for nome in (n.experimento, n.monitoramento):
        experimento = cliente.get_experiment_by_name(nome)
        if experimento is None:
            continue
        ids = [experimento.experiment_id]
        for filtro, ordem in (("", "attributes.start_time DESC"),
                              ("attributes.status != 'RUNNING'", "attributes.end_time DESC")):
            for run in cliente.search_runs(ids, filtro, max_results=1, order_by=[ordem]):
                tempos += [t for t in (run.info.start_time, run.info.end_time) if t]
    from mlflow.exceptions import MlflowException

    try:
        versoes = cliente.search_model_versions(f"name = '{n.modelo}'", max_results=1,
                                                order_by=["last_updated_timestamp DESC"])
    except MlflowException:
        versoes = []
    tempos += [int(v.last_updated_timestamp or v.creation_timestamp or 0) for v in versoes]
    tempos = [int(t) for t in tempos if t]
    return max(tempos) if tempos else None


@dataclass(frozen=True)
class Exercicios:
    """O que o painel usa de `curso_mlops.exercicios`."""

    ids: tuple[str, ...]
    verificar: Callable


def carregar_exercicios(modulo: str = MODULO_EXERCICIOS) -> Exercicios | str:
    """Os exercícios verificáveis pelo store, ou o motivo (texto) de estarem indisponíveis."""
    try:
        mod = importlib.import_module(modulo)
    except Exception as erro:  # noqa: BLE001 - qualquer falha na importação: a coluna avisa
        return f"{modulo} não pôde ser importado ({type(erro).__name__}: {_primeira_linha(erro)})"
    try:
        todos = list(mod.EXERCICIOS)
        verificaveis = set(mod.VERIFICAVEIS_PELO_STORE)
        verificar = mod.verificar
    except AttributeError as erro:
        return f"{modulo} não tem o que o painel usa ({_primeira_linha(erro)})"
    ordem = [e for e in todos if e in verificaveis]
    ordem += sorted(verificaveis - set(ordem))
    return Exercicios(tuple(ordem), verificar)


def conferir_exercicios(exercicios: Exercicios, cliente, n: _aula.Nomes) -> tuple[Conferencia, ...]:
    resultados = []
    for exercicio in exercicios.ids:
        try:
            resultado = exercicios.verificar(exercicio, cliente, n)
            resultados.append(Conferencia(exercicio, bool(getattr(resultado, "ok", False))))
        except Exception as erro:  # noqa: BLE001 - um verificador quebrado não derruba o painel
            resultados.append(Conferencia(exercicio, False,
                                          f"{type(erro).__name__}: {_primeira_linha(erro)}"))
    return tuple(resultados)


def linha_do_aluno(cliente, aluno: str, origem: Origem, com_usuarios: bool,
                   exercicios: Exercicios | None) -> LinhaDoAluno:
    n = _aula.Nomes(aluno, **_nomes.nomes_do_aluno(aluno))
    return LinhaDoAluno(
        aluno=aluno,
        aulas=estado_das_aulas(cliente, n),
        conferencias=None if exercicios is None else conferir_exercicios(exercicios, cliente, n),
        ultimo_ms=ultimo_trabalho(cliente, n),
        observacoes=observacoes(n, origem, com_usuarios),
    )


def montar(cliente, usuarios: list[dict] | None, endereco: str,
           exercicios: Exercicios | str | None = None, agora: datetime | None = None,
           paralelo: int = 4) -> Painel:
    """O painel a partir de um cliente (qualquer store) e da lista de usuários (ou None)."""
    cliente = cliente if isinstance(cliente, SoLeitura) else SoLeitura(cliente)
    agora = agora or datetime.now().astimezone()
    motivo = ""
    if isinstance(exercicios, str):
        exercicios, motivo = None, exercicios
    elif exercicios is None:
        motivo = "nenhum módulo de exercícios foi dado"
    alunos, outros = descobrir_alunos(cliente, usuarios)
    avisos = []
    if usuarios is None:
        avisos.append("o servidor não tem o app de senha (basic-auth): os alunos vêm só dos "
                      "experimentos e modelos")
    if outros:
        avisos.append("usuários que não são nomes de ALUNO (fora da tabela): " + ", ".join(outros))
    with ThreadPoolExecutor(max_workers=max(1, paralelo)) as execucao:
        linhas = list(execucao.map(
            lambda item: linha_do_aluno(cliente, item[0], item[1], usuarios is not None, exercicios),
            alunos.items()))
    return Painel(endereco=endereco, gerado_em=agora, alunos=tuple(linhas),
                  exercicios=None if exercicios is None else exercicios.ids,
                  motivo_sem_exercicios=motivo, avisos=tuple(avisos))


# -- hora legível ------------------------------------------------------------------------------------
def quando(ms: int | None, agora: datetime) -> tuple[str, str]:
    """(hora, há quanto tempo) na hora local de `agora`: ("hoje 14:03", "há 5 min")."""
    if not ms:
        return "nenhuma run ainda", ""
    instante = datetime.fromtimestamp(ms / 1000, tz=agora.tzinfo)
    dia = instante.date()
    if dia == agora.date():
        hora = f"hoje {instante:%H:%M}"
    elif dia == agora.date() - timedelta(days=1):
        hora = f"ontem {instante:%H:%M}"
    elif dia.year == agora.year:
        hora = f"{instante:%d/%m %H:%M}"
    else:
        hora = f"{instante:%d/%m/%Y %H:%M}"
    segundos = (agora - instante).total_seconds()
    if segundos < 60:
        relativo = "agora há pouco"
    elif segundos < 3600:
        relativo = f"há {int(segundos // 60)} min"
    elif segundos < 86400:
        relativo = f"há {int(segundos // 3600)} h"
    else:
        dias = int(segundos // 86400)
        relativo = f"há {dias} dia{'s' if dias > 1 else ''}"
    return hora, relativo


def descrever_fuso(agora: datetime) -> str:
    deslocamento = agora.utcoffset() or timedelta(0)
    minutos = int(deslocamento.total_seconds() // 60)
    sinal = "+" if minutos >= 0 else "-"
    return f"UTC{sinal}{abs(minutos) // 60:02d}:{abs(minutos) % 60:02d}"


def _texto_do_checks(linha: LinhaDoAluno) -> str:
    if linha.conferencias is None:
        return "indisponíveis"
    return f"{linha.passaram}/{len(linha.conferencias)}"


# -- o terminal ------------------------------------------------------------------------------------
def simbolos_para(codificacao: str | None) -> dict[str, str]:
    """Os símbolos Unicode, se o terminal os escreve; senão os ASCII (x . -)."""
    try:
        "".join(SIMBOLOS.values()).encode(codificacao or "ascii")
        return SIMBOLOS
    except (LookupError, UnicodeEncodeError):
        return SIMBOLOS_ASCII


def texto(painel: Painel, simbolos: dict[str, str] = SIMBOLOS) -> str:
    """A tabela do terminal, com o cabeçalho, a linha da turma e a legenda."""
    n = len(painel.alunos)
    linhas = [f"Painel da turma · {painel.endereco} · {n} aluno{'s' if n != 1 else ''} · gerado em "
              f"{painel.gerado_em:%d/%m/%Y %H:%M} ({descrever_fuso(painel.gerado_em)})", ""]
    largura = max([len("aluno"), len("turma"), *(len(a.aluno) for a in painel.alunos)])
    total = len(painel.aulas_com_rastro)
    cabecalho = (f"{'aluno':<{largura}}  " + " ".join(f"{a:>2}" for a in AULAS)
                 + f"  {'aulas':>5}  {'self-checks':<13}  {'último trabalho':<28}  observações")
    linhas.append(cabecalho.rstrip())
    for aluno in painel.alunos:
        marcas = " ".join(f"{simbolos[e.estado]:>2}" for e in aluno.aulas)
        hora, relativo = quando(aluno.ultimo_ms, painel.gerado_em)
        ultimo = f"{hora} ({relativo})" if relativo else hora
        linha = (f"{aluno.aluno:<{largura}}  {marcas}  {f'{aluno.feitas}/{total}':>5}  "
                 f"{_texto_do_checks(aluno):<13}  {ultimo:<28}  {'; '.join(aluno.observacoes)}")
        linhas.append(linha.rstrip())
    if painel.alunos:
        contagem = []
        for numero in AULAS:
            if _aula.RASTROS[numero].grava:
                contagem.append(f"{sum(_estado(a, numero) == FEITA for a in painel.alunos):>2}")
            else:
                contagem.append(f"{simbolos[SEM_RASTRO]:>2}")
        linhas.append(f"{'turma':<{largura}}  " + " ".join(contagem)
                      + "  (quantos alunos fizeram cada aula)")
    else:
        linhas.append("(nenhum aluno no servidor: crie-os com scripts/criar_alunos.py)")
    linhas.append("")
    sem_rastro = ", ".join(a for a in AULAS if not _aula.RASTROS[a].grava)
    linhas.append(f"{simbolos[FEITA]} feita (o que a aula grava está no servidor)   "
                  f"{simbolos[FALTA]} ainda não   {simbolos[SEM_RASTRO]} a aula não grava nada no "
                  f"MLflow ({sem_rastro}): o servidor não tem como mostrá-la")
    if painel.exercicios is None:
        linhas.append(f"{INDISPONIVEIS}: {painel.motivo_sem_exercicios}")
    else:
        linhas.append(f"self-checks: quantos dos {len(painel.exercicios)} exercícios verificáveis "
                      "pelo store passam (curso_mlops.exercicios)")
    linhas += [f"aviso: {a}" for a in painel.avisos]
    return "\n".join(linhas) + "\n"


def _estado(linha: LinhaDoAluno, numero: str) -> str:
    return next(e.estado for e in linha.aulas if e.aula == numero)


# -- o HTML ----------------------------------------------------------------------------------------
_CSS = """
:root { --verde: #0b6e2e; --fundo-verde: #d9f2e0; --cinza: #8a8a8a; --linha: #d0d0d0; }
* { box-sizing: border-box; }
html { font-size: 22px; }
body { margin: 0; padding: 1rem 1.2rem; font-family: "DejaVu Sans", "Segoe UI", Arial,
       sans-serif; font-size: 1rem; color: #111; background: #fff; }
h1 { font-size: 2rem; margin: 0 0 .2rem 0; }
.sub { color: #333; margin: 0 0 1rem 0; font-size: 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 2px solid var(--linha); padding: .3rem .25rem; text-align: center; }
thead th { position: sticky; top: 0; background: #fff; border-bottom: 3px solid #111;
           font-size: .95rem; line-height: 1.1; }
thead th small { display: block; font-weight: normal; font-size: .58rem; color: #444; }
th.aluno, td.aluno { text-align: left; font-size: 1.25rem; }
td.aluno { font-weight: bold; min-width: 7.5rem; max-width: 11rem; overflow-wrap: break-word; }
td.aluno.longo { font-size: .8rem; }
td.aluno .obs { display: block; font-weight: normal; font-size: .55rem; color: #8a4b00;
                white-space: normal; max-width: 12rem; line-height: 1.25; }
td.aula { font-size: 1.8rem; font-weight: bold; width: 2.7rem; line-height: 1; }
td.aula small { display: block; font-size: .6rem; font-weight: normal; color: #333; }
td.feita { background: var(--fundo-verde); color: var(--verde); }
td.falta { color: #6f6f6f; }
td.sem_rastro { color: #b8b8b8; background: #f4f4f4; font-weight: normal; }
td.num { font-size: 1.2rem; white-space: nowrap; }
td.quando { text-align: left; white-space: nowrap; font-size: 1.05rem; }
td.quando.nada { white-space: normal; font-size: .75rem; color: #444; }
td.quando small { display: block; color: #444; font-size: .7rem; }
td.obs { text-align: left; color: #444; font-size: .75rem; }
tr.turma td { border-top: 3px solid #111; border-bottom: none; font-weight: bold;
              font-size: 1.1rem; color: #111; background: #fff; }
tr.turma td.obs { font-weight: normal; font-size: .65rem; color: #444; }
p.indisp { color: #7a4b00; font-size: .8rem; }
td.indisp { color: #7a4b00; font-size: .8rem; max-width: 7rem; border-bottom: none; }
.legenda { margin-top: 1.2rem; font-size: .9rem; }
.legenda span.m { display: inline-block; min-width: 2.2rem; text-align: center; font-weight: bold;
                  font-size: 1.3rem; padding: 0 .3rem; margin-right: .2rem; }
.legenda .feita { background: var(--fundo-verde); color: var(--verde); }
.legenda .falta { color: var(--cinza); }
.legenda .sem_rastro { color: #b8b8b8; background: #f4f4f4; }
.criterios { font-size: .75rem; color: #333; margin-top: .8rem; columns: 2; }
.criterios li { break-inside: avoid; }
.avisos { color: #7a4b00; font-size: .85rem; }
footer { margin-top: 1rem; font-size: .75rem; color: #444; }
code { font-size: .9em; }
"""


def _e(valor) -> str:
    return html.escape(str(valor), quote=True)


def pagina(painel: Painel) -> str:
    """A página HTML completa, sem nenhum recurso externo (CSS embutido, sem JS nem fontes)."""
    total = len(painel.aulas_com_rastro)
    gerado = f"{painel.gerado_em:%d/%m/%Y %H:%M} ({descrever_fuso(painel.gerado_em)})"
    por_aula = {}
    if painel.exercicios is not None:
        for exercicio in painel.exercicios:
            por_aula.setdefault(exercicio.split(".")[0], []).append(exercicio)
    cab = ['<th class="aluno" scope="col">aluno</th>']
    for numero in AULAS:
        cab.append(f'<th scope="col" title="{_e(_aula.NOTEBOOKS.get(numero, numero))}">{numero}'
                   f'<small>{_e(ROTULOS.get(numero, ""))}</small></th>')
    cab += [f'<th scope="col">aulas<small>de {total}</small></th>',
            '<th scope="col">self-checks</th>',
            '<th scope="col">último trabalho</th>']
    corpo = []
    for linha in painel.alunos:
        notas = "".join(f'<span class="obs">{_e(nota)}</span>' for nota in linha.observacoes)
        classe = "aluno longo" if len(linha.aluno) > 12 else "aluno"
        celulas = [f'<td class="{classe}">{_e(linha.aluno)}{notas}</td>']
        conferidas = {c.exercicio: c for c in linha.conferencias or ()}
        for estado in linha.aulas:
            sub = ""
            ids = por_aula.get(estado.aula, [])
            if linha.conferencias is not None and ids:
                ok = sum(conferidas[i].ok for i in ids)
                sub = f'<small title="self-checks da aula {estado.aula}">{ok}/{len(ids)}</small>'
            rotulo = {FEITA: "feita", FALTA: "ainda não", SEM_RASTRO: "sem rastro no store"}
            celulas.append(f'<td class="aula {estado.estado}" data-aula="{estado.aula}" '
                           f'title="{_e(f"aula {estado.aula}: {rotulo[estado.estado]} — {estado.detalhe}")}">'
                           f'{SIMBOLOS[estado.estado]}{sub}</td>')
        celulas.append(f'<td class="num aulas">{linha.feitas}/{total}</td>')
        if linha.conferencias is None:
            if linha is painel.alunos[0]:  # uma célula só, da primeira à última linha
                celulas.append(f'<td class="checks indisp" rowspan="{len(painel.alunos)}">'
                               f'{INDISPONIVEIS}</td>')
        else:
            passaram = " ".join(c.exercicio for c in linha.conferencias if c.ok) or "nenhum"
            erros = [f"{c.exercicio} ({c.erro})" for c in linha.conferencias if c.erro]
            dica = f"passam: {passaram}" + (f"; com erro: {'; '.join(erros)}" if erros else "")
            celulas.append(f'<td class="num checks" title="{_e(dica)}">{linha.passaram}/'
                           f'{len(linha.conferencias)}</td>')
        hora, relativo = quando(linha.ultimo_ms, painel.gerado_em)
        classe = "quando" if linha.ultimo_ms else "quando nada"
        celulas.append(f'<td class="{classe}">{_e(hora)}'
                       + (f'<small>({_e(relativo)})</small>' if relativo else "") + "</td>")
        corpo.append(f'<tr data-aluno="{_e(linha.aluno)}">' + "".join(celulas) + "</tr>")
    if painel.alunos:
        turma = ['<td class="aluno">turma</td>']
        for numero in AULAS:
            if _aula.RASTROS[numero].grava:
                feitas = sum(_estado(a, numero) == FEITA for a in painel.alunos)
                turma.append(f'<td title="alunos que fizeram a aula {numero}">{feitas}</td>')
            else:
                turma.append(f'<td class="sem_rastro">{SIMBOLOS[SEM_RASTRO]}</td>')
        turma.append(f'<td colspan="3" class="obs">quantos dos {len(painel.alunos)} alunos '
                     "fizeram cada aula</td>")
        corpo.append('<tr class="turma">' + "".join(turma) + "</tr>")
    else:
        corpo.append(f'<tr><td colspan="{len(AULAS) + 4}">Nenhum aluno no servidor: crie-os com '
                     "<code>scripts/criar_alunos.py</code>.</td></tr>")
    sem_rastro = ", ".join(a for a in AULAS if not _aula.RASTROS[a].grava)
    if painel.exercicios is None:
        checks = f'<p class="indisp">{INDISPONIVEIS}: {_e(painel.motivo_sem_exercicios)}</p>'
    else:
        checks = (f"<p>Self-checks: quantos dos {len(painel.exercicios)} exercícios verificáveis "
                  "pelo store passam no espaço do aluno; embaixo de cada aula, os da aula.</p>")
    criterios = "".join(f"<li><b>{numero}</b> {_e(rastro.descricao)}</li>"
                        for numero, rastro in _aula.RASTROS.items())
    avisos = "".join(f'<p class="avisos">aviso: {_e(a)}</p>' for a in painel.avisos)
    return f"""<!DOCTYPE html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Painel da turma · {_e(painel.endereco)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Painel da turma</h1>
<p class="sub">Servidor <b>{_e(painel.endereco)}</b> · {len(painel.alunos)} aluno(s) ·
gerado em <b>{_e(gerado)}</b>, hora local</p>
<table>
<thead><tr>{"".join(cab)}</tr></thead>
<tbody>
{chr(10).join(corpo)}
</tbody>
</table>
<div class="legenda">
<p><span class="m feita">{SIMBOLOS[FEITA]}</span> feita: o que a aula grava está no servidor
&nbsp; <span class="m falta">{SIMBOLOS[FALTA]}</span> ainda não
&nbsp; <span class="m sem_rastro">{SIMBOLOS[SEM_RASTRO]}</span> a aula não grava nada no MLflow
({_e(sem_rastro)}): o servidor não tem como mostrá-la</p>
{checks}
{avisos}
</div>
<ul class="criterios">{criterios}</ul>
<footer>O painel só lê o servidor (nada é gravado). Para atualizar: <code>make painel</code>.</footer>
</body>
</html>
"""


def gravar(conteudo: str, destino: Path) -> Path:
    """Grava o HTML por inteiro ou não grava (um arquivo temporário trocado no fim)."""
    destino = Path(destino)
    destino.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=destino.parent,
                                     suffix=".tmp", delete=False) as arquivo:
        arquivo.write(conteudo)
    os.replace(arquivo.name, destino)
    return destino


def sem_segredos(conteudo: str, segredos: Iterable[str]) -> str:
    """Troca qualquer segredo que tenha escapado para o texto por ***."""
    for segredo in segredos:
        if segredo:
            conteudo = conteudo.replace(segredo, "***")
    return conteudo


# -- tudo junto ------------------------------------------------------------------------------------
def ler_servidor(uri: str, exercicios: Exercicios | str | None = None,
                 agora: datetime | None = None, ambiente: dict[str, str] | None = None) -> Painel:
    """Confere a entrada, o servidor e as credenciais e monta o painel. Só lê."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    endereco, usuario = conferir_entrada(uri, ambiente)
    responde(endereco)
    usuarios = usuarios_do_servidor(endereco, usuario)
    cliente = MlflowClient(tracking_uri=endereco, registry_uri=endereco)
    try:
        painel = montar(cliente, usuarios, endereco, exercicios, agora)
    except MlflowException as erro:
        raise ErroDoPainel(f"o servidor {endereco} falhou no meio da leitura "
                           f"({_primeira_linha(erro)}).") from None
    responde(endereco)  # se ele caiu no meio, as aulas "não feitas" não seriam verdade
    return painel


def executar(uri: str | None, destino_html: Path | None, modulo_exercicios: str = MODULO_EXERCICIOS,
             saida=None, agora: datetime | None = None) -> Path | None:
    """O `make painel`: lê o servidor, escreve a tabela em `saida` e o HTML em `destino_html`."""
    saida = sys.stdout if saida is None else saida
    segredos = [os.environ.get("MLFLOW_TRACKING_PASSWORD", "")]
    for variavel, valor in (("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2"),
                            ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
                            ("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")):
        os.environ.setdefault(variavel, valor)
    inicio = time.monotonic()
    # O que um verificador imprimir não se mistura com a tabela (ela só sai no fim).
    with contextlib.redirect_stdout(io.StringIO()):
        painel = ler_servidor(uri, carregar_exercicios(modulo_exercicios), agora)
    simbolos = simbolos_para(getattr(saida, "encoding", None))
    with contextlib.suppress(AttributeError, ValueError):
        saida.reconfigure(errors="replace")  # um terminal sem UTF-8 vê "?" e não um erro
    saida.write(sem_segredos(texto(painel, simbolos), segredos))
    if destino_html is not None:
        gravar(sem_segredos(pagina(painel), segredos), destino_html)
        saida.write(f"HTML: {destino_html} ({time.monotonic() - inicio:.1f} s)\n")
    saida.flush()
    return destino_html


__all__ = ["AULAS", "ErroDoPainel", "EscritaRecusada", "Painel", "SoLeitura", "carregar_exercicios",
           "conferir_entrada", "descobrir_alunos", "endereco_publico", "executar", "montar",
           "pagina", "quando", "texto"]
