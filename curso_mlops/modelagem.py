"""Apoio à modelagem e à avaliação: métricas, colunas de uma fórmula e tipos das entradas.

Só encanamento. As chamadas do MLflow que a aula ensina (`start_run`, `log_*`,
`log_model`, `evaluate`...) ficam nos notebooks; aqui ficam as contas que vários notebooks
repetem (a métrica de negócio, por exemplo, volta no monitoramento e no re-treino).
"""

from __future__ import annotations

import math
import re

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
