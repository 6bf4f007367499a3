"""A primeira célula de cada aula: saídas estáveis, os nomes do aluno e os pré-requisitos.

    from curso_mlops import aula

    nomes = aula.preparar("05", ALUNO)   # para com uma mensagem se faltar algo de antes
    EXPERIMENTO, MODELO = nomes.experimento, nomes.modelo

`preparar` faz três coisas, nesta ordem, e nenhuma grava no store:

1. **Saídas estáveis.** Fixa, no próprio kernel, as variáveis do MLflow que mudam o que as
   células imprimem (`SAIDAS_ESTAVEIS`): sem a barra de progresso dos downloads de
   artefatos e sem os links "View run … at …" que o MLflow imprime ao fim de cada run num
   servidor. Assim o JupyterLab, um editor (VS Code), o papermill e a CI mostram a mesma
   coisa que as saídas guardadas, sem depender do ambiente de quem abriu o kernel.
2. **O aluno.** Confere o valor de `ALUNO` (`curso_mlops.nomes`) e devolve os nomes dele.
3. **O que as aulas anteriores deixaram no store.** Cada aula depende de algo que uma aula
   anterior gravou no MLflow (o experimento com o KPI, a run de preparação, o candidato, o
   champion guardado, a decisão do monitoramento). Se faltar, `preparar` levanta
   `FaltaUmaAulaAnterior` com uma mensagem em português que diz qual notebook rodar antes,
   sem *traceback* (no Jupyter aparece só a mensagem) e sem ter tocado no store: num SQLite
   que ainda não existe, nem o arquivo é criado.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from . import nomes as _nomes
from . import store

# As variáveis que estabilizam as saídas (lidas pelo MLflow a cada uso, então valem já).
SAIDAS_ESTAVEIS = {
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    # Para os processos filhos (`mlflow models serve`, `mlflow models predict`): eles importam o
    # guarda.py de dentro do modelo, no próprio store, e o Python gravaria ali um __pycache__
    # (o modelo registrado ganharia arquivos que dependem da versão do Python).
    "PYTHONDONTWRITEBYTECODE": "1",
}

# Os notebooks do curso, pelo número (o nome que a mensagem manda rodar).
NOTEBOOKS = {
    "00": "00_entender_o_negocio",
    "01": "01_explorar_os_dados",
    "02": "02_preparar_os_dados",
    "03": "03_treinar_e_rastrear_experimentos",
    "04": "04_avaliar_e_comparar_modelos",
    "05": "05_registrar_e_versionar_modelos",
    "06": "06_servir_o_modelo_via_api",
    "07": "07_monitorar_o_modelo_em_producao",
    "08": "08_retreinar_promover_e_depreciar",
    "09": "09_levar_a_api_para_producao",
    "10": "10_empacotar_com_mlflow_projects",
}

TAG_CANDIDATO = "candidato_producao"
ALIAS_CHAMPION = "champion"


class PararAula(RuntimeError):
    """Para a aula com uma mensagem em português, sem *traceback*.

    No Jupyter (IPython), `_render_traceback_` troca o *traceback* pela própria mensagem: o
    aluno vê uma linha que diz o que aconteceu e o que fazer, não um rastro de chamadas. O
    papermill e o executor do curso continuam vendo um erro (a execução para ali).
    """

    def _render_traceback_(self):  # IPython
        return [f"{type(self).__name__}: {self}"]


class FaltaUmaAulaAnterior(PararAula):
    """Falta no store algo que uma aula anterior grava. A mensagem diz qual notebook rodar."""

    def __init__(self, aula: str, falta: str, rodar: str):
        self.aula, self.falta, self.rodar = aula, falta, rodar
        notebook = NOTEBOOKS.get(rodar, rodar)
        super().__init__(
            f"A aula {aula} precisa de {falta}, e isso ainda não está no store "
            f"({store.descrever()}). Rode antes o notebook {notebook}.ipynb no mesmo store "
            f"(ou `make run`, que roda o curso inteiro), e depois esta aula de novo.")


@dataclass(frozen=True)
class Nomes:
    """Os nomes deste aluno: o experimento, o do monitoramento e o modelo registrado."""

    aluno: str
    experimento: str
    monitoramento: str
    modelo: str


def estabilizar_saidas(ambiente: dict | None = None) -> None:
    """Fixa `SAIDAS_ESTAVEIS` no ambiente deste processo (o kernel) e dos filhos dele."""
    (os.environ if ambiente is None else ambiente).update(SAIDAS_ESTAVEIS)


# -- os pré-requisitos ---------------------------------------------------------------------------
# Cada verificação recebe (cliente, nomes) e devolve None (ok) ou (o que falta, aula que o grava).


def _experimento(cliente, n: Nomes):
    experimento = cliente.get_experiment_by_name(n.experimento)
    if experimento is None or experimento.lifecycle_stage != "active":
        return f"o experimento {n.experimento!r}", "00"
    if "kpi.mae_max" not in experimento.tags:
        return f"o KPI nas tags do experimento {n.experimento!r}", "00"
    return None


def _uma_run(cliente, nome_experimento: str, filtro: str):
    experimento = cliente.get_experiment_by_name(nome_experimento)
    if experimento is None or experimento.lifecycle_stage != "active":
        return None  # um experimento na lixeira não serve a aula nenhuma (set_experiment o recusa)
    runs = cliente.search_runs([experimento.experiment_id], filtro, max_results=1,
                               order_by=["attributes.start_time DESC"])
    return runs[0] if runs else None


def _preparacao(cliente, n: Nomes):
    if _uma_run(cliente, n.experimento,
                "tags.etapa = 'preparacao' and attributes.status = 'FINISHED'") is None:
        return "a run de preparação dos dados (tag etapa = 'preparacao')", "02"
    return None


def _treino(cliente, n: Nomes):
    if _uma_run(cliente, n.experimento,
                "tags.etapa = 'treino' and attributes.status = 'FINISHED'") is None:
        return "as runs de treino dos candidatos (tag etapa = 'treino')", "03"
    return None


def _candidato(cliente, n: Nomes):
    if _uma_run(cliente, n.experimento, f"tags.{TAG_CANDIDATO} = 'true'") is None:
        return f"a run marcada com {TAG_CANDIDATO} = 'true'", "04"
    return None


def _champion_guardado(cliente, n: Nomes):
    from mlflow.exceptions import MlflowException

    try:
        versao = cliente.get_model_version_by_alias(n.modelo, ALIAS_CHAMPION)
    except MlflowException:
        return f"o modelo registrado {n.modelo!r} com o alias {ALIAS_CHAMPION!r}", "05"
    if versao.tags.get("tipo") != "guardado":
        return (f"um {ALIAS_CHAMPION} guardado (tipo = 'guardado'; o de agora é "
                f"{versao.tags.get('tipo', 'sem tipo')!r})"), "05"
    return None


def _monitoramento(cliente, n: Nomes):
    run = _uma_run(cliente, n.monitoramento, "tags.etapa = 'monitoramento'")
    if run is None or "decisao" not in run.data.tags:
        return f"a run de monitoramento com a decisão (experimento {n.monitoramento!r})", "07"
    return None


PRE_REQUISITOS: dict[str, tuple[Callable, ...]] = {
    "00": (),
    "01": (),
    "02": (_experimento,),
    "03": (_experimento, _preparacao),
    "04": (_experimento, _treino),
    "05": (_experimento, _candidato),
    "06": (_experimento, _champion_guardado),
    "07": (_experimento, _preparacao, _champion_guardado),
    "08": (_experimento, _preparacao, _champion_guardado, _monitoramento),
    "09": (_experimento, _champion_guardado),
    "10": (_experimento, _preparacao, _treino),
}


# -- o que cada aula deixa no store (o painel da turma) -------------------------------------------
# As verificações acima dizem o que uma aula precisa e qual aula o grava. Lidas ao contrário,
# dizem se uma aula foi feita: a aula 02 está feita quando a sua run de preparação está lá, a
# mesma que a 03 vai procurar. O painel da turma (`curso_mlops.painel`) usa esta tabela. As aulas
# sem verificação (01, 06, 09) não gravam nada no MLflow: o store não tem como mostrá-las.


def _retreino_promovido(cliente, n: Nomes):
    from mlflow.exceptions import MlflowException

    falta = (f"um {ALIAS_CHAMPION} retreinado (versão guardada com origem = 'retreino', promovida)",
             "08")
    try:
        versao = cliente.get_model_version_by_alias(n.modelo, ALIAS_CHAMPION)
        if versao.tags.get("origem") == "retreino" and versao.tags.get("tipo") == "guardado":
            return None
        promovidas = cliente.search_model_versions(
            f"name = '{n.modelo}' and tags.origem = 'retreino' and tags.tipo = 'guardado'")
    except MlflowException:
        return falta
    # A promoção grava `substitui_versao` na versão que virou champion: a marca fica mesmo
    # que o aluno rode a 05 de novo depois (e o champion volte a ser um candidato).
    if any("substitui_versao" in v.tags for v in promovidas):
        return None
    return falta


def _projeto(cliente, n: Nomes):
    filtro = ("tags.`mlflow.source.type` = 'PROJECT' and tags.etapa = 'projeto' "
              "and attributes.status = 'FINISHED'")
    if _uma_run(cliente, n.experimento, filtro) is None:
        return "a run do `mlflow run` (tags mlflow.source.type = 'PROJECT' e etapa = 'projeto')", "10"
    return None


@dataclass(frozen=True)
class Rastro:
    """O que uma aula deixa no store: a descrição para o instrutor e as verificações."""

    descricao: str
    verificacoes: tuple[Callable, ...] = ()  # vazio: a aula não grava nada no MLflow

    @property
    def grava(self) -> bool:
        return bool(self.verificacoes)


RASTROS: dict[str, Rastro] = {
    "00": Rastro("o experimento com o KPI nas tags (kpi.mae_max)", (_experimento,)),
    "01": Rastro("nada: a aula explora os dados de data/ e não grava no MLflow"),
    "02": Rastro("a run de preparação (etapa = preparacao), terminada", (_preparacao,)),
    "03": Rastro("runs de treino (etapa = treino), terminadas", (_treino,)),
    "04": Rastro(f"a run marcada com {TAG_CANDIDATO} = true", (_candidato,)),
    "05": Rastro(f"o modelo registrado com o alias {ALIAS_CHAMPION} numa versão guardada "
                 "(tipo = guardado)", (_champion_guardado,)),
    "06": Rastro("nada: a aula só serve o champion (mlflow models serve) e não grava no MLflow"),
    "07": Rastro("a run de monitoramento (etapa = monitoramento) com a tag decisao",
                 (_monitoramento,)),
    "08": Rastro(f"um retreino promovido: o {ALIAS_CHAMPION}, ou uma versão que já o foi, "
                 "guardada e com origem = retreino", (_retreino_promovido,)),
    "09": Rastro("nada: a aula só serve o champion pela camada de produção e não grava no MLflow"),
    "10": Rastro("a run do `mlflow run` (mlflow.source.type = PROJECT, etapa = projeto), terminada",
                 (_projeto,)),
}


def o_que_falta(aula: str, cliente, nomes: Nomes) -> str | None:
    """A primeira coisa que a `aula` grava e que não está no store, ou None se está tudo lá.

    Só para as aulas que gravam algo (`RASTROS[aula].grava`). Só lê o store.
    """
    rastro = RASTROS[aula]
    if not rastro.grava:
        raise ValueError(f"a aula {aula} não grava nada no store ({rastro.descricao}).")
    for verificacao in rastro.verificacoes:
        falta = verificacao(cliente, nomes)
        if falta is not None:
            return falta[0]
    return None


def _store_existe(uri: str) -> bool:
    """Um SQLite que ainda não existe não tem nada; abri-lo criaria o arquivo."""
    banco = store.caminho_do_banco(uri)
    return banco is None or banco.exists()


def conferir(aula: str, nomes: Nomes, uri: str | None = None) -> None:
    """Levanta `FaltaUmaAulaAnterior` com a primeira coisa que falta para a `aula`."""
    verificacoes = PRE_REQUISITOS[aula]
    if not verificacoes:
        return
    uri = store.tracking_uri() if uri is None else uri
    if not _store_existe(uri):
        raise FaltaUmaAulaAnterior(aula, "o store do curso, que a aula 00 cria", "00")
    from mlflow.tracking import MlflowClient

    with store._silenciar_criacao_do_banco():
        cliente = MlflowClient(tracking_uri=uri, registry_uri=uri)
        for verificacao in verificacoes:
            falta = verificacao(cliente, nomes)
            if falta is not None:
                raise FaltaUmaAulaAnterior(aula, *falta)


# Os nomes da última aula preparada neste processo (o kernel): `atual()` os devolve.
_ATUAL: Nomes | None = None


def atual() -> Nomes:
    """Os nomes do aluno desta sessão: os da última `preparar` no kernel, ou os de `ALUNO`.

    Quem confere um exercício (`curso_mlops.exercicios.conferir`) usa isto para achar o espaço
    do aluno sem receber os nomes de novo. Sem `preparar` antes (a aula 01 não usa o MLflow),
    vale a variável de ambiente `ALUNO` (vazia: os nomes da aula). Levanta `nomes.ErroDeNome`
    se ALUNO é inválido.
    """
    if _ATUAL is not None:
        return _ATUAL
    aluno = _nomes.validar_aluno(os.environ.get("ALUNO", ""))
    return Nomes(aluno, **_nomes.nomes_do_aluno(aluno))


def preparar(aula: str, aluno: str | None = "") -> Nomes:
    """Prepara o kernel da `aula` ("00" a "10") e devolve os nomes do aluno.

    Levanta `nomes.ErroDeNome` se ALUNO é inválido e `FaltaUmaAulaAnterior` se falta algo de
    uma aula anterior no store. Não grava nada no store.
    """
    aula = f"{int(aula):02d}" if str(aula).isdigit() else str(aula)
    if aula not in PRE_REQUISITOS:
        raise ValueError(f"aula desconhecida: {aula!r} (use de 00 a 10).")
    estabilizar_saidas()
    global _ATUAL
    n = Nomes(_nomes.validar_aluno(aluno), **_nomes.nomes_do_aluno(aluno))
    _ATUAL = n  # antes de conferir: mesmo se faltar uma aula, os exercícios sabem quem é o aluno
    conferir(aula, n)
    return n
