"""Os exercícios do curso e a conferência de cada tentativa: `conferir("06.2")`.

Embaixo de cada exercício que dá para conferir, o notebook tem uma linha:

    conferir("03.1")                   # confere o que a tentativa deixou no store
    conferir("01.1", tempo_por_hora)   # confere um valor que o exercício pede para calcular

`conferir` lê o store do aluno (`store.tracking_uri()`) e o espaço dele (`aula.atual()`: o
ALUNO da aula preparada no kernel, ou a variável de ambiente), e responde em português: o que
está certo, o que falta e uma dica que não entrega a resposta. Ela imprime o resultado e o
devolve (`Resultado`). `verificar` faz a mesma conferência com um cliente e os nomes de
qualquer aluno, sem imprimir: é o que o painel da turma usa, com as credenciais do instrutor.

Três regras valem para todo verificador daqui:

- **Só lê.** Nenhum verificador grava no store (nem cria o banco SQLite que ainda não existe).
- **Só o aluno muda o veredito.** Um verificador procura o que só a tentativa do aluno cria (o
  nome de run, o alias, a tag ou o parâmetro que o enunciado pede), ou confere o valor que o
  aluno passa. O curso, rodado quantas vezes for, e as células de resposta (que gravam no
  espaço de respostas, `nomes.experimento_respostas`) nunca viram um "ainda não" em "certo".
  Por isso a saída guardada de cada célula `conferir(...)` é a mesma em qualquer execução.
- **Não entrega a resposta.** O valor esperado é calculado na hora, a partir do store e de
  `data/`, e as dicas apontam o caminho sem dizer o resultado. A cópia do aluno (`make aluno`)
  leva este módulo inteiro.

As tentativas que gravam algo novo (uma run de avaliação, uma versão com alias) vão para o
espaço de exercícios do aluno, `tempo-entrega-exercicios[-aluno]` e
`tempo_entrega_exercicios[_aluno]` (`espaco_de_exercicios()`), que nenhuma aula lê. As que
repetem uma aula com outros parâmetros (`run_course.py 07 -p LIMITE_PSI 0.05`) gravam nos nomes
da aula, e o verificador reconhece a tentativa pelo parâmetro diferente do da aula.

Para acrescentar os exercícios de uma aula nova (a 09, por exemplo): uma entrada em
`EXERCICIOS` por exercício, com o verificador (ou None), o que ele precisa das aulas
(`requer`) e o que o aluno passa (`pede`); depois a célula `conferir` embaixo do exercício e a
resposta comentada, com a tag `resposta`, na seção "Respostas" do notebook.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import aula as _aula
from . import nomes as _nomes
from . import store as _store

CERTO = "✔"
FALTA = "✘"


@dataclass(frozen=True)
class Resultado:
    """O veredito de uma conferência: o que está certo e o que falta, em português."""

    exercicio: str            # "06.2"
    ok: bool
    mensagens: tuple[str, ...]  # o que está certo e o que falta, em português
    dica: str = ""

    def texto(self) -> str:
        """O resultado como o aluno o lê: o veredito, as mensagens e a dica."""
        enunciado = EXERCICIOS[self.exercicio].enunciado if self.exercicio in EXERCICIOS else ""
        titulo = f"Exercício {self.exercicio}" + (f" · {enunciado}" if enunciado else "")
        veredito = "certo!" if self.ok else "ainda não."
        linhas = [f"{titulo}: {veredito}", *(f"  {m}" for m in self.mensagens)]
        if self.dica and not self.ok:
            linhas.append(f"  Dica: {self.dica}")
        return "\n".join(linhas)

    def __str__(self) -> str:
        return self.texto()

    def _ipython_display_(self):
        """No Jupyter, `conferir` já imprimiu o resultado: o valor devolvido não o repete."""


@dataclass(frozen=True)
class Exercicio:
    """Um exercício: o enunciado curto e, se ele se confere sozinho, como."""

    id: str
    enunciado: str
    verificar: Callable | None = None   # (contexto) -> Veredito; None: só a resposta comentada
    requer: tuple[str, ...] = ()        # as aulas cujo resultado no store ele precisa
    pede: str = ""                      # o que o aluno passa em `resposta` ("" = só o store)
    le_arquivo: bool = False            # confere um arquivo do repositório, não o store

    @property
    def verificavel(self) -> bool:
        return self.verificar is not None

    @property
    def usa_store(self) -> bool:
        """Se a conferência lê o store (os que só olham `data/`, a resposta ou um arquivo, não)."""
        return bool(self.requer) or (self.verificavel and not self.pede and not self.le_arquivo)

    def __str__(self) -> str:
        return self.enunciado


class _Falta(Exception):
    """Um verificador para aqui: falta algo, com a mensagem e a dica."""

    def __init__(self, mensagem: str, dica: str = "", certos: tuple[str, ...] = ()):
        super().__init__(mensagem)
        self.mensagem, self.dica, self.certos = mensagem, dica, certos


@dataclass(frozen=True)
class Veredito:
    ok: bool
    mensagens: tuple[str, ...]
    dica: str = ""


def _certo(texto: str) -> str:
    return f"{CERTO} {texto}"


def _falta(texto: str) -> str:
    return f"{FALTA} {texto}"


def _veredito(certos, faltas, dica: str = "") -> Veredito:
    mensagens = tuple(_certo(t) for t in certos) + tuple(_falta(t) for t in faltas)
    return Veredito(not faltas, mensagens, "" if not faltas else dica)


@dataclass(frozen=True)
class Espaco:
    """Os nomes do espaço de exercícios de um aluno: onde as tentativas gravam."""

    experimento: str
    modelo: str


def espaco_de_exercicios(aluno: str | None = None) -> Espaco:
    """O espaço de exercícios do aluno (o de `aula.atual()` se `aluno` é None)."""
    aluno = _aula.atual().aluno if aluno is None else _nomes.validar_aluno(aluno)
    return Espaco(_nomes.experimento_exercicios(aluno), _nomes.modelo_exercicios(aluno))


# -- o contexto de uma conferência ---------------------------------------------------------------


class _Contexto:
    """O que um verificador recebe: o cliente, os nomes do aluno, o espaço e a resposta."""

    def __init__(self, cliente, nomes, resposta):
        self.cliente, self.n, self.resposta = cliente, nomes, resposta
        self.ex = espaco_de_exercicios(nomes.aluno)

    # o store
    @property
    def uri(self) -> str:
        return self.cliente._tracking_client.tracking_uri

    @property
    def uri_registro(self) -> str:
        return getattr(self.cliente, "_registry_uri", None) or self.uri

    def experimento(self, nome: str):
        experimento = self.cliente.get_experiment_by_name(nome)
        return experimento if experimento is not None and experimento.lifecycle_stage == "active" else None

    def runs(self, nome_experimento: str, filtro: str = "", ordem=("attributes.start_time DESC",),
             maximo: int = 1000):
        experimento = self.experimento(nome_experimento)
        if experimento is None:
            return []
        return self.cliente.search_runs([experimento.experiment_id], filtro, max_results=maximo,
                                        order_by=list(ordem))

    def treinos_da_execucao_recente(self):
        """As runs de treino da execução mais recente da aula 03 (a tag `execucao`)."""
        ultima = self.runs(self.n.experimento, "tags.etapa = 'treino'", maximo=1)
        if not ultima:
            return []
        execucao = ultima[0].data.tags.get("execucao", "")
        return self.runs(self.n.experimento, f"tags.etapa = 'treino' and tags.execucao = '{execucao}' "
                                             "and attributes.status = 'FINISHED'")

    def run_mais_recente(self, nome_run: str, experimento: str | None = None, extra: str = ""):
        filtro = f"attributes.run_name = '{nome_run}' and attributes.status = 'FINISHED'" + extra
        achadas = self.runs(experimento or self.n.experimento, filtro, maximo=1)
        return achadas[0] if achadas else None

    def versao_por_alias(self, modelo: str, alias: str):
        from mlflow.exceptions import MlflowException

        try:
            return self.cliente.get_model_version_by_alias(modelo, alias)
        except MlflowException:
            return None

    def versoes(self, modelo: str, filtro: str = ""):
        from mlflow.exceptions import MlflowException

        try:
            return self.cliente.search_model_versions(f"name = '{modelo}'" + (f" and {filtro}" if filtro else ""))
        except MlflowException:
            return []

    def preparados(self, run_id: str):
        """(treino, teste) que a run de preparação guardou."""
        from . import dados

        return dados.baixar_preparados(run_id, tracking_uri=self.uri)

    def candidato(self):
        achadas = self.runs(self.n.experimento, f"tags.{_aula.TAG_CANDIDATO} = 'true'", maximo=1)
        return achadas[0] if achadas else None

    def baixar_texto(self, run_id: str, caminho: str) -> str:
        with tempfile.TemporaryDirectory() as pasta:
            local = self.cliente.download_artifacts(run_id, caminho, pasta)
            return Path(local).read_text(encoding="utf-8")

    def champion_pyfunc(self):
        """O champion do aluno, carregado como pyfunc (o que o servidor da aula 06 usa)."""
        import mlflow

        with tempfile.TemporaryDirectory() as pasta:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{self.n.modelo}@{_aula.ALIAS_CHAMPION}", dst_path=pasta,
                tracking_uri=self.uri, registry_uri=self.uri_registro)
            return mlflow.pyfunc.load_model(local)



# -- conversões da resposta ----------------------------------------------------------------------


def _numero(valor) -> float | None:
    """Um número a partir de int, float, numpy ou um texto com vírgula ("5,25")."""
    try:
        import numpy as np

        if isinstance(valor, (bool, np.bool_)):
            return None
        if isinstance(valor, str):
            valor = valor.strip().replace(",", ".")
        numero = float(valor)
    except (TypeError, ValueError):
        return None
    return numero if math.isfinite(numero) else None


def _perto(a: float | None, b: float, tolerancia: float) -> bool:
    return a is not None and abs(a - b) <= tolerancia


def _serie(valor):
    """Uma Series a partir de Series, dict ou DataFrame de uma coluna; None se não dá."""
    import pandas as pd

    if isinstance(valor, pd.Series):
        return valor
    if isinstance(valor, pd.DataFrame) and valor.shape[1] == 1:
        return valor.iloc[:, 0]
    if isinstance(valor, dict):
        try:
            return pd.Series(valor)
        except (TypeError, ValueError):
            return None
    return None


def _comparar_series(resposta, esperado, tolerancia: float, o_que: str, indice: str) -> list[str]:
    """O que falta numa Series do aluno comparada com a esperada (lista vazia: igual)."""
    serie = _serie(resposta)
    if serie is None:
        return [f"esperava {o_que} (uma Series do pandas ou um dicionário), e recebi "
                f"{type(resposta).__name__}."]
    try:
        serie = serie.rename(index=lambda i: str(i).strip()).astype(float)
    except (TypeError, ValueError):
        return [f"os valores de {o_que} precisam ser números."]
    esperado = esperado.rename(index=lambda i: str(i).strip())
    faltando = [i for i in esperado.index if i not in serie.index]
    sobrando = [i for i in serie.index if i not in esperado.index]
    if faltando or sobrando:
        partes = []
        if faltando:
            partes.append(f"faltam {indice} {', '.join(faltando[:5])}")
        if sobrando:
            partes.append(f"sobram {indice} {', '.join(sobrando[:5])}")
        return [f"{o_que}: " + "; ".join(partes) + "."]
    diferentes = [i for i in esperado.index if not _perto(_numero(serie[i]), float(esperado[i]), tolerancia)]
    if diferentes:
        return [f"{o_que}: os valores de {indice} {', '.join(diferentes[:5])} não batem com os dados."]
    return []


# -- os dados (data/) ----------------------------------------------------------------------------


def _plausiveis():
    """As linhas plausíveis do histórico, como a aula 01 as filtra para os gráficos."""
    from . import dados

    brutos = dados.carregar_entregas(estrito=False)
    distancia = dados.CONTRATO_ENTREGAS[[c.nome for c in dados.CONTRATO_ENTREGAS].index("distancia")]
    tempo = dados.CONTRATO_ENTREGAS[[c.nome for c in dados.CONTRATO_ENTREGAS].index("tempo_entrega")]
    return brutos[
        brutos["distancia"].gt(distancia.minimo) & brutos["distancia"].le(distancia.maximo)
        & brutos["tempo_entrega"].ge(tempo.minimo) & brutos["tempo_entrega"].le(tempo.maximo)
    ].drop_duplicates("pedido_id")


def _contrato(coluna: str):
    from . import dados

    return {c.nome: c for c in dados.CONTRATO_ENTREGAS}[coluna]


# O exemplo de quatro pedidos da seção 3 da aula 00 (os dados da aula, não a resposta).
_EXEMPLO_00 = {"pedido": ["A", "B", "C", "D"], "tempo_real": [30.0, 22.0, 41.0, 18.0],
               "tempo_previsto": [27.5, 23.0, 33.0, 24.5]}


def _kpi(c: _Contexto) -> tuple[float, float]:
    experimento = c.experimento(c.n.experimento)
    return (float(experimento.tags["kpi.mae_max"]), float(experimento.tags["kpi.pct_erro_ate_5min_min"]))


# == Os verificadores, aula por aula ==============================================================
# Cada um recebe o contexto e devolve um Veredito (ou levanta _Falta). As mensagens não mostram
# números que mudam a cada execução do curso (IDs, versões, contagens do store).


# -- 00 --------------------------------------------------------------------------------------------


def _v_00_2(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número: o maior erro, em minutos.")
    mae_max, pct_min = _kpi(c)
    erros = [abs(r - p) for r, p in zip(_EXEMPLO_00["tempo_real"], _EXEMPLO_00["tempo_previsto"])][:3]

    def cumpre(erro_d: float) -> tuple[bool, bool]:
        todos = [*erros, erro_d]
        return (sum(todos) / len(todos) <= mae_max + 1e-9,
                100 * sum(e <= 5 + 1e-9 for e in todos) / len(todos) >= pct_min - 1e-9)

    # O maior erro que cumpre os dois critérios, numa grade de centésimos de minuto.
    candidatos = [k / 100 for k in range(0, 60 * 100 + 1)]
    esperado = max(e for e in candidatos if all(cumpre(e)))
    mae_ok, pct_ok = cumpre(resposta)
    if _perto(resposta, esperado, 0.05):
        return _veredito(["com esse erro em D, o exemplo cumpre os dois critérios do KPI, e "
                          "qualquer erro maior quebra um deles."], [])
    if mae_ok and pct_ok:
        return _veredito([f"com {resposta:g} min de erro em D, o exemplo cumpre os dois critérios."],
                         ["mas D aguenta um erro maior sem quebrar nenhum: o exercício pede o maior."],
                         "Aumente o erro de D aos poucos e veja qual critério quebra primeiro.")
    quebrados = [nome for nome, ok in (("o MAE", mae_ok), ("a % de entregas com erro ≤ 5 min", pct_ok)) if not ok]
    return _veredito([], [f"com {resposta:g} min de erro em D, quebra {' e '.join(quebrados)}."],
                     "São dois critérios. Com quatro pedidos, quantos precisam ter erro de até 5 "
                     "min para chegar à meta da porcentagem? E quanto sobra para D no MAE?")


def _v_00_3(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número: o atraso médio, em minutos.")
    atrasos = [r - p for r, p in zip(_EXEMPLO_00["tempo_real"], _EXEMPLO_00["tempo_previsto"]) if r > p]
    esperado = sum(atrasos) / len(atrasos)
    if _perto(resposta, esperado, 0.01):
        return _veredito(["é a média dos atrasos, só nos pedidos que chegaram depois do previsto."], [])
    todos = [max(r - p, 0.0) for r, p in zip(_EXEMPLO_00["tempo_real"], _EXEMPLO_00["tempo_previsto"])]
    if _perto(resposta, sum(todos) / len(todos), 0.01):
        return _veredito([], ["essa é a média sobre todos os pedidos, contando zero para os adiantados."],
                         "O KPI proposto olha só os pedidos atrasados: divida pela quantidade deles.")
    return _veredito([], [f"{resposta:g} min não é o atraso médio dos pedidos atrasados do exemplo."],
                     "Atraso é tempo_real − tempo_previsto quando ele é positivo. Quais pedidos do "
                     "exemplo chegaram depois do previsto?")


def _v_00_4(c):
    resposta = c.resposta
    if not isinstance(resposta, dict):
        raise _Falta(f"Passe o dicionário de tags (recebi {type(resposta).__name__}).",
                     "O atributo .tags do experimento é um dicionário.")
    tags = c.experimento(c.n.experimento).tags
    kpis = [k for k in tags if k.startswith("kpi.")]
    faltando = [k for k in kpis if k not in resposta]
    diferentes = [k for k in kpis if k in resposta and str(resposta[k]) != tags[k]]
    if faltando or diferentes:
        return _veredito([], [f"as tags do KPI não batem com as do experimento {c.n.experimento!r} "
                              f"({', '.join(faltando + diferentes)})."],
                         "Leia o experimento pelo nome da aula, com get_experiment_by_name.")
    return _veredito([f"as tags do KPI ({', '.join(sorted(kpis))}) são as do experimento "
                      f"{c.n.experimento!r}."], [])


# -- 01 --------------------------------------------------------------------------------------------


def _v_01_1(c):
    resposta = c.resposta
    esperado = _plausiveis().groupby("hora")["tempo_entrega"].mean()
    faltas = _comparar_series(resposta, esperado, 0.05, "o tempo médio por hora", "as horas")
    if faltas:
        serie = _serie(resposta)
        dica = "Agrupe as linhas plausíveis (a variável plausiveis da seção 6) pela coluna hora."
        if serie is not None and len(serie) == len(esperado):
            dica = ("As horas estão certas, mas os valores não: use as linhas plausíveis (sem os "
                    "999 min e sem as repetidas), como nos gráficos.")
        return _veredito([], faltas, dica)
    return _veredito(["o tempo médio de cada hora bate com os dados plausíveis. Agora compare os "
                      "picos (almoço e jantar) com as outras horas."], [])


def _v_01_2(c):
    import numpy as np
    import pandas as pd

    resposta = c.resposta
    dados = _plausiveis()
    esperado = pd.Series({regiao: float(np.polyfit(g["distancia"], g["tempo_entrega"], 1)[0])
                          for regiao, g in dados.groupby("regiao")})
    faltas = _comparar_series(resposta, esperado, 0.02, "os minutos por km de cada região", "as regiões")
    if faltas:
        return _veredito([], faltas, "Para cada região, np.polyfit(distancia, tempo_entrega, 1)[0] "
                                     "é a inclinação da reta (use as linhas plausíveis).")
    return _veredito(["as inclinações batem com as retas de cada região. Compare-as entre si."], [])


# -- 02 --------------------------------------------------------------------------------------------

_DATA_DO_EXERCICIO_02 = "2025-07-01"  # a data do enunciado


def _v_02_1(c):
    preparacoes = c.runs(c.n.experimento, "tags.etapa = 'preparacao' and attributes.status = 'FINISHED'")
    outra = [r for r in preparacoes if r.data.params.get("data_de_corte") == _DATA_DO_EXERCICIO_02]
    if not outra:
        return _veredito([], [f"não achei no experimento {c.n.experimento!r} uma run de preparação "
                              f"com data_de_corte = {_DATA_DO_EXERCICIO_02}."],
                         "Rode o notebook 02 pelo executor com o -p do enunciado e procure a run "
                         "nova na UI.")
    certos = [f"há uma run de preparação com data_de_corte = {_DATA_DO_EXERCICIO_02}."]
    if preparacoes[0].data.params.get("data_de_corte") == _DATA_DO_EXERCICIO_02:
        return _veredito(certos, ["a run de preparação mais recente ainda é a dessa data: as aulas "
                                  "seguintes usariam esse treino."],
                         "Rode o 02 mais uma vez, sem o -p: a mais recente volta a ser a da data padrão.")
    return _veredito(certos + ["a mais recente voltou à data padrão: o 03 usa o treino de sempre."], [])


def _limpos():
    from . import dados

    return dados.filtrar_validos(dados.carregar_entregas(estrito=False))[0]


def _v_02_2(c):
    import pandas as pd

    resposta = c.resposta
    if (not isinstance(resposta, (tuple, list)) or len(resposta) != 2
            or not all(isinstance(p, pd.DataFrame) for p in resposta)):
        raise _Falta("Passe os dois DataFrames, nesta ordem: conferir(\"02.2\", (treino, teste)).")
    treino, teste = resposta
    limpos = _limpos()
    faltas, certos = [], []
    ids_t, ids_s = set(treino.get("pedido_id", [])), set(teste.get("pedido_id", []))
    if ids_t & ids_s:
        faltas.append("há pedidos nos dois lados: treino e teste precisam ser disjuntos.")
    if ids_t | ids_s != set(limpos["pedido_id"]):
        faltas.append(f"treino e teste juntos precisam ser os {len(limpos)} pedidos limpos.")
    elif abs(len(treino) - 0.82 * len(limpos)) > 1:
        faltas.append("o treino precisa ter 82% dos pedidos limpos (frac=0.82).")
    if not faltas:
        certos.append("treino e teste dividem os pedidos limpos, sem repetir nenhum.")
        if teste["data_hora"].min() < treino["data_hora"].max():
            certos.append("e as datas se misturam: o teste tem pedidos mais antigos que o último do "
                          "treino. Agora responda por que isso é trapacear.")
    return _veredito(certos, faltas, "Use limpos.sample(frac=0.82, random_state=0) para o treino e "
                                     "limpos.drop(treino.index) para o teste.")


def _numeros_em_ordem(resposta) -> list[float] | None:
    import pandas as pd

    if isinstance(resposta, pd.DataFrame) and resposta.shape[1] == 1:
        resposta = resposta.iloc[:, 0]
    if isinstance(resposta, pd.Series):
        resposta = resposta.drop(labels=[i for i in resposta.index if str(i).strip().lower() == "total"])
        valores = list(resposta.to_numpy())
    elif isinstance(resposta, dict):
        valores = [v for k, v in resposta.items() if str(k).strip().lower() != "total"]
    elif isinstance(resposta, (list, tuple)):
        valores = list(resposta)
    else:
        return None
    numeros = [_numero(v) for v in valores]
    return None if any(n is None for n in numeros) else numeros


def _v_02_4(c):
    resposta = c.resposta
    numeros = _numeros_em_ordem(resposta)
    if numeros is None or len(numeros) != 5:
        raise _Falta("Passe as cinco contagens, na ordem em que as regras rodam (a tabela relatorio, "
                     "com ou sem a linha total).")
    from . import dados

    df = dados.carregar_entregas(estrito=False)
    distancia, tempo = _contrato("distancia"), _contrato("tempo_entrega")
    regras = [
        lambda d: d["tempo_entrega"].isna(),
        lambda d: d["pedido_id"].duplicated(keep="first"),
        lambda d: d["distancia"].isna(),
        lambda d: (d["distancia"] <= distancia.minimo) | (d["distancia"] > distancia.maximo),
        lambda d: (d["tempo_entrega"] < tempo.minimo) | (d["tempo_entrega"] > tempo.maximo),
    ]
    esperado = []
    for regra in regras:
        mascara = regra(df)
        esperado.append(int(mascara.sum()))
        df = df[~mascara]
    if [int(n) for n in numeros] != esperado:
        return _veredito([], ["as contagens não batem com as regras aplicadas na nova ordem "
                              "(primeiro a de tempo faltando, depois a de repetidos)."],
                         "Copie a célula das regras e troque só a ordem dos dois primeiros blocos.")
    return _veredito(["as contagens batem com a nova ordem. Compare cada uma e o total com a "
                      "tabela da aula."], [])


# -- 03 --------------------------------------------------------------------------------------------

_RUN_03_1, _FORMULA_03_1 = "ols-distancia-itens", "tempo_entrega ~ distancia + itens"


def _v_03_1(c):
    run = c.run_mais_recente(_RUN_03_1, extra=" and tags.etapa = 'treino'")
    if run is None:
        return _veredito([], [f"não achei uma run de treino terminada chamada {_RUN_03_1!r} no "
                              f"experimento {c.n.experimento!r}."],
                         "Acrescente o par nome → fórmula ao dicionário CANDIDATOS (na célula de "
                         "parâmetros) e rode o notebook de novo.")
    if run.data.params.get("formula") != _FORMULA_03_1:
        return _veredito([f"a run {_RUN_03_1!r} existe."],
                         [f"mas a fórmula dela não é {_FORMULA_03_1!r}."],
                         "Confira a fórmula no dicionário CANDIDATOS, com os espaços do enunciado.")
    return _veredito([f"a run {_RUN_03_1!r} existe, com a fórmula do enunciado e as tags familia e "
                      "entradas. Leia-as na UI ou com cliente.get_run."], [])


def _v_03_2(c):
    import pandas as pd

    resposta = c.resposta
    if not isinstance(resposta, pd.DataFrame) or "run_id" not in resposta.columns:
        raise _Falta("Passe o DataFrame que o mlflow.search_runs devolveu (com a coluna run_id).")
    familias = {}
    for run_id in resposta["run_id"]:
        run = c.cliente.get_run(run_id)
        familias[run_id] = run.data.tags.get("familia")
    faltas = []
    if resposta.empty:
        faltas.append("a busca não trouxe nenhuma run.")
    if any(f != "so-distancia" for f in familias.values()):
        faltas.append("a busca trouxe runs de outra família: o filtro é pela tag familia.")
    recentes = {r.info.run_id for r in c.treinos_da_execucao_recente()
                if r.data.tags.get("familia") == "so-distancia"}
    if recentes - set(resposta["run_id"]):
        faltas.append("faltam runs só com a distância da execução mais recente da aula 03.")
    if "metrics.mae" not in resposta.columns:
        faltas.append("a tabela não tem a coluna metrics.mae.")
    elif not resposta["metrics.mae"].dropna().is_monotonic_increasing:
        faltas.append("a tabela não está em ordem crescente de MAE.")
    return _veredito(["a busca trouxe só runs só com a distância, da menor para a maior MAE."] if not faltas
                     else [], faltas,
                     "filter_string filtra (tags.<nome> = '...') e order_by ordena "
                     "(['metrics.<nome> ASC']).")


def _v_03_3(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número: os minutos.")
    run = c.run_mais_recente("ols-distancia-chuva", extra=" and tags.etapa = 'treino'")
    if run is None:
        raise _Falta(f"não achei a run ols-distancia-chuva no experimento {c.n.experimento!r}.",
                     "Rode o notebook 03.")
    import io

    import pandas as pd

    coeficientes = pd.read_csv(io.StringIO(c.baixar_texto(run.info.run_id, "coeficientes.csv")),
                               index_col=0)
    esperado = float(coeficientes.loc["chuva", "coeficiente"])
    if _perto(resposta, esperado, 0.05):
        return _veredito(["é o coeficiente da chuva no coeficientes.csv da run. Compare com a regra "
                          "da simulação no data/README.md."], [])
    return _veredito([], [f"{resposta:g} não é o coeficiente da chuva dessa run."],
                     "Na aba Artifacts da run ols-distancia-chuva, a linha chuva da coluna "
                     "coeficiente.")


def _v_03_5(c):
    autologs = c.runs(c.n.experimento, "tags.etapa = 'autolog' and attributes.status = 'FINISHED'")
    experimento = c.experimento(c.n.experimento)
    for run in autologs:
        modelos = c.cliente.search_logged_models(
            experiment_ids=[experimento.experiment_id],
            filter_string=f"source_run_id = '{run.info.run_id}'")
        if modelos:
            return _veredito(["há uma run do autolog com um modelo logado. Abra o MLmodel dele na "
                              "UI e procure a assinatura."], [])
    return _veredito([], ["nenhuma run do autolog (tag etapa = 'autolog') tem um modelo logado."],
                     "Na seção 9, troque log_models=False por True e rode a célula.")


# -- 04 --------------------------------------------------------------------------------------------


def _v_04_1(c):
    resposta = c.resposta
    if not isinstance(resposta, str) or not resposta.strip():
        raise _Falta("Passe o filter_string, como texto.")
    from mlflow.exceptions import MlflowException

    recentes = c.treinos_da_execucao_recente()
    esperado = {r.info.run_id for r in recentes if r.data.tags.get("familia") == "com-covariaveis"
                and r.data.metrics.get("mae", math.inf) < 2.7}
    try:
        achadas = {r.info.run_id for r in c.runs(c.n.experimento, resposta)}
    except MlflowException as erro:
        return _veredito([], [f"o MLflow recusou o filtro: {erro.message.splitlines()[0][:200]}"],
                         "Textos vão entre aspas simples e as condições se juntam com and.")
    if achadas == esperado:
        return _veredito(["o filtro traz exatamente as runs com covariáveis da execução mais "
                          "recente com MAE abaixo de 2,7 min."], [])
    faltas = []
    if esperado - achadas:
        faltas.append("faltam runs que o filtro deveria trazer.")
    if achadas - esperado:
        faltas.append("o filtro traz runs a mais (de outra família, de outra execução ou com MAE maior).")
    return _veredito([], faltas, "São três condições além de etapa: a tag familia, a tag execucao "
                                 "(a da run de treino mais recente) e a métrica mae.")


def _v_04_2(c):
    resposta = c.resposta
    if isinstance(resposta, str):
        resposta = [resposta]
    try:
        nomes_runs = {str(n) for n in resposta}
    except TypeError:
        raise _Falta("Passe uma lista com os nomes das runs (como ['ols-...']).") from None
    mae_max, _ = _kpi(c)
    pct = "pct_erro_ate_5min"
    esperado = {r.info.run_name for r in c.treinos_da_execucao_recente()
                if r.data.metrics.get("mae", math.inf) <= mae_max and r.data.metrics.get(pct, 0) >= 85}
    if nomes_runs == esperado:
        return _veredito(["a lista tem exatamente os candidatos que atenderiam o KPI com 85%. "
                          "Agora olhe quais deles usam só a distância."], [])
    faltas = []
    if esperado - nomes_runs:
        faltas.append("faltam candidatos que atenderiam.")
    if nomes_runs - esperado:
        faltas.append("há nomes que não atenderiam (ou não são runs de treino da execução mais recente).")
    return _veredito([], faltas, "Troque kpi_pct_min por 85 na comparação da seção 4, sem mudar a do MAE.")


_RUN_04_3 = "avaliacao-ols-distancia-chuva"


def _v_04_3(c):
    run = c.run_mais_recente(_RUN_04_3, experimento=c.ex.experimento)
    if run is None:
        return _veredito([], [f"não achei a run {_RUN_04_3!r} no experimento de exercícios "
                              f"{c.ex.experimento!r}."],
                         "Abra a run com mlflow.start_run(experiment_id=..., run_name=...) e chame o "
                         "mlflow.models.evaluate dentro dela, como na seção 6.")
    certos, faltas = [f"a run {_RUN_04_3!r} existe no experimento de exercícios."], []
    mae = run.data.metrics.get("mean_absolute_error")
    treino = c.run_mais_recente("ols-distancia-chuva", extra=" and tags.etapa = 'treino'")
    if mae is None:
        faltas.append("ela não tem a métrica mean_absolute_error: o evaluate rodou dentro dela?")
    elif treino is not None and not _perto(mae, treino.data.metrics.get("mae", math.inf), 1e-3):
        faltas.append("a MAE do evaluate não bate com a da run ols-distancia-chuva: o modelo ou os "
                      "dados de teste são outros.")
    else:
        certos.append("a MAE do evaluate bate com a da run de treino ols-distancia-chuva.")
    colunas = set()
    import json

    for entrada in run.inputs.dataset_inputs:
        try:
            esquema = json.loads(entrada.dataset.schema or "{}")
            colunas |= {col.get("name") for col in esquema.get("mlflow_colspec", [])}
        except (ValueError, AttributeError):
            pass
    if not {"distancia", "chuva"} <= colunas:
        faltas.append("o dataset avaliado não tem as colunas de que esse modelo precisa.")
    return _veredito(certos, faltas, "O data do evaluate precisa das entradas da fórmula e do alvo "
                                     "(targets); a assinatura do modelo diz quais são.")


def _v_04_4(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número inteiro.")
    esperado = len(c.runs(c.n.experimento, "tags.candidato_substituido_por != ''"))
    if int(resposta) == esperado and float(resposta).is_integer():
        return _veredito(["é o número de runs com a tag no seu store. Para qual run cada uma aponta?"], [])
    return _veredito([], ["esse não é o número de runs com a tag no seu store."],
                     "Busque com mlflow.search_runs e um filtro pela tag; conte as linhas.")


def _v_04_5(c):
    resposta = c.resposta
    from . import modelagem

    candidato = c.candidato()
    treino, teste = c.preparados(candidato.data.tags["preparacao_run_id"])
    ajuste = modelagem.ajustar(candidato.data.params["formula"], treino, teste)
    esperado = (teste["tempo_entrega"] - ajuste.previsto).groupby(teste["regiao"]).mean()
    faltas = _comparar_series(resposta, esperado, 0.01, "o resíduo médio por região", "as regiões")
    if faltas:
        return _veredito([], faltas, "O resíduo é observado − previsto; agrupe-o por teste['regiao'], "
                                     "como a seção 7 faz com a chuva.")
    return _veredito(["os resíduos médios batem. Qual região tem o resíduo positivo maior?"], [])


# -- 05 --------------------------------------------------------------------------------------------


def _v_05_1(c):
    versao = c.versao_por_alias(c.ex.modelo, "challenger")
    if versao is None:
        return _veredito([], [f"o modelo de exercícios {c.ex.modelo!r} não tem o alias challenger."],
                         "Registre a versão com cliente.create_model_version no modelo de exercícios "
                         "(crie-o antes, se preciso) e aponte o alias com "
                         "set_registered_model_alias.")
    certos, faltas = [f"{c.ex.modelo!r} tem o alias challenger."], []
    if versao.tags.get("tipo") != "base":
        faltas.append("a versão do challenger precisa da tag tipo = base.")
    ordem = sorted(c.treinos_da_execucao_recente(), key=lambda r: r.data.metrics.get("mae", math.inf))
    segunda = ordem[1].info.run_name if len(ordem) > 1 else None
    nome_run = c.cliente.get_run(versao.run_id).info.run_name if versao.run_id else None
    if nome_run is None:
        faltas.append("a versão não aponta para uma run (passe run_id ao create_model_version).")
    elif nome_run != segunda:
        faltas.append("a versão não veio do segundo colocado da aula 04 (o segundo menor MAE).")
    else:
        certos.append("a versão veio da run do segundo colocado.")
    return _veredito(certos, faltas, "A tabela da seção 2 da aula 04 está em ordem de MAE; o "
                                     "modelo logado da run tem a URI models:/m-<id>.")


def _v_05_2(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número inteiro.")
    esperado = len(c.versoes(c.n.modelo, "tag.tipo = 'guardado'"))
    if float(resposta).is_integer() and int(resposta) == esperado:
        return _veredito(["é o número de versões guardadas no seu store agora. Por que ele cresce?"], [])
    return _veredito([], ["esse não é o número de versões guardadas no seu store."],
                     "search_model_versions aceita o nome e a tag no mesmo filtro; conte a lista.")


_MARCA_05_3 = "Nota:"


def _v_05_3(c):
    for versao in c.versoes(c.n.modelo):
        linhas = (versao.description or "").splitlines()
        if any(linha.strip().startswith(_MARCA_05_3) for linha in linhas):
            return _veredito([f"uma versão de {c.n.modelo!r} tem na descrição a sua linha "
                              f"{_MARCA_05_3!r}."], [])
    return _veredito([], [f"nenhuma versão de {c.n.modelo!r} tem uma linha que começa com "
                          f"{_MARCA_05_3!r} na descrição."],
                     "Na UI, aba Models, abra a versão do champion e edite a descrição (o lápis ao "
                     "lado de Description).")


def _v_05_4(c):
    resposta = c.resposta
    if not isinstance(resposta, str):
        raise _Falta("Passe a URI como texto.")
    uri = resposta.strip()
    if uri == f"models:/{c.n.modelo}@{_aula.ALIAS_CHAMPION}":
        return _veredito(["é a URI que o curso usa no lugar do stage de produção."], [])
    if not uri.startswith("models:/"):
        dica = "Uma URI do registro começa com models:/."
    elif "/Production" in uri or uri.count("/") > 1:
        dica = "Essa ainda é a forma com stage (ou com número de versão); a de hoje usa o alias."
    else:
        dica = "Confira o nome do modelo e o alias da versão em produção."
    return _veredito([], [f"{uri!r} não é a URI do modelo em produção hoje."], dica)


def _v_05_5(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número inteiro.")
    from . import dados, guarda

    candidato = c.candidato()
    treino, _ = c.preparados(candidato.data.tags["preparacao_run_id"])
    contrato = _contrato("distancia")
    entrada = guarda.entrada_do_treino("distancia", treino["distancia"], margem=0,
                                       piso=contrato.minimo, piso_exclusivo=contrato.minimo_exclusivo,
                                       teto=contrato.maximo)
    esperado = 0
    for caminho in dados.semanas_de_producao():
        semana = dados.carregar(caminho)
        esperado += sum(entrada.motivo_da_recusa(v) is not None for v in semana["distancia"])
    certos = []
    rodou = [v for v in c.versoes(c.n.modelo, "tag.tipo = 'guardado'")
             if _numero(v.tags.get("margem_faixa")) == 0]
    if rodou:
        certos.append("há uma versão guardada com margem_faixa = 0: você rodou a 05 com a margem zero.")
    if float(resposta).is_integer() and int(resposta) == esperado:
        return _veredito(certos + ["é o número de pedidos fora da faixa do treino, sem margem."], [])
    return _veredito(certos, ["esse não é o número de pedidos fora da faixa aceita sem margem."],
                     "Sem margem, a faixa é a do treino (guardado.descrever() mostra). Conte, semana a "
                     "semana, as distâncias fora dela; Entrada.motivo_da_recusa ajuda.")


# -- 06 --------------------------------------------------------------------------------------------


def _cliente_http(c):
    """O app do `mlflow models serve` com o champion, no processo (sem porta nem servidor)."""
    import warnings

    from mlflow.pyfunc import scoring_server

    with warnings.catch_warnings():  # o aviso do Starlette sobre trocar o httpx: não se aplica
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    return TestClient(scoring_server.init(c.champion_pyfunc()))


def _codigo_http(valor) -> int | None:
    codigo = getattr(valor, "status_code", valor)
    numero = _numero(codigo)
    return int(numero) if numero is not None and float(numero).is_integer() else None


def _v_06_1(c):
    resposta = _codigo_http(c.resposta)
    if resposta is None:
        raise _Falta("Passe o código HTTP (um inteiro) ou o objeto da resposta.")
    corpo = {"dataframe_records": [{"distancia": 5}, {"distancia": 50}]}
    esperado = _cliente_http(c).post("/invocations", json=corpo).status_code
    if resposta == esperado:
        return _veredito(["é o código que a API dá a esse pedido. Leia a mensagem: quantas linhas "
                          "ela recusou, e o que aconteceu com a outra?"], [])
    return _veredito([], [f"a API não responde {resposta} a esse pedido."],
                     "Mande exatamente as duas linhas do enunciado e leia resposta.status_code.")


def _previsoes(valor) -> list[float] | None:
    import pandas as pd

    if isinstance(valor, dict) and "predictions" in valor:
        valor = valor["predictions"]
    if isinstance(valor, pd.DataFrame) and valor.shape[1] == 1:
        valor = valor.iloc[:, 0]
    if isinstance(valor, pd.Series):
        valor = valor.tolist()
    if not isinstance(valor, (list, tuple)):
        try:
            valor = list(valor)
        except TypeError:
            return None
    numeros = []
    for item in valor:
        if isinstance(item, dict) and len(item) == 1:
            item = next(iter(item.values()))
        numeros.append(_numero(item))
    return None if any(n is None for n in numeros) else numeros


def _v_06_2(c):
    resposta = _previsoes(c.resposta)
    if resposta is None:
        raise _Falta("Passe as previsões: o conteúdo do previsoes.json (json.load) ou a lista de números.")
    from . import dados

    esperado = c.champion_pyfunc().predict(dados.carregar_semana(1)).tolist()
    if len(resposta) != len(esperado):
        return _veredito([], [f"esperava uma previsão por pedido da semana 1, e recebi {len(resposta)}."],
                         "O -i do comando é o data/producao/semana_01.csv.")
    if all(abs(a - b) < 1e-6 for a, b in zip(resposta, esperado)):
        return _veredito(["as previsões do arquivo são iguais às do champion no processo, linha a linha."], [])
    return _veredito([], ["as previsões não batem com as do champion."],
                     "Confira se o comando usou o mesmo store (MLFLOW_TRACKING_URI) e o alias champion.")


def _v_06_3(c):
    resposta = c.resposta
    if isinstance(resposta, (list, tuple)) and len(resposta) == 2:
        resposta = {"text/csv": resposta[0], "text/plain": resposta[1]}
    if not isinstance(resposta, dict):
        raise _Falta("Passe um dicionário {'text/csv': código, 'text/plain': código}.")
    http = _cliente_http(c)
    faltas, certos = [], []
    for tipo in ("text/csv", "text/plain"):
        esperado = http.post("/invocations", content=b"distancia\n20\n",
                             headers={"Content-Type": tipo}).status_code
        if _codigo_http(resposta.get(tipo)) == esperado:
            certos.append(f"{tipo}: é o código que a API responde.")
        else:
            faltas.append(f"{tipo}: a API não responde esse código.")
    return _veredito(certos, faltas, "Use --data-binary (o -d do curl tira as quebras de linha) e "
                                     "leia o código com curl -i.")


def _v_06_5(c):
    resposta = c.resposta
    from mlflow.exceptions import MlflowException

    from . import guarda

    if not isinstance(resposta, guarda.ModeloGuardado):
        raise _Falta("Passe o objeto ModeloGuardado que você montou.")
    entradas = {e.nome: e for e in resposta.entradas}
    faltas, certos = [], []
    if "distancia" not in entradas or not entradas["distancia"].obrigatoria:
        faltas.append("a distancia precisa continuar obrigatória.")
    chuva = entradas.get("chuva")
    if chuva is None:
        faltas.append("falta a entrada chuva.")
    elif chuva.obrigatoria:
        faltas.append("a chuva precisa ser opcional (com um padrão).")
    elif (chuva.minimo, chuva.maximo, chuva.padrao) != (0, 1, 0):
        faltas.append("a chuva vai de 0 a 1, com padrão 0, como no enunciado.")
    if not faltas:
        distancia = entradas["distancia"]
        exemplo = (distancia.minimo + distancia.maximo) / 2
        conferido = resposta.validar({"distancia": [exemplo]})
        if float(conferido["chuva"].iloc[0]) == float(chuva.padrao):
            certos.append("um pedido sem chuva é aceito, com a chuva no padrão.")
        try:
            resposta.validar({"distancia": [exemplo], "chuva": [2]})
            faltas.append("um pedido com chuva = 2 deveria ser recusado.")
        except MlflowException:
            certos.append("um pedido com chuva fora da faixa é recusado.")
    return _veredito(certos, faltas, "guarda.Entrada(nome, minimo, maximo, padrao=...) cria a "
                                     "entrada; passe as duas na lista do ModeloGuardado.")


# -- 07 --------------------------------------------------------------------------------------------


def _monitoramentos(c):
    return c.runs(c.n.monitoramento, "tags.etapa = 'monitoramento' and attributes.status = 'FINISHED'")


def _v_07_1(c):
    achadas = [r for r in _monitoramentos(c) if _perto(_numero(r.data.params.get("limite_psi")), 0.05, 1e-9)]
    if not achadas:
        return _veredito([], [f"não achei no experimento {c.n.monitoramento!r} uma run de "
                              "monitoramento com limite_psi = 0.05."],
                         "Rode o 07 pelo executor com o -p do enunciado.")
    return _veredito(["há uma run de monitoramento com limite_psi = 0.05. Compare a decisão e a "
                      "semana do início com as da run com o limite padrão."], [])


def _v_07_2(c):
    achadas = [r for r in _monitoramentos(c) if _numero(r.data.params.get("faixas_psi")) == 20]
    if not achadas:
        return _veredito([], [f"não achei no experimento {c.n.monitoramento!r} uma run de "
                              "monitoramento com faixas_psi = 20."],
                         "Mude FAIXAS_PSI na célula de parâmetros (ou use -p FAIXAS_PSI 20 no executor).")
    return _veredito(["há uma run de monitoramento com faixas_psi = 20. Compare as curvas de psi_* "
                      "das semanas 1 a 4 com as da run padrão, na UI."], [])


def _referencia_do_champion(c):
    """O treino do champion, pela linhagem do Registry, como a aula 07 o recupera."""
    from . import dados

    champion = c.versao_por_alias(c.n.modelo, _aula.ALIAS_CHAMPION)
    base = c.cliente.get_model_version(c.n.modelo, champion.tags.get("versao_base", champion.version))
    run = c.cliente.get_run(base.run_id)
    arquivos = {a.path for a in c.cliente.list_artifacts(run.info.run_id, "dados")}
    if "dados/treino.csv" not in arquivos:
        run = c.cliente.get_run(run.data.tags["preparacao_run_id"])
    with tempfile.TemporaryDirectory() as pasta:
        local = c.cliente.download_artifacts(run.info.run_id, "dados/treino.csv", pasta)
        return dados.validar(dados.ler_csv(local))


def _v_07_3(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número.")
    from . import dados, drift

    esperado = drift.psi(_referencia_do_champion(c)["chuva"], dados.carregar_semana(5)["chuva"])
    if _perto(resposta, esperado, 1e-3):
        return _veredito(["é o PSI da chuva na semana 5, contra o treino do champion. Confira as "
                          "duas faixas da tabela_psi."], [])
    return _veredito([], [f"{resposta:g} não é o PSI da chuva na semana 5."],
                     "A soma da coluna contribuicao da drift.tabela_psi(referencia['chuva'], "
                     "logs[5]['chuva']) é o PSI.")


_SEMANA_07_4, _ATRASO_07_4 = 5, 2  # o enunciado: a semana 5 e duas semanas de atraso do rótulo


def _v_07_4(c):
    resposta = c.resposta
    if isinstance(resposta, (list, tuple)) and len(resposta) == 2:
        resposta = {"desempenho": resposta[0], "drift": resposta[1]}
    if not isinstance(resposta, dict) or not {"desempenho", "drift"} <= set(resposta):
        raise _Falta("Passe {'desempenho': semana, 'drift': semana}.")
    monitoramentos = _monitoramentos(c)
    alerta = c.cliente.get_metric_history(monitoramentos[0].info.run_id, "alerta")
    if not any(m.step == _SEMANA_07_4 and m.value for m in alerta):
        raise _Falta(f"a sua run de monitoramento mais recente não tem alerta na semana {_SEMANA_07_4}.",
                     "Rode o 07 com os limites da aula.")
    # O desempenho precisa do rótulo, que chega depois; as entradas já estão no log de inferência.
    esperado = {"desempenho": _SEMANA_07_4 + _ATRASO_07_4, "drift": _SEMANA_07_4}
    certos, faltas = [], []
    for chave, semana in esperado.items():
        if _numero(resposta[chave]) == semana:
            certos.append(f"{chave}: certo.")
        else:
            faltas.append(f"{chave}: não é nessa semana.")
    return _veredito(certos, faltas, "Pergunte, para cada alerta, o que ele precisa: as entradas do "
                                     "pedido (que chegam na hora) ou o tempo real (que atrasa).")


# -- 08 --------------------------------------------------------------------------------------------


def _v_08_1(c):
    reprovadas = c.versoes(c.n.modelo, "tag.portao_de_promocao = 'reprovado'")
    if not reprovadas:
        return _veredito([], [f"nenhuma versão de {c.n.modelo!r} tem portao_de_promocao = reprovado."],
                         "Rode só o 08 de novo, sem a 05 antes, e leia a mensagem em que ele para.")
    certos = [f"há uma versão de {c.n.modelo!r} reprovada pelo portão."]
    champion = c.versao_por_alias(c.n.modelo, _aula.ALIAS_CHAMPION)
    if champion is not None and champion.tags.get("portao_de_promocao") == "reprovado":
        return _veredito(certos, ["mas o champion aponta para uma versão reprovada."],
                         "O portão reprovado não move o champion: confira quem o moveu.")
    return _veredito(certos + ["e o champion não aponta para ela."], [])


def _janela_do_retreino(c):
    """(fórmula, janela, teste) do retreino mais recente da aula 08, refeitos a partir de data/."""
    import pandas as pd

    from . import dados

    retreinos = c.runs(c.n.experimento, "tags.etapa = 'retreino' and attributes.status = 'FINISHED'", maximo=1)
    run = retreinos[0]
    historico = pd.concat(c.preparados(run.data.tags["preparacao_run_id"]), ignore_index=True)

    def semanas(texto):
        inicio, fim = (int(p) for p in texto.split("-"))
        return [dados.carregar_semana(s) for s in range(inicio, fim + 1)]

    producao = semanas(run.data.params["semanas_de_producao_no_treino"])
    teste = pd.concat(semanas(run.data.params["semanas_de_teste"]), ignore_index=True)
    return run.data.params["formula"], historico, producao, teste


def _v_08_2(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número: a MAE, em minutos.")
    import pandas as pd

    from . import modelagem

    formula, historico, producao, teste = _janela_do_retreino(c)
    esperado = modelagem.ajustar(formula, pd.concat(producao, ignore_index=True), teste).metricas_teste["mae"]
    if _perto(resposta, esperado, 0.005):
        return _veredito(["é a MAE dessa janela nas semanas de teste. Compare com a do challenger "
                          "da aula e com a previsão para 20 km sem chuva."], [])
    com_historico = modelagem.ajustar(formula, pd.concat([historico, *producao], ignore_index=True),
                                      teste).metricas_teste["mae"]
    if _perto(resposta, com_historico, 0.005):
        return _veredito([], ["essa é a MAE da janela da aula, com o histórico."],
                         "Monte a janela só com as semanas de produção do treino.")
    return _veredito([], [f"{resposta:g} não é a MAE dessa janela no teste."],
                     "Use modelagem.ajustar(FORMULA, janela, teste) com a janela só de produção e leia "
                     "metricas_teste.")


def _v_08_4(c):
    resposta = _numero(c.resposta)
    if resposta is None:
        raise _Falta("Passe um número: a MAE, em minutos.")
    import pandas as pd

    from . import modelagem

    formula, historico, producao, teste = _janela_do_retreino(c)
    janela = pd.concat([historico, *producao], ignore_index=True)
    esperado = modelagem.ajustar(f"{formula} + itens", janela, teste).metricas_teste["mae"]
    if _perto(resposta, esperado, 0.005):
        return _veredito(["é a MAE do challenger com itens no teste. Compare com a do challenger "
                          "da aula."], [])
    return _veredito([], [f"{resposta:g} não é a MAE da fórmula com itens no teste."],
                     "Acrescente + itens à FORMULA e use a mesma janela e o mesmo teste da aula.")


def _v_08_5(c):
    champion = c.versao_por_alias(c.n.modelo, _aula.ALIAS_CHAMPION)
    anterior = c.versao_por_alias(c.n.modelo, "anterior")
    if anterior is None:
        raise _Falta(f"o modelo {c.n.modelo!r} não tem o alias anterior.", "Rode a aula 08.")
    if champion is not None and champion.version == anterior.version:
        return _veredito(["o champion aponta para a versão do alias anterior: o rollback está feito. "
                          "E o servidor, já sabe?"], [])
    return _veredito([], ["o champion não aponta para a versão do alias anterior."],
                     "Rode a linha do enunciado num terminal, com MLFLOW_TRACKING_URI do curso (e o "
                     "nome do seu modelo, se você usa ALUNO).")


# -- 09 --------------------------------------------------------------------------------------------

# O pedido do enunciado: um JSON com 100 mil níveis de listas (o fundo.json).
_FUNDO_09_1 = b"[" * 100_000 + b"]" * 100_000


def _v_09_1(c):
    resposta = c.resposta
    if isinstance(resposta, (list, tuple)) and len(resposta) == 2:
        resposta = {"mlflow": resposta[0], "producao": resposta[1]}
    if not isinstance(resposta, dict) or not {"mlflow", "producao"} <= set(resposta):
        raise _Falta("Passe {'mlflow': código, 'producao': código}.")
    from mlflow.pyfunc import scoring_server

    from . import producao

    modelo = c.champion_pyfunc()
    certos, faltas = [], []
    for chave, app in (("mlflow", scoring_server.init(modelo)), ("producao", producao.criar_app(modelo))):
        esperado = producao.chamar_app(app, corpo=_FUNDO_09_1).status
        if _codigo_http(resposta[chave]) == esperado:
            certos.append(f"{chave}: é o código que esse servidor responde.")
        else:
            faltas.append(f"{chave}: esse servidor não responde esse código.")
    return _veredito(certos, faltas, "Mande o fundo.json com --data-binary @fundo.json e leia o "
                                     "código com curl -i (ou -w '%{http_code}').")


def _v_09_2(c):
    resposta = _numero(c.resposta)
    if resposta is None or not float(resposta).is_integer():
        raise _Falta("Passe um número inteiro de linhas.")
    import json

    from . import camada, producao

    limite = 64 * 1024

    def corpo(n):
        return json.dumps({"dataframe_split": {"columns": ["distancia"], "data": [[20]] * n}}).encode()

    async def aceita(scope, receive, send):  # um app que aceita tudo o que a camada deixa passar
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = camada.CamadaDeProducao(aceita, limite_corpo=limite)
    n = int(resposta)
    passa, barra = (producao.chamar_app(app, corpo=corpo(k)).status for k in (n, n + 1))
    if passa == 200 and barra == 413:
        return _veredito(["é o maior número de linhas que cabe em 64 KiB nesse formato. Quantos bytes "
                          "custa cada uma?"], [])
    if passa != 200:
        return _veredito([], [f"{n} linhas já passam do limite de 64 KiB."],
                         "O tamanho do corpo cresce um tanto fixo por linha: meça len(corpo) para "
                         "duas contagens de linhas e divida.")
    return _veredito([], [f"cabem mais que {n} linhas em 64 KiB."],
                     "O tamanho do corpo cresce um tanto fixo por linha: meça len(corpo) para duas "
                     "contagens de linhas e divida.")


_CLIENTES_09_5, _META_09_5 = 30, 0.050  # o enunciado: 30 clientes no pico, p50 abaixo de 50 ms


def _v_09_5(c):
    resposta = c.resposta
    if isinstance(resposta, (list, tuple)) and len(resposta) == 2:
        resposta = {"vazao": resposta[0], "replicas": resposta[1]}
    if not isinstance(resposta, dict) or not {"vazao", "replicas"} <= set(resposta):
        raise _Falta("Passe {'vazao': pedidos por segundo de uma réplica, 'replicas': quantas}.")
    vazao, replicas = _numero(resposta["vazao"]), _numero(resposta["replicas"])
    if vazao is None or vazao <= 0 or replicas is None:
        raise _Falta("A vazão precisa ser um número positivo, e as réplicas, um número.")
    minimo = math.ceil(_CLIENTES_09_5 / _META_09_5 / vazao - 1e-9)
    if replicas < minimo:
        return _veredito([], [f"com {vazao:g} pedidos/s por réplica, {replicas:g} réplica(s) não dão a "
                              "vazão que o pico pede."],
                         "Pela lei de Little, clientes = vazão × latência: que vazão o pico pede com "
                         "a latência na meta? Divida pela vazão de uma réplica.")
    certos = [f"com {vazao:g} pedidos/s por réplica, {replicas:g} réplica(s) atendem o pico na meta."]
    if replicas == minimo:
        certos.append("é o mínimo, sem folga nenhuma: quanto você deixaria a mais?")
    return _veredito(certos, [])


# -- 10 --------------------------------------------------------------------------------------------


def _projetos(c):
    return c.runs(c.n.experimento, "tags.`mlflow.source.type` = 'PROJECT' and attributes.status = 'FINISHED'")


def _sem_aspas(texto) -> str:
    return str(texto or "").strip().strip("'\"").strip()


def _v_10_1(c):
    achadas = [r for r in _projetos(c) if _sem_aspas(r.data.params.get("formula")) == "tempo_entrega ~ distancia"]
    if not achadas:
        return _veredito([], ["não achei uma run de projeto terminada com a fórmula "
                              "'tempo_entrega ~ distancia'."],
                         "Rode o mlflow run da seção 3 trocando só o -P formula=... (com aspas no terminal).")
    certos = ["há uma run de projeto com a fórmula só com a distância."]
    aula_03 = c.run_mais_recente("ols-distancia", extra=" and tags.etapa = 'treino'")
    mae_03 = aula_03.data.metrics.get("mae", math.inf) if aula_03 is not None else math.inf
    if _perto(achadas[0].data.metrics.get("mae"), mae_03, 1e-6):
        certos.append("a MAE dela é a mesma da run ols-distancia da aula 03.")
        return _veredito(certos, [])
    return _veredito(certos, ["a MAE dela não bate com a da run ols-distancia mais recente: os dados "
                              "de preparação são outros?"],
                     "O projeto usa a preparação mais recente (-P preparacao=ultima).")


def _v_10_2(c):
    projetos = _projetos(c)
    achadas = [r for r in projetos if r.data.params.get("data_de_corte") == _DATA_DO_EXERCICIO_02]
    if not achadas:
        return _veredito([], [f"não achei uma run de projeto treinada com data_de_corte = "
                              f"{_DATA_DO_EXERCICIO_02}."],
                         "Rode o 02 com a data do enunciado e, depois, o mlflow run da seção 3.")
    certos = [f"há uma run de projeto com os dados cortados em {_DATA_DO_EXERCICIO_02}."]
    if any(_sem_aspas(r.data.params.get("preparacao")) not in ("", "ultima") for r in projetos):
        certos.append("e uma run de projeto com -P preparacao=<id>.")
    return _veredito(certos, [])


def _v_10_3(c):
    import yaml

    caminho = _store.raiz_do_repositorio() / "MLproject"
    projeto = yaml.safe_load(caminho.read_text(encoding="utf-8")) or {}
    pontos = projeto.get("entry_points") or {}
    if "avaliar" not in pontos:
        return _veredito([], ["o MLproject não tem o ponto de entrada avaliar."],
                         "Um ponto de entrada novo é outra chave em entry_points, ao lado de treinar.")
    ponto = pontos["avaliar"] or {}
    parametros = ponto.get("parameters") or {}
    faltas, certos = [], ["o MLproject tem o ponto de entrada avaliar."]
    if not parametros:
        faltas.append("ele não declara parâmetros: como ele sabe qual run avaliar?")
    comando = str(ponto.get("command", ""))
    usados = set(re.findall(r"\{(\w+)\}", comando))
    if not comando:
        faltas.append("ele não tem command.")
    elif parametros and not set(parametros) <= usados:
        faltas.append("o command não usa todos os parâmetros declarados ({nome}).")
    return _veredito(certos, faltas, "Copie a forma do treinar: parameters com tipo e, no command, "
                                     "cada parâmetro entre chaves.")


def _v_10_5(c):
    resposta = c.resposta
    if not isinstance(resposta, str) or len(resposta.strip()) < 7:
        raise _Falta("Passe o hash do commit, como texto (pelo menos 7 caracteres).")
    commits = {r.data.tags.get("mlflow.source.git.commit", "") for r in _projetos(c)} - {""}
    if not commits:
        raise _Falta("nenhuma run de projeto do seu store registrou um commit (a pasta é um clone do git?).",
                     "Rode o 10 num clone do repositório.")
    if any(commit.startswith(resposta.strip().lower()) for commit in commits):
        return _veredito(["é o commit de uma run de projeto do seu store. Como treinar de novo com "
                          "exatamente esse código?"], [])
    return _veredito([], ["esse hash não é o commit de nenhuma run de projeto do seu store."],
                     "Na página da run, a tag mlflow.source.git.commit.")


# -- o que cada aula deixa no store (para dizer qual notebook rodar) -------------------------------


def _retreino(cliente, n):
    if _aula._uma_run(cliente, n.experimento,
                      "tags.etapa = 'retreino' and attributes.status = 'FINISHED'") is None:
        return "a run de retreino da aula 08 (tag etapa = 'retreino')", "08"
    return None


def _projeto(cliente, n):
    if _aula._uma_run(cliente, n.experimento,
                      "tags.`mlflow.source.type` = 'PROJECT' and attributes.status = 'FINISHED'") is None:
        return "uma run de projeto terminada (o mlflow run da aula 10)", "10"
    return None


def _anterior(cliente, n):
    from mlflow.exceptions import MlflowException

    try:
        cliente.get_model_version_by_alias(n.modelo, "anterior")
    except MlflowException:
        return f"o alias 'anterior' em {n.modelo!r}, que a aula 08 aponta", "08"
    return None


# O que cada aula deixa no store: as verificações de `aula.PRE_REQUISITOS` da aula seguinte.
_DEIXA = {
    "00": (_aula._experimento,),
    "02": (_aula._preparacao,),
    "03": (_aula._treino,),
    "04": (_aula._candidato,),
    "05": (_aula._champion_guardado,),
    "07": (_aula._monitoramento,),
    "08": (_retreino, _anterior),
    "10": (_projeto,),
}


def _e(id_, enunciado, verificar=None, requer=(), pede="", le_arquivo=False):
    return id_, Exercicio(id_, enunciado, verificar, tuple(requer), pede, le_arquivo)


EXERCICIOS: dict[str, Exercicio] = dict([
    _e("00.1", "um exemplo a mais para cada desafio do deploy"),
    _e("00.2", "o maior erro do pedido D que ainda cumpre o KPI", _v_00_2, ["00"],
       "o maior erro absoluto do pedido D, em minutos (um número)"),
    _e("00.3", "um KPI de atraso: o atraso médio dos pedidos atrasados", _v_00_3, [],
       "o atraso médio dos pedidos atrasados do exemplo, em minutos (um número)"),
    _e("00.4", "as tags do experimento, lidas com o MlflowClient", _v_00_4, ["00"],
       "o dicionário de tags que o MlflowClient leu"),
    _e("01.1", "o tempo médio de entrega por hora do dia", _v_01_1, [],
       "a Series com o tempo médio de entrega de cada hora"),
    _e("01.2", "a reta de cada região: minutos por km", _v_01_2, [],
       "a Series com os minutos por km da reta de cada região"),
    _e("01.3", "o histograma dos dados brutos"),
    _e("01.4", "a primeira semana de produção ao lado do histórico"),
    _e("02.1", "a preparação com outra data de corte", _v_02_1, ["00", "02"]),
    _e("02.2", "uma separação aleatória e as datas de cada lado", _v_02_2, [],
       "os dois DataFrames da separação aleatória, como (treino, teste)"),
    _e("02.3", "remover as entregas acima de 20 km?"),
    _e("02.4", "as regras 1 e 2 em outra ordem", _v_02_4, [],
       "a tabela de linhas removidas com as regras na nova ordem"),
    _e("03.1", "um candidato com distância e itens", _v_03_1, ["00", "02", "03"]),
    _e("03.2", "a busca das runs só com a distância, pela MAE", _v_03_2, ["00", "03"],
       "o DataFrame que o seu mlflow.search_runs devolveu"),
    _e("03.3", "quantos minutos a chuva acrescenta", _v_03_3, ["00", "03"],
       "os minutos que a chuva acrescenta, lidos do coeficientes.csv (um número)"),
    _e("03.4", "uma coluna a mais no pedido"),
    _e("03.5", "o autolog com o modelo logado", _v_03_5, ["00", "03"]),
    _e("04.1", "um filter_string para os candidatos com covariáveis", _v_04_1, ["00", "03"],
       "o seu filter_string (um texto)"),
    _e("04.2", "quem atende um KPI de 85%", _v_04_2, ["00", "03"],
       "a lista com os nomes das runs que atenderiam"),
    _e("04.3", "o evaluate do candidato com a chuva", _v_04_3, ["00", "03"]),
    _e("04.4", "as runs com candidato_substituido_por", _v_04_4, ["00", "04"],
       "quantas runs têm a tag candidato_substituido_por (um número)"),
    _e("04.5", "o resíduo médio por região", _v_04_5, ["00", "04"],
       "a Series com o resíduo médio de cada região no teste"),
    _e("05.1", "o segundo colocado como challenger", _v_05_1, ["00", "03", "05"]),
    _e("05.2", "quantas versões guardadas há no store", _v_05_2, ["00", "05"],
       "quantas versões têm tipo = guardado (um número)"),
    _e("05.3", "uma nota na descrição do champion", _v_05_3, ["00", "05"]),
    _e("05.4", "a URI com stage da aula, escrita hoje", _v_05_4, ["00", "05"],
       "a URI de hoje (um texto)"),
    _e("05.5", "a faixa aceita sem margem", _v_05_5, ["00", "04", "05"],
       "quantos pedidos das oito semanas seriam recusados (um número)"),
    _e("06.1", "um pedido com uma linha boa e uma ruim", _v_06_1, ["00", "05"],
       "o código HTTP da resposta (ou a própria resposta do requests)"),
    _e("06.2", "o mlflow models predict e o predict no processo", _v_06_2, ["00", "05"],
       "as previsões lidas do previsoes.json"),
    _e("06.3", "o pedido da aula em CSV e em texto", _v_06_3, ["00", "05"],
       "os dois códigos HTTP, como {'text/csv': ..., 'text/plain': ...}"),
    _e("06.4", "a latência com 1000 chamadas"),
    _e("06.5", "um guarda com a chuva opcional", _v_06_5, [], "o seu ModeloGuardado"),
    _e("07.1", "o monitoramento com um limite de PSI mais baixo", _v_07_1, ["00", "07"]),
    _e("07.2", "o PSI com 20 faixas", _v_07_2, ["00", "07"]),
    _e("07.3", "o PSI da chuva na semana 5, à mão", _v_07_3, ["00", "05"],
       "o PSI da chuva na semana 5 (um número)"),
    _e("07.4", "o rótulo com duas semanas de atraso", _v_07_4, ["00", "07"],
       "as duas semanas, como {'desempenho': ..., 'drift': ...}"),
    _e("07.5", "um alerta antecipado"),
    _e("08.1", "o portão que reprova", _v_08_1, ["00", "05"]),
    _e("08.2", "uma janela só com as semanas de produção", _v_08_2, ["00", "08"],
       "a MAE no teste do modelo treinado só com as semanas de produção (um número)"),
    _e("08.3", "outra margem no portão"),
    _e("08.4", "os itens como entrada opcional", _v_08_4, ["00", "08"],
       "a MAE no teste do challenger com itens (um número)"),
    _e("08.5", "um rollback pela linha de comando", _v_08_5, ["00", "08"]),
    _e("09.1", "o JSON com 100 mil níveis nos dois servidores", _v_09_1, ["00", "05"],
       "os dois códigos HTTP, como {'mlflow': ..., 'producao': ...}"),
    _e("09.2", "quantas linhas cabem em 64 KiB", _v_09_2, [],
       "o maior número de linhas de dataframe_split que cabe em 64 KiB"),
    _e("09.3", "o prazo com o modelo lento"),
    _e("09.4", "a carga com 1 e 2 workers"),
    _e("09.5", "quantas réplicas no pico", _v_09_5, [],
       "a vazão de uma réplica e as réplicas, como {'vazao': ..., 'replicas': ...}"),
    _e("10.1", "o projeto com a fórmula só com a distância", _v_10_1, ["00", "03", "10"]),
    _e("10.2", "o projeto com outra preparação", _v_10_2, ["00", "10"]),
    _e("10.3", "um ponto de entrada avaliar no MLproject", _v_10_3, [], le_arquivo=True),
    _e("10.4", "o projeto com --env-manager virtualenv"),
    _e("10.5", "o commit de uma run de projeto", _v_10_5, ["00", "10"],
       "o hash do commit (um texto)"),
])

# Os exercícios cujo verificador só lê o store (sem `resposta`): o painel da turma confere estes.
VERIFICAVEIS_PELO_STORE: tuple[str, ...] = tuple(
    i for i, e in EXERCICIOS.items() if e.verificavel and not e.pede and not e.le_arquivo)


# -- verificar e conferir ------------------------------------------------------------------------


def _uri_de(cliente) -> str:
    return cliente._tracking_client.tracking_uri


def _desconhecido(exercicio) -> Resultado:
    validos = ", ".join(i for i, e in EXERCICIOS.items() if e.verificavel)
    return Resultado(str(exercicio), False, (
        _falta(f"não conheço o exercício {exercicio!r}. Os que se conferem são: {validos}."),),
        "Use o número da aula e o do exercício, com ponto: conferir(\"03.1\").")


def _sem_conferencia(exercicio: str) -> Resultado:
    return Resultado(exercicio, False, (_falta(
        "este exercício não tem conferência automática: compare o que você fez com a resposta "
        "comentada."),))


def _pede_valor(exercicio: str) -> Resultado:
    return Resultado(exercicio, False, (_falta(
        f"este exercício confere um valor que você calcula: {EXERCICIOS[exercicio].pede}. "
        f"Faça o exercício e passe o resultado: conferir(\"{exercicio}\", <o seu valor>)."),))


def _falta_aula(exercicio: str, cliente, nomes) -> Resultado | None:
    """O Resultado que manda rodar uma aula, se falta no store algo de que o exercício precisa."""
    for aula in EXERCICIOS[exercicio].requer:
        for verificacao in _DEIXA[aula]:
            falta = verificacao(cliente, nomes)
            if falta is not None:
                o_que, rodar = falta
                notebook = _aula.NOTEBOOKS.get(rodar, rodar)
                return Resultado(exercicio, False, (_falta(
                    f"falta no store ({_store.descrever(_uri_de(cliente), com_origem=False)}) "
                    f"{o_que}, de que o exercício precisa. Rode antes o notebook "
                    f"{notebook}.ipynb no mesmo store (ou `make run`)."),))
    return None


def verificar(exercicio: str, cliente, nomes, resposta=None) -> Resultado:
    """Confere o `exercicio` do aluno de `nomes` (`aula.Nomes`) no store do `cliente`.

    Só lê. Nunca levanta exceção por causa do estado do store: um aluno que ainda não começou,
    um nome que não existe ou um erro do servidor viram `ok=False` com a mensagem. Um exercício
    que pede um valor (`EXERCICIOS[id].pede`) e não o recebeu também é `ok=False`.
    """
    exercicio = str(exercicio).strip()
    if exercicio not in EXERCICIOS:
        return _desconhecido(exercicio)
    definicao = EXERCICIOS[exercicio]
    if not definicao.verificavel:
        return _sem_conferencia(exercicio)
    try:
        # primeiro o que a aula deixa no store (sem ele, nem dá para fazer o exercício), depois o valor
        if cliente is not None:
            falta = _falta_aula(exercicio, cliente, nomes)
            if falta is not None:
                return falta
        if definicao.pede and resposta is None:
            return _pede_valor(exercicio)
        veredito = definicao.verificar(_Contexto(cliente, nomes, resposta))
        return Resultado(exercicio, veredito.ok, veredito.mensagens, veredito.dica)
    except _Falta as falta:
        return Resultado(exercicio, False, (*(_certo(t) for t in falta.certos), _falta(falta.mensagem)),
                         falta.dica)
    except Exception as erro:  # o store, a rede ou um dado inesperado: nunca um traceback
        detalhe = " ".join(str(erro).split())[:200]
        return Resultado(exercicio, False, (_falta(
            f"não consegui conferir ({type(erro).__name__}: {detalhe})."),),
            "Confira se o store está no ar e se as aulas anteriores rodaram nele.")


def conferir(exercicio: str, resposta=None) -> Resultado:
    """Confere o exercício no seu store e no seu espaço (ALUNO), imprime e devolve o resultado."""
    exercicio = str(exercicio).strip()
    resultado = _conferir_no_store(exercicio, resposta) if exercicio in EXERCICIOS else _desconhecido(exercicio)
    print(resultado.texto())
    return resultado


def _conferir_no_store(exercicio: str, resposta) -> Resultado:
    definicao = EXERCICIOS[exercicio]
    if not definicao.verificavel:
        return _sem_conferencia(exercicio)
    if definicao.pede and resposta is None and not definicao.requer:
        return _pede_valor(exercicio)  # um valor de data/: nem é preciso abrir o store
    try:
        nomes = _aula.atual()
        uri = _store.tracking_uri()
    except (ValueError, RuntimeError) as erro:  # ALUNO inválido, store de arquivos
        return Resultado(exercicio, False, (_falta(str(erro)),))
    if not definicao.requer and not definicao.usa_store:
        return verificar(exercicio, None, nomes, resposta)  # só os dados e a resposta
    if not _aula._store_existe(uri):  # abrir um SQLite que não existe o criaria
        return Resultado(exercicio, False, (_falta(
            f"o store ({_store.descrever(uri, com_origem=False)}) ainda não existe. Rode antes o "
            f"notebook {_aula.NOTEBOOKS['00']}.ipynb no mesmo store (ou `make run`)."),))
    from mlflow.tracking import MlflowClient

    with _store._silenciar_criacao_do_banco():
        cliente = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return verificar(exercicio, cliente, nomes, resposta)
