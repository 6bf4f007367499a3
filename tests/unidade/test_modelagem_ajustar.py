"""curso_mlops.modelagem.ajustar: o treino do curso, o mesmo nas aulas 03 e 08 e no MLproject."""

from __future__ import annotations

import pandas as pd
import pytest
import statsmodels.formula.api as smf

from curso_mlops import dados, modelagem


@pytest.fixture(scope="module")
def treino_e_teste():
    limpos, _ = dados.filtrar_validos(dados.carregar_entregas(estrito=False))
    corte = pd.Timestamp("2025-08-01")
    return limpos[limpos["data_hora"] < corte], limpos[limpos["data_hora"] >= corte]


def test_ajustar_e_o_ols_da_formula_com_as_metricas_de_teste_e_treino(treino_e_teste):
    treino, teste = treino_e_teste
    ajuste = modelagem.ajustar("tempo_entrega ~ distancia + chuva", treino, teste)
    direto = smf.ols("tempo_entrega ~ distancia + chuva", data=treino).fit()
    assert ajuste.entradas == ["distancia", "chuva"]
    assert list(ajuste.tabela_treino.columns) == ["distancia", "chuva", "tempo_entrega"]
    assert (ajuste.tabela_treino.dtypes == "float64").all()
    pd.testing.assert_series_equal(ajuste.resultado.params, direto.params)
    assert ajuste.metricas_teste == modelagem.metricas(teste["tempo_entrega"], direto.predict(teste))
    assert ajuste.metricas["aic"] == pytest.approx(direto.aic)
    assert ajuste.metricas["mae_treino"] == pytest.approx(
        modelagem.metricas(treino["tempo_entrega"], direto.fittedvalues)["mae"])
    assert set(ajuste.metricas) == {*ajuste.metricas_teste, "aic",
                                    *(f"{k}_treino" for k in ajuste.metricas_teste)}


def test_assinatura_exemplo_e_coeficientes(treino_e_teste):
    ajuste = modelagem.ajustar("tempo_entrega ~ distancia", *treino_e_teste)
    assert ajuste.assinatura().inputs.input_names() == ["distancia"]
    assert ajuste.exemplo.shape == (3, 1)
    assert list(ajuste.coeficientes().index) == ["Intercept", "distancia"]
    assert list(ajuste.coeficientes().columns) == ["coeficiente", "erro_padrao", "p_valor"]


@pytest.mark.parametrize("formula, trecho", [
    ("tempo_entrega ~ distancia_km", "'distancia_km' não é coluna dos dados"),
    ("distancia ~ tempo_entrega", "a forma 'tempo_entrega ~ entradas'"),
    ("tempo_entrega ~ ", "não usa nenhuma coluna"),
    ("tempo_entrega ~ distancia +", "não pôde ser ajustada"),
    ("tempo_entrega ~ distancia ~ chuva", "a forma"),
])
def test_formula_ruim_tem_mensagem_em_portugues(treino_e_teste, formula, trecho):
    with pytest.raises(modelagem.ErroDeFormula, match=trecho):
        modelagem.ajustar(formula, *treino_e_teste)
