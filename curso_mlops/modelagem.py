"""Apoio à modelagem e à avaliação: métricas, colunas de uma fórmula e tipos das entradas.

Só encanamento. As chamadas do MLflow que a aula ensina (`start_run`, `log_*`,
`log_model`, `evaluate`...) ficam nos notebooks; aqui ficam as contas que vários notebooks
repetem (a métrica de negócio, por exemplo, volta no monitoramento e no re-treino).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# A métrica de negócio: a % de entregas em que a estimativa errou no máximo 5 minutos.
LIMITE_ERRO_MIN = 5.0


def nome_pct_erro(limite: float = LIMITE_ERRO_MIN) -> str:
    """Nome da métrica de negócio no MLflow: `pct_erro_ate_5min` para o limite de 5 min."""
    return f"pct_erro_ate_{limite:g}min".replace(".", "_")


def metricas(observado, previsto, limite: float = LIMITE_ERRO_MIN) -> dict[str, float]:
    """Métricas de regressão de uma previsão, como floats Python (prontos para `log_metrics`).

    - `rmse`: raiz do erro quadrático médio (min); pune mais os erros grandes;
    - `mae`: erro absoluto médio (min), o KPI do negócio;
    - `r2`: fração da variância do alvo explicada (1 − SQE/SQT, com a média do próprio conjunto);
    - `pct_erro_ate_5min`: % das entregas com |erro| ≤ `limite` minutos.
    """
    y = np.asarray(observado, dtype=float)
    p = np.asarray(previsto, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"observado e previsto precisam ser vetores do mesmo tamanho "
                         f"(recebi {y.shape} e {p.shape}).")
    if len(y) == 0:
        raise ValueError("não há o que medir: os vetores estão vazios.")
    if np.isnan(y).any() or np.isnan(p).any():
        raise ValueError("há valores faltando (NaN) no observado ou no previsto.")
    erro = y - p
    sqt = float(((y - y.mean()) ** 2).sum())
    return {
        "rmse": float(math.sqrt((erro ** 2).mean())),
        "mae": float(np.abs(erro).mean()),
        "r2": float(1.0 - (erro ** 2).sum() / sqt) if sqt > 0 else float("nan"),
        nome_pct_erro(limite): float(100.0 * (np.abs(erro) <= limite).mean()),
    }


_IDENTIFICADOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def colunas_da_formula(formula: str, colunas) -> list[str]:
    """As colunas dos dados que o lado direito de uma fórmula usa, na ordem em que aparecem.

    >>> colunas_da_formula("tempo_entrega ~ np.log(distancia) + C(regiao)", ["distancia", "regiao"])
    ['distancia', 'regiao']

    É o que o modelo precisa receber para prever: a assinatura do modelo usa só essas colunas.
    """
    if formula.count("~") != 1:
        raise ValueError(f"a fórmula precisa de exatamente um '~' (alvo ~ entradas): {formula!r}")
    lado_direito = formula.split("~", 1)[1]
    conhecidas = set(colunas)
    encontradas: list[str] = []
    for nome in _IDENTIFICADOR.findall(lado_direito):
        if nome in conhecidas and nome not in encontradas:
            encontradas.append(nome)
    if not encontradas:
        raise ValueError(f"a fórmula {formula!r} não usa nenhuma coluna dos dados.")
    return encontradas


def numericas_como_double(dados: pd.DataFrame) -> pd.DataFrame:
    """Cópia dos dados com toda coluna numérica (inteira ou real) como float64.

    O MLflow deduz tipos dos dados: uma coluna inteira vira `long` na assinatura do modelo
    (e o modelo passa a recusar 20.5 ali) e faz o MLflow avisar que inteiros não representam
    valores faltando. Como o app manda números JSON, o curso trata toda entrada numérica como
    `double`. Colunas de texto ficam como estão.
    """
    numericas = [c for c in dados.columns if pd.api.types.is_numeric_dtype(dados[c])
                 and not pd.api.types.is_bool_dtype(dados[c])]
    return dados.astype({c: "float64" for c in numericas})


# -- o treino do curso, num lugar só -------------------------------------------------------------
# A aula 03 (os candidatos), a aula 08 (o retreino) e o ponto de entrada do MLproject
# (scripts/treinar.py, aula 10) ajustam os modelos com `ajustar`: o mesmo código de modelagem
# dá as mesmas métricas nos três lugares. O registro no MLflow (start_run, log_params,
# log_metrics, log_model) fica à vista em cada um deles, porque é o que as aulas ensinam.

ALVO = "tempo_entrega"


class ErroDeFormula(ValueError):
    """A fórmula não pode ser ajustada com os dados (termo desconhecido, sintaxe inválida)."""


_NOME_SOLTO = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?![\w.(])")


@dataclass
class Ajuste:
    """Um OLS ajustado e tudo o que as aulas registram dele."""

    formula: str
    entradas: list[str]
    tabela_treino: pd.DataFrame   # as colunas da fórmula e o alvo, numéricas como double
    tabela_teste: pd.DataFrame
    resultado: object             # statsmodels RegressionResults
    previsto: pd.Series           # as previsões no teste
    metricas_teste: dict[str, float]
    metricas: dict[str, float]    # as de teste, o AIC e as de treino (`<nome>_treino`)

    @property
    def exemplo(self) -> pd.DataFrame:
        """Três linhas de entrada válidas: o `input_example` do modelo."""
        return self.tabela_treino[self.entradas].head(3)

    def assinatura(self):
        """A assinatura do MLflow: só as colunas da fórmula, todas double, e a saída double."""
        from mlflow.models import infer_signature

        return infer_signature(self.exemplo, self.resultado.predict(self.exemplo))

    def coeficientes(self) -> pd.DataFrame:
        """Coeficiente, erro padrão e p-valor de cada termo."""
        return pd.DataFrame({"coeficiente": self.resultado.params, "erro_padrao": self.resultado.bse,
                             "p_valor": self.resultado.pvalues}).rename_axis("termo")


def conferir_formula(formula: str, colunas) -> list[str]:
    """As entradas da fórmula; `ErroDeFormula` (em português) se ela não serve para os dados."""
    colunas = [c for c in colunas if c != ALVO]
    if formula.count("~") != 1 or formula.split("~")[0].strip() != ALVO:
        raise ErroDeFormula(f"a fórmula precisa ter a forma '{ALVO} ~ entradas': {formula!r}.")
    # Nomes soltos (nem função `f(`, nem módulo `np.`, nem atributo `.log`) são colunas.
    desconhecidos = [n for n in _NOME_SOLTO.findall(formula.split("~", 1)[1]) if n not in colunas]
    if desconhecidos:
        raise ErroDeFormula(
            f"termo desconhecido na fórmula {formula!r}: {', '.join(map(repr, desconhecidos))} "
            f"não é coluna dos dados. Colunas disponíveis: {', '.join(colunas)}.")
    try:
        return colunas_da_formula(formula, colunas)
    except ValueError as erro:
        raise ErroDeFormula(str(erro)) from None


def ajustar(formula: str, treino: pd.DataFrame, teste: pd.DataFrame) -> Ajuste:
    """Ajusta `formula` (statsmodels, API de fórmulas) no treino e mede no treino e no teste.

    As tabelas ficam só com as colunas da fórmula e o alvo, com as numéricas como double (o
    formato da assinatura). As métricas são as de `metricas`, mais o AIC.
    """
    import statsmodels.formula.api as smf

    entradas = conferir_formula(formula, treino.columns)
    tabela_treino = numericas_como_double(treino[entradas + [ALVO]])
    tabela_teste = numericas_como_double(teste[entradas + [ALVO]])
    try:
        resultado = smf.ols(formula, data=tabela_treino).fit()
    except Exception as erro:  # patsy/formulaic: sintaxe inválida, termo que não existe...
        detalhe = " ".join(str(erro).split())[:200]
        raise ErroDeFormula(f"a fórmula {formula!r} não pôde ser ajustada: {detalhe}.") from None
    previsto = resultado.predict(tabela_teste)
    metricas_teste = metricas(tabela_teste[ALVO], previsto)
    metricas_treino = metricas(tabela_treino[ALVO], resultado.fittedvalues)
    todas = {**metricas_teste, "aic": float(resultado.aic),
             **{f"{chave}_treino": valor for chave, valor in metricas_treino.items()}}
    return Ajuste(formula, entradas, tabela_treino, tabela_teste, resultado, previsto,
                  metricas_teste, todas)
