"""Os dados gerados: reprodutíveis byte a byte e com a história que o curso conta."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from curso_mlops import dados


def test_regenerar_da_os_mesmos_bytes(tmp_path, raiz, rodar_script):
    resultado = rodar_script(["scripts/make_data.py", "--saida", tmp_path / "data"])
    assert resultado.returncode == 0, resultado.stderr
    gerados = sorted(p.relative_to(tmp_path / "data") for p in (tmp_path / "data").rglob("*.csv"))
    guardados = sorted(p.relative_to(raiz / "data") for p in (raiz / "data").rglob("*.csv"))
    assert gerados == guardados and len(gerados) == 9
    for relativo in gerados:
        assert (tmp_path / "data" / relativo).read_bytes() == (raiz / "data" / relativo).read_bytes(), relativo


@pytest.fixture(scope="module")
def historico_limpo():
    df = dados.carregar_entregas(estrito=False).drop_duplicates("pedido_id")
    df = df.dropna(subset=["distancia", "tempo_entrega"])
    df = df[df["distancia"].between(0, 50, inclusive="neither") & df["tempo_entrega"].between(1, 180)]
    return dados.validar(df, "histórico limpo")


def test_historico_tem_a_sujeira_documentada():
    bruto = dados.carregar_entregas(estrito=False)
    assert bruto["pedido_id"].duplicated().sum() == 12
    assert bruto["distancia"].isna().sum() == 8 and bruto["tempo_entrega"].isna().sum() == 6
    assert (bruto["distancia"] < 0).sum() == 4 and (bruto["distancia"] > 50).sum() == 2
    assert (bruto["tempo_entrega"] == 0).sum() == 3 and (bruto["tempo_entrega"] == 999).sum() == 2


def test_modelo_so_com_distancia_preve_cerca_de_34_min_a_20_km(historico_limpo):
    ajuste = smf.ols("tempo_entrega ~ distancia", data=historico_limpo).fit()
    previsto = float(ajuste.predict(pd.DataFrame({"distancia": [20.0]})).iloc[0])
    assert 33.5 <= previsto <= 35.0, previsto


def _psi(referencia, atual, faixas=10):
    cortes = np.quantile(referencia, np.linspace(0, 1, faixas + 1))
    cortes[0], cortes[-1] = -np.inf, np.inf
    r = np.clip(np.histogram(referencia, cortes)[0] / len(referencia), 1e-4, None)
    a = np.clip(np.histogram(atual, cortes)[0] / len(atual), 1e-4, None)
    return float(np.sum((a - r) * np.log(a / r)))


def test_drift_comeca_na_semana_5(historico_limpo):
    """Semanas 1-4 como o histórico; da 5 em diante, chuva, Zona Norte e erro acima da meta."""
    treino = historico_limpo[historico_limpo["data_hora"] < "2025-08-01"]
    modelo = smf.ols("tempo_entrega ~ distancia", data=treino).fit()
    for numero in range(1, 9):
        semana = dados.carregar_semana(numero)
        mae = float((semana["tempo_entrega"] - modelo.predict(semana)).abs().mean())
        psi = _psi(treino["distancia"], semana["distancia"])
        if numero < 5:
            assert mae < 4.0 and psi < 0.1 and "Zona Norte" not in set(semana["regiao"]), numero
            assert semana["chuva"].mean() < 0.2
        else:
            assert mae > 5.5 and psi > 0.2 and "Zona Norte" in set(semana["regiao"]), numero
            assert semana["chuva"].mean() > 0.4
