"""curso_mlops.estatistica: os testes de drift por tipo de variável e o bootstrap do portão.

Os valores esperados foram calculados à mão (as contas estão nos comentários).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from curso_mlops import estatistica as est


def test_duas_proporcoes_calculado_a_mao():
    # 10 de 100 contra 20 de 100: p = 30/200 = 0,15; ep = √(0,15·0,85·(1/100 + 1/100)) = 0,050498
    # z = (0,20 − 0,10)/0,050498 = 1,98030; p-valor = 2·(1 − Φ(1,98030)) = 0,04767
    teste = est.duas_proporcoes([1] * 10 + [0] * 90, [1] * 20 + [0] * 80)
    assert teste.nome == "duas proporções"
    assert teste.estatistica == pytest.approx(1.98030, abs=1e-4)
    assert teste.p_valor == pytest.approx(0.04767, abs=1e-4)


def test_duas_proporcoes_e_o_qui_quadrado_2x2_dao_o_mesmo_p_valor():
    referencia, atual = [1] * 10 + [0] * 90, [1] * 20 + [0] * 80
    z = est.duas_proporcoes(referencia, atual)
    qui2 = est.qui_quadrado(referencia, atual)
    assert qui2.estatistica == pytest.approx(z.estatistica ** 2)   # 1,98030² = 3,9216
    assert qui2.p_valor == pytest.approx(z.p_valor)
    assert qui2.graus_de_liberdade == 1


def test_duas_proporcoes_sem_nenhuma_mudanca_possivel_e_sem_variavel_binaria():
    assert est.duas_proporcoes([0] * 5, [0] * 7).p_valor == 1.0
    with pytest.raises(ValueError, match="só 0 e 1"):
        est.duas_proporcoes([0, 1, 2], [0, 1])


def test_qui_quadrado_2x3_calculado_a_mao():
    # referência: 10 a, 20 b, 30 c; atual: 20, 20, 20. Totais das colunas 30, 40, 50; N = 120.
    # Esperado (as duas linhas): 15, 20, 25. χ² = 2·(25/15 + 0 + 25/25) = 5,3333, 2 graus.
    # Com 2 graus, P(χ² > x) = e^(−x/2) = e^(−2,6667) = 0,069483.
    referencia = ["a"] * 10 + ["b"] * 20 + ["c"] * 30
    atual = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    teste = est.qui_quadrado(referencia, atual)
    assert teste.estatistica == pytest.approx(16 / 3)
    assert teste.graus_de_liberdade == 2
    assert teste.p_valor == pytest.approx(math.exp(-8 / 3))


def test_qui_quadrado_bate_com_o_scipy():
    rng = np.random.default_rng(1)
    referencia, atual = rng.poisson(1.5, 1600) + 1, rng.poisson(1.8, 240) + 1
    categorias, tabela = est.tabela_de_contagens(referencia, atual)
    esperado = stats.chi2_contingency(tabela, correction=False)
    teste = est.qui_quadrado(referencia, atual)
    assert teste.p_valor == pytest.approx(esperado.pvalue)
    assert teste.graus_de_liberdade == esperado.dof


def test_categorias_raras_sao_juntadas():
    # c tem contagem esperada 0,5 nas duas linhas: vira "outras", que ainda é rara e vai para a maior.
    referencia = ["a"] * 50 + ["b"] * 40 + ["c"]
    atual = ["a"] * 50 + ["b"] * 40
    categorias, tabela = est.tabela_de_contagens(referencia, atual)
    assert categorias == ["a", "b"]
    assert tabela.tolist() == [[51, 40], [50, 40]]
    # com muitas raras, a coluna "outras" tem contagem suficiente e fica
    referencia = ["a"] * 100 + [f"r{i}" for i in range(30)]
    atual = ["a"] * 100 + [f"r{i}" for i in range(30)]
    categorias, tabela = est.tabela_de_contagens(referencia, atual)
    assert categorias == ["a", "outras"] and tabela.tolist() == [[100, 30], [100, 30]]


def test_teste_de_deriva_escolhe_pelo_tipo():
    continua = np.linspace(0, 1, 50)
    assert est.teste_de_deriva(continua, continua + 0.5, "continua").nome == "KS"
    assert est.teste_de_deriva([0, 1] * 10, [0, 1] * 10, "binaria").nome == "duas proporções"
    assert est.teste_de_deriva([1, 2, 3] * 10, [1, 2, 3] * 10, "discreta").nome == "qui-quadrado"
    with pytest.raises(ValueError, match="tipo 'ordinal' desconhecido"):
        est.teste_de_deriva([1], [1], "ordinal")


def test_o_ks_so_pega_a_mudanca_na_variavel_continua():
    referencia = np.linspace(0, 10, 200)
    teste = est.teste_de_deriva(referencia, referencia + 3, "continua")
    assert teste.estatistica == pytest.approx(0.3, abs=0.01) and teste.p_valor < 1e-6


def test_amostras_vazias_ou_com_nan():
    with pytest.raises(ValueError, match="vazia"):
        est.qui_quadrado([], [1])
    with pytest.raises(ValueError, match="NaN"):
        est.ks([1.0, float("nan")], [1.0])


# -- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_com_diferenca_constante_tem_intervalo_de_largura_zero():
    # erros de a: 2 em todos os pedidos; de b: 1. Toda reamostra dá MAE(a) − MAE(b) = 1.
    y = [10.0] * 8
    intervalo = est.bootstrap_pareado(y, [12.0] * 8, [11.0] * 8, "mae", reamostras=200)
    assert (intervalo.estimativa, intervalo.inferior, intervalo.superior) == (1.0, 1.0, 1.0)
    assert est.bootstrap_pareado(y, [12.0] * 8, [11.0] * 8, "pct_erro_ate_5min",
                                 reamostras=200).estimativa == 0.0


def test_bootstrap_de_dois_pedidos_calculado_a_mao():
    # Erros 0 e 10. Uma reamostra de 2 pedidos dá MAE 0 (¼), 5 (½) ou 10 (¼): os percentis
    # 2,5% e 97,5% são 0 e 10, e a estimativa é 5.
    intervalo = est.bootstrap([0.0, 0.0], [0.0, 10.0], "mae", reamostras=4000)
    assert (intervalo.estimativa, intervalo.inferior, intervalo.superior) == (5.0, 0.0, 10.0)
    # a % com erro ≤ 5 min: 50% na amostra; nas reamostras, 0%, 50% ou 100%
    pct = est.bootstrap([0.0, 0.0], [0.0, 10.0], "pct_erro_ate_5min", reamostras=4000)
    assert (pct.estimativa, pct.inferior, pct.superior) == (50.0, 0.0, 100.0)


def test_bootstrap_pareado_e_deterministico_e_contem_a_estimativa():
    rng = np.random.default_rng(3)
    y = rng.normal(30, 5, 480)
    a, b = y + rng.normal(0, 6, 480), y + rng.normal(0, 3, 480)
    primeiro = est.bootstrap_pareado(y, a, b)
    assert primeiro == est.bootstrap_pareado(y, a, b)          # semente fixa
    assert primeiro.inferior < primeiro.estimativa < primeiro.superior
    assert primeiro.contem(primeiro.estimativa) and primeiro.inferior > 0   # b é melhor
    assert "IC 95%" in str(primeiro)
    # o pareado é mais estreito que a diferença de dois intervalos separados
    separado_a, separado_b = est.bootstrap(y, a), est.bootstrap(y, b)
    largura_separada = (separado_a.superior - separado_a.inferior) + (separado_b.superior - separado_b.inferior)
    assert primeiro.superior - primeiro.inferior < largura_separada


def test_bootstrap_recusa_o_que_nao_sabe_medir():
    with pytest.raises(ValueError, match="mesmo tamanho"):
        est.bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="métrica 'rmse'"):
        est.bootstrap([1.0], [1.0], "rmse")
    with pytest.raises(ValueError, match="100 reamostras"):
        est.bootstrap([1.0], [1.0], reamostras=10)
    with pytest.raises(ValueError, match="nível"):
        est.bootstrap([1.0], [1.0], nivel=1.5)
