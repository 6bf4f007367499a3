"""Gráficos das aulas de modelagem e avaliação (só encanamento: o notebook decide o que mostrar).

Cada função devolve uma `matplotlib.figure.Figure` criada pelo pyplot: o notebook pode
mostrá-la (`plt.show()`), registrá-la no MLflow (`mlflow.log_figure`) e fechá-la
(`plt.close(fig)`). Nada é desenhado na importação.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .modelagem import LIMITE_ERRO_MIN, nome_pct_erro


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def residuos(observado, previsto, titulo: str = "", limite: float = LIMITE_ERRO_MIN):
    """Resíduos (observado − previsto) contra o previsto e o seu histograma, com a faixa ±limite."""
    plt = _pyplot()
    observado = np.asarray(observado, dtype=float)
    previsto = np.asarray(previsto, dtype=float)
    residuo = observado - previsto
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.scatter(previsto, residuo, s=10, alpha=0.5)
    ax1.axhline(0, color="black", linewidth=1)
    for sinal in (-1, 1):
        ax1.axhline(sinal * limite, color="tab:red", linestyle="--", linewidth=1)
    ax1.set_xlabel("tempo previsto (min)")
    ax1.set_ylabel("resíduo = observado − previsto (min)")
    ax1.set_title("Resíduos × previsto")
    ax2.hist(residuo, bins=30, color="tab:blue", alpha=0.8)
    for sinal in (-1, 1):
        ax2.axvline(sinal * limite, color="tab:red", linestyle="--", linewidth=1,
                    label=f"±{limite:g} min" if sinal > 0 else None)
    ax2.set_xlabel("resíduo (min)")
    ax2.set_ylabel("entregas")
    ax2.set_title("Distribuição dos resíduos")
    ax2.legend()
    if titulo:
        fig.suptitle(titulo)
    fig.tight_layout()
    return fig


def comparar_candidatos(tabela: pd.DataFrame, kpi_mae: float, kpi_pct: float,
                        limite: float = LIMITE_ERRO_MIN):
    """Barras dos candidatos (uma linha por run, índice = nome) nas mesmas métricas, com as metas.

    Precisa das colunas `mae`, `rmse` e `pct_erro_ate_5min` (o nome segue `limite`).
    """
    plt = _pyplot()
    pct = nome_pct_erro(limite)
    faltando = [c for c in ("mae", "rmse", pct) if c not in tabela.columns]
    if faltando:
        raise ValueError(f"a tabela não tem as colunas {faltando}.")
    nomes = [str(n) for n in tabela.index][::-1]  # o primeiro da tabela fica no topo
    dados = tabela.iloc[::-1]
    y = np.arange(len(nomes))
    altura = 0.38
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.6 * len(nomes) + 2.2), sharey=True)
    ax1.barh(y + altura / 2, dados["mae"], height=altura, label="MAE")
    ax1.barh(y - altura / 2, dados["rmse"], height=altura, label="RMSE")
    ax1.axvline(kpi_mae, color="tab:red", linestyle="--", label=f"meta: MAE ≤ {kpi_mae:g} min")
    ax1.set_yticks(y, nomes)
    ax1.set_xlabel("minutos no teste (menor é melhor)")
    ax1.set_title("Erro no conjunto de teste")
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize="small")
    ax2.barh(y, dados[pct], height=0.6, color="tab:green")
    ax2.axvline(kpi_pct, color="tab:red", linestyle="--", label=f"meta: ≥ {kpi_pct:g}%")
    ax2.set_xlim(0, 100)
    ax2.set_xlabel(f"% de entregas com |erro| ≤ {limite:g} min (maior é melhor)")
    ax2.set_title("Métrica de negócio")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small")
    fig.tight_layout()
    return fig


def diagnostico_residuos(previsto, residuo, chuva, titulo: str = ""):
    """Três diagnósticos: resíduos × previsto, gráfico QQ contra a normal e resíduos por chuva."""
    from scipy import stats

    plt = _pyplot()
    previsto = np.asarray(previsto, dtype=float)
    residuo = np.asarray(residuo, dtype=float)
    chuva = np.asarray(chuva)
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 3.8))
    ax1.scatter(previsto, residuo, s=10, alpha=0.5)
    ax1.axhline(0, color="black", linewidth=1)
    ax1.set_xlabel("tempo previsto (min)")
    ax1.set_ylabel("resíduo (min)")
    ax1.set_title("Resíduos × previsto")
    (teoricos, ordenados), (inclinacao, intercepto, _) = stats.probplot(residuo, dist="norm")
    ax2.scatter(teoricos, ordenados, s=10, alpha=0.5)
    ax2.plot(teoricos, inclinacao * teoricos + intercepto, color="tab:red")
    ax2.set_xlabel("quantis da normal")
    ax2.set_ylabel("quantis dos resíduos (min)")
    ax2.set_title("Gráfico QQ")
    grupos = [residuo[chuva == valor] for valor in (0, 1)]
    ax3.boxplot(grupos, tick_labels=["sem chuva", "com chuva"])
    ax3.axhline(0, color="black", linewidth=1)
    ax3.set_ylabel("resíduo (min)")
    ax3.set_title("Resíduos por chuva")
    if titulo:
        fig.suptitle(titulo)
    fig.tight_layout()
    return fig
