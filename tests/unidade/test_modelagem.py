"""Unidades do apoio à modelagem (curso_mlops.modelagem): métricas, colunas de fórmulas, tipos."""

import math

import pandas as pd
import pytest

from curso_mlops import modelagem

COLUNAS = ["pedido_id", "data_hora", "dia_semana", "hora", "regiao", "distancia", "chuva",
           "itens", "tempo_entrega"]


def test_metricas_de_um_exemplo_feito_a_mao():
    # erros observado − previsto: -2, 0, 3, 0
    m = modelagem.metricas([10, 20, 30, 40], [12, 20, 27, 40])
    assert m["mae"] == pytest.approx(1.25)
    assert m["rmse"] == pytest.approx(math.sqrt(13 / 4))
    assert m["r2"] == pytest.approx(1 - 13 / 500)
    assert m["pct_erro_ate_5min"] == pytest.approx(100.0)
    assert all(type(v) is float for v in m.values())


def test_pct_conta_o_erro_igual_ao_limite_e_segue_o_limite():
    m = modelagem.metricas([10, 10, 10, 10], [15, 5, 15.1, 10])
    assert m["pct_erro_ate_5min"] == pytest.approx(75.0)  # |5| conta, |5,1| não
    m = modelagem.metricas([10, 20, 30, 40], [12, 20, 27, 40], limite=2.5)
    assert m["pct_erro_ate_2_5min"] == pytest.approx(75.0)


def test_nome_da_metrica_de_negocio():
    assert modelagem.nome_pct_erro() == "pct_erro_ate_5min"
    assert modelagem.nome_pct_erro(10) == "pct_erro_ate_10min"


def test_metricas_aceitam_series_do_pandas_com_indices_diferentes():
    observado = pd.Series([10.0, 20.0], index=[7, 8])
    previsto = pd.Series([11.0, 19.0], index=[0, 1])  # só a ordem importa, não o índice
    assert modelagem.metricas(observado, previsto)["mae"] == pytest.approx(1.0)


@pytest.mark.parametrize("observado, previsto, trecho", [
    ([1, 2, 3], [1, 2], "mesmo tamanho"),
    ([], [], "vazios"),
    ([1, float("nan")], [1, 2], "faltando"),
])
def test_metricas_recusam_entradas_ruins(observado, previsto, trecho):
    with pytest.raises(ValueError, match=trecho):
        modelagem.metricas(observado, previsto)


def test_r2_sem_variacao_no_alvo_e_nan():
    assert math.isnan(modelagem.metricas([5, 5], [5, 6])["r2"])


@pytest.mark.parametrize("formula, esperado", [
    ("tempo_entrega ~ distancia", ["distancia"]),
    ("tempo_entrega ~ distancia + I(distancia ** 2)", ["distancia"]),
    ("tempo_entrega ~ np.log(distancia)", ["distancia"]),
    ("tempo_entrega ~ distancia + chuva + itens + C(regiao)", ["distancia", "chuva", "itens", "regiao"]),
    ("tempo_entrega ~ C(regiao) + distancia:chuva", ["regiao", "distancia", "chuva"]),
])
def test_colunas_da_formula(formula, esperado):
    assert modelagem.colunas_da_formula(formula, COLUNAS) == esperado


def test_colunas_da_formula_recusa_formulas_sem_alvo_ou_sem_colunas():
    with pytest.raises(ValueError, match="~"):
        modelagem.colunas_da_formula("distancia", COLUNAS)
    with pytest.raises(ValueError, match="nenhuma coluna"):
        modelagem.colunas_da_formula("tempo_entrega ~ 1", COLUNAS)


def test_numericas_como_double_so_muda_as_numericas_e_nao_altera_o_original():
    original = pd.DataFrame({"distancia": [1.5, 2.0], "chuva": [0, 1], "regiao": ["Centro", "Zona Sul"],
                             "ativo": [True, False]})
    convertido = modelagem.numericas_como_double(original)
    assert convertido["chuva"].dtype == "float64" and convertido["distancia"].dtype == "float64"
    assert convertido["regiao"].tolist() == ["Centro", "Zona Sul"]
    assert convertido["ativo"].dtype == bool
    assert original["chuva"].dtype == "int64"
