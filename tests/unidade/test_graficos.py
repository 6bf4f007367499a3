"""Os gráficos de resíduos e de comparação de candidatos (curso_mlops.graficos)."""

import matplotlib

matplotlib.use("Agg")  # sem janela: os testes só conferem as figuras

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from curso_mlops import graficos  # noqa: E402


@pytest.fixture(autouse=True)
def _fechar_figuras():
    yield
    plt.close("all")


def test_grafico_de_residuos():
    fig = graficos.residuos([10, 20, 30], [11, 18, 30], titulo="teste")
    assert len(fig.axes) == 2
    assert fig._suptitle.get_text() == "teste"
    ax_dispersao = fig.axes[0]
    residuos = ax_dispersao.collections[0].get_offsets()[:, 1]
    assert list(residuos) == [-1, 2, 0]


def test_grafico_de_comparacao_desenha_as_metas():
    tabela = pd.DataFrame({"mae": [3.0, 2.5], "rmse": [3.8, 3.2], "pct_erro_ate_5min": [79.0, 87.0]},
                          index=["a", "b"])
    fig = graficos.comparar_candidatos(tabela, kpi_mae=5.0, kpi_pct=75.0)
    ax_erro, ax_pct = fig.axes
    assert [l.get_xdata()[0] for l in ax_erro.lines] == [5.0]
    assert [l.get_xdata()[0] for l in ax_pct.lines] == [75.0]
    assert [t.get_text() for t in ax_erro.get_yticklabels()] == ["b", "a"]  # o primeiro no topo


def test_grafico_de_comparacao_exige_as_metricas():
    with pytest.raises(ValueError, match="pct_erro_ate_5min"):
        graficos.comparar_candidatos(pd.DataFrame({"mae": [1.0], "rmse": [1.0]}), 5.0, 75.0)


def test_diagnostico_de_residuos_separa_por_chuva():
    rng = np.random.default_rng(0)
    residuo = rng.normal(size=50)
    chuva = np.array([0] * 40 + [1] * 10)
    fig = graficos.diagnostico_residuos(rng.normal(30, 5, 50), residuo, chuva)
    assert [ax.get_title() for ax in fig.axes] == ["Resíduos × previsto", "Gráfico QQ", "Resíduos por chuva"]
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["sem chuva", "com chuva"]
