"""PSI com faixas fixadas na referência e a regra de alerta (curso_mlops.drift)."""

import math

import numpy as np
import pandas as pd
import pytest

from curso_mlops import drift

# --- faixas ---------------------------------------------------------------------------------

def test_cortes_sao_os_quantis_internos_da_referencia():
    ref = np.arange(1, 101)  # 1..100
    cortes = drift.cortes_da_referencia(ref, faixas=4)
    assert cortes.tolist() == [25, 50, 75]  # quartis: valores da própria referência
    assert drift.proporcoes(ref, cortes).tolist() == pytest.approx([0.25] * 4)


def test_quantis_repetidos_viram_um_corte_so():
    chuva = np.array([0] * 90 + [1] * 10)
    assert drift.cortes_da_referencia(chuva).tolist() == [0.0]  # "sem chuva" e "com chuva"
    tabela = drift.tabela_psi(chuva, chuva)
    assert len(tabela) == 2
    assert tabela["referencia"].tolist() == pytest.approx([0.9, 0.1])


def test_faixas_fechadas_a_direita_e_pontas_abertas():
    cortes = [2.5, 5.0]
    # (-inf, 2.5] , (2.5, 5] , (5, +inf)
    assert drift.proporcoes([2.5, 2.6, 5.0, 5.1, -1e9, 1e9], cortes).tolist() == pytest.approx(
        [2 / 6, 2 / 6, 2 / 6])


# --- valores conhecidos, calculados à mão ---------------------------------------------------

def test_psi_com_duas_faixas_calculado_a_mao():
    # referência [1, 2, 3, 4]: corte na mediana, 2 -> faixas (-inf, 2] e (2, +inf), 50% / 50%
    # atual [1, 1, 1, 4]: 75% / 25%
    # PSI = (0.75 - 0.5)·ln(0.75/0.5) + (0.25 - 0.5)·ln(0.25/0.5) = 0.25·ln 1.5 + 0.25·ln 2
    esperado = 0.25 * math.log(1.5) + 0.25 * math.log(2.0)
    assert esperado == pytest.approx(0.2746530722)
    assert drift.psi([1, 2, 3, 4], [1, 1, 1, 4], faixas=2) == pytest.approx(esperado, abs=1e-12)


def test_psi_com_quatro_faixas_calculado_a_mao():
    ref = np.arange(1, 101)                       # 25% em cada quartil
    atual = [10] * 40 + [40] * 30 + [60] * 20 + [90] * 10
    esperado = ((0.4 - 0.25) * math.log(0.4 / 0.25) + (0.3 - 0.25) * math.log(0.3 / 0.25)
                + (0.2 - 0.25) * math.log(0.2 / 0.25) + (0.1 - 0.25) * math.log(0.1 / 0.25))
    assert drift.psi(ref, atual, faixas=4) == pytest.approx(esperado, abs=1e-12)
    assert esperado == pytest.approx(0.2282, abs=1e-4)


def test_psi_e_simetrico_na_troca_de_fracoes_mas_nao_de_amostras():
    # A fórmula é simétrica em (a, r); a troca das amostras muda as faixas (fixadas na referência).
    a, b = [1, 2, 3, 4], [1, 1, 1, 4]
    assert drift.psi(a, b, faixas=2) != pytest.approx(drift.psi(b, a, faixas=2))


# --- distribuições iguais --------------------------------------------------------------------

@pytest.mark.parametrize("faixas", [2, 5, 10])
def test_distribuicoes_iguais_dao_zero(faixas):
    rng = np.random.default_rng(0)
    ref = rng.gamma(4.0, 1.5, 1000)
    assert drift.psi(ref, ref, faixas=faixas) == 0.0
    assert drift.psi(ref, rng.permutation(ref), faixas=faixas) == 0.0
    assert drift.psi(ref, np.concatenate([ref, ref]), faixas=faixas) == pytest.approx(0.0, abs=1e-15)


def test_amostras_da_mesma_distribuicao_dao_psi_pequeno():
    rng = np.random.default_rng(1)
    assert drift.psi(rng.normal(size=5000), rng.normal(size=5000)) < 0.02


def test_deslocamento_maior_da_psi_maior():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=5000)
    valores = [drift.psi(ref, rng.normal(loc=d, size=2000)) for d in (0.0, 0.25, 0.5, 1.0)]
    assert valores == sorted(valores)
    assert valores[-1] > drift.LIMITE_PSI


# --- faixas vazias ---------------------------------------------------------------------------

def test_faixa_vazia_na_amostra_atual_usa_o_epsilon():
    # atual toda na primeira faixa: a segunda tem 0 -> vira epsilon
    eps = drift.EPSILON
    esperado = (1 - 0.5) * math.log(1 / 0.5) + (eps - 0.5) * math.log(eps / 0.5)
    valor = drift.psi([1, 2, 3, 4], [1, 1, 1, 1], faixas=2)
    assert math.isfinite(valor)
    assert valor == pytest.approx(esperado, abs=1e-12)
    tabela = drift.tabela_psi([1, 2, 3, 4], [1, 1, 1, 1], faixas=2)
    assert tabela["atual"].tolist() == pytest.approx([1.0, eps])


def test_faixa_vazia_nos_dois_lados_contribui_zero():
    ref = [0] * 95 + [1] * 5
    cortes = drift.cortes_da_referencia(ref, faixas=10)
    assert cortes.tolist() == [0.0]
    # nenhum valor novo acima de 1: a faixa (0, +inf) tem 5% e 0%; nada fica vazio dos dois lados
    tabela = drift.tabela_psi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [100] * 10, faixas=5)
    vazias_dos_dois_lados = tabela[(tabela["referencia"] == drift.EPSILON) & (tabela["atual"] == drift.EPSILON)]
    assert (vazias_dos_dois_lados["contribuicao"] == 0).all()


def test_valores_fora_do_que_o_treino_viu_caem_nas_pontas():
    ref = np.linspace(0.5, 26.4, 1000)
    tabela = drift.tabela_psi(ref, [28.0] * 10 + [0.1] * 10)
    assert tabela["atual"].iloc[0] == pytest.approx(0.5)
    assert tabela["atual"].iloc[-1] == pytest.approx(0.5)
    assert tabela["de"].iloc[0] == -np.inf and tabela["ate"].iloc[-1] == np.inf


def test_epsilon_menor_pune_mais_a_faixa_vazia():
    a = drift.psi([1, 2, 3, 4], [1, 1, 1, 1], faixas=2, epsilon=1e-2)
    b = drift.psi([1, 2, 3, 4], [1, 1, 1, 1], faixas=2, epsilon=1e-6)
    assert b > a > 0


# --- entradas inválidas ----------------------------------------------------------------------

@pytest.mark.parametrize("referencia, atual", [([], [1.0]), ([1.0, 2.0], []),
                                               ([1.0, np.nan], [1.0]), ([1.0, 2.0], [np.nan])])
def test_amostra_vazia_ou_com_nan_e_erro_claro(referencia, atual):
    with pytest.raises(ValueError, match="vazia|NaN"):
        drift.psi(referencia, atual)


def test_parametros_invalidos():
    with pytest.raises(ValueError, match="2 faixas"):
        drift.psi([1, 2], [1, 2], faixas=1)
    with pytest.raises(ValueError, match="epsilon"):
        drift.psi([1, 2], [1, 2], epsilon=0)


@pytest.mark.parametrize("valor, nivel", [(0.0, "estável"), (0.099, "estável"), (0.1, "atenção"),
                                          (0.2, "atenção"), (0.2001, "alerta"), (3.0, "alerta")])
def test_nivel_psi(valor, nivel):
    assert drift.nivel_psi(valor) == nivel


# --- regra de alerta -------------------------------------------------------------------------

@pytest.fixture
def semanas():
    return pd.DataFrame({
        "psi_distancia": [0.05, 0.15, 0.25, 0.30, np.nan],
        "mae": [3.0, 3.1, 4.9, 6.2, 6.0],
        "pct_erro_ate_5min": [80.0, 75.0, 70.0, 48.0, 50.0],
    }, index=pd.Index([1, 2, 3, 4, 5], name="semana"))


LIMITES = {"psi_distancia": (">", 0.2), "mae": (">", 5.0), "pct_erro_ate_5min": ("<", 75.0)}


def test_alertas_por_semana(semanas):
    resultado = drift.alertas(semanas, LIMITES)
    assert list(resultado.index) == [1, 2, 3, 4, 5]
    assert resultado.columns.tolist() == ["psi_distancia > 0.2", "mae > 5", "pct_erro_ate_5min < 75",
                                          "alerta", "motivos"]
    assert resultado["alerta"].tolist() == [False, False, True, True, True]
    assert resultado["psi_distancia > 0.2"].tolist() == [False, False, True, True, False]  # NaN não alerta
    assert resultado["pct_erro_ate_5min < 75"].tolist() == [False, False, True, True, True]  # 75 é a meta: ok
    assert resultado.loc[1, "motivos"] == ""
    assert resultado.loc[3, "motivos"] == "psi_distancia = 0.25 > 0.2; pct_erro_ate_5min = 70.00 < 75"
    assert resultado.loc[4, "motivos"] == ("psi_distancia = 0.30 > 0.2; mae = 6.20 > 5; "
                                           "pct_erro_ate_5min = 48.00 < 75")


def test_limite_no_valor_exato_nao_alerta():
    tabela = pd.DataFrame({"mae": [5.0, 5.0001]})
    assert drift.alertas(tabela, [drift.Limite("mae", ">", 5.0)])["alerta"].tolist() == [False, True]


def test_limites_como_lista_ou_dicionario_dao_o_mesmo(semanas):
    lista = [drift.Limite(c, s, v) for c, (s, v) in LIMITES.items()]
    pd.testing.assert_frame_equal(drift.alertas(semanas, lista), drift.alertas(semanas, LIMITES))


def test_regra_de_alerta_com_erros_claros(semanas):
    with pytest.raises(ValueError, match="colunas"):
        drift.alertas(semanas, {"psi_chuva": (">", 0.2)})
    with pytest.raises(ValueError, match="sentido"):
        drift.Limite("mae", ">=", 5.0)
    with pytest.raises(ValueError, match="pelo menos um"):
        drift.alertas(semanas, [])


@pytest.mark.parametrize("alerta, inicio", [
    ([False, False, False, False, True, True, True, True], 5),
    ([False, True, False, False, True, True, True, True], 5),   # o alerta isolado da semana 2 não conta
    ([True, True, True], 1),
    ([False, False, True, False], None),                        # a última semana está boa
    ([False, False], None),
    ([], None),
])
def test_inicio_persistente(alerta, inicio):
    serie = pd.Series(alerta, index=range(1, len(alerta) + 1), dtype=bool)
    assert drift.inicio_persistente(serie) == inicio
