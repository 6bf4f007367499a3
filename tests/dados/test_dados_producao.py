"""As semanas de produção contam a história da aula 07: nenhum alerta antes da semana do drift,
alerta em todas a partir dela.

Usa as mesmas funções (`curso_mlops.drift`, `modelagem.metricas`) e os mesmos limites do
notebook 07 (lidos da célula `parameters` dele), o KPI da aula 00 e a data de corte da aula 02,
sem executar notebook nem tocar num store: a referência é o histórico limpo com as regras da
aula 02, e o champion é a regressão só com a distância que as aulas 03 e 04 escolhem (o guarda
da aula 06 não muda as previsões).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from curso_mlops import dados, drift, modelagem, simulacao
from curso_mlops import notebooks as nbs


def _parametros(prefixo: str) -> dict:
    """Os valores padrão da célula `parameters` de um notebook (o leitor único do pacote)."""
    caminhos = [p for p in nbs.listar() if p.name.startswith(prefixo)]
    assert len(caminhos) == 1, f"esperava um notebook {prefixo}*.ipynb em notebooks/"
    return nbs.parametros(caminhos[0])


def _semana_da_mudanca() -> int:
    """A semana em que o gerador muda as regras (curso_mlops.simulacao, SEMANA_DA_MUDANCA)."""
    return int(simulacao.SEMANA_DA_MUDANCA)


@pytest.fixture(scope="module")
def p07():
    return _parametros("07_")


@pytest.fixture(scope="module")
def kpi():
    p00 = _parametros("00_")
    return float(p00["KPI_MAE_MAX"]), float(p00["KPI_PCT_ERRO_ATE_5MIN_MIN"])


@pytest.fixture(scope="module")
def referencia():
    """O treino do champion: o histórico limpo (regras da aula 02) antes da data de corte."""
    contrato = {c.nome: c for c in dados.CONTRATO_ENTREGAS}
    dist, tempo = contrato["distancia"], contrato["tempo_entrega"]
    df = dados.carregar_entregas(estrito=False)
    df = df[~df["pedido_id"].duplicated(keep="first")]
    df = df.dropna(subset=["tempo_entrega", "distancia"])
    df = df[(df["distancia"] > dist.minimo) & (df["distancia"] <= dist.maximo)]
    df = df[(df["tempo_entrega"] >= tempo.minimo) & (df["tempo_entrega"] <= tempo.maximo)]
    corte = pd.Timestamp(_parametros("02_")["DATA_DE_CORTE"])
    return dados.validar(df[df["data_hora"] < corte].reset_index(drop=True), "referência")


@pytest.fixture(scope="module")
def semanal(referencia, p07):
    """A tabela semanal do notebook 07: PSI por entrada monitorada e desempenho do champion."""
    champion = smf.ols("tempo_entrega ~ distancia", data=referencia).fit()
    linhas = []
    for caminho in dados.semanas_de_producao():
        numero = int(caminho.stem.removeprefix("semana_"))
        semana = dados.carregar_semana(numero)
        linha = {"semana": numero}
        for coluna in p07["ENTRADAS_MONITORADAS"]:
            linha[f"psi_{coluna}"] = drift.psi(referencia[coluna], semana[coluna], faixas=p07["FAIXAS_PSI"])
        linha.update(modelagem.metricas(semana["tempo_entrega"], champion.predict(semana)))
        linha["max_distancia"] = semana["distancia"].max()
        linhas.append(linha)
    return pd.DataFrame(linhas).set_index("semana")


@pytest.fixture(scope="module")
def limites(p07, kpi):
    kpi_mae, kpi_pct = kpi
    lista = [drift.Limite(f"psi_{c}", ">", p07["LIMITE_PSI"]) for c in p07["ENTRADAS_MONITORADAS"]]
    return lista + [drift.Limite("mae", ">", kpi_mae), drift.Limite(modelagem.nome_pct_erro(), "<", kpi_pct)]


def test_ha_oito_semanas_e_a_mudanca_e_na_quinta(semanal):
    assert list(semanal.index) == list(range(1, 9))
    assert _semana_da_mudanca() == 5


def test_nenhum_alerta_antes_da_semana_do_drift_e_alerta_em_todas_depois(semanal, limites):
    mudanca = _semana_da_mudanca()
    alertas = drift.alertas(semanal, limites)
    esperado = [semana >= mudanca for semana in semanal.index]
    assert alertas["alerta"].tolist() == esperado, alertas["motivos"].to_dict()
    assert drift.inicio_persistente(alertas["alerta"]) == mudanca


def test_antes_do_drift_sobra_margem_nos_limites(semanal, p07, kpi):
    """Não basta passar raspando: as semanas boas ficam longe dos limites."""
    kpi_mae, kpi_pct = kpi
    antes = semanal[semanal.index < _semana_da_mudanca()]
    psi = antes[[f"psi_{c}" for c in p07["ENTRADAS_MONITORADAS"]]]
    assert (psi < p07["LIMITE_PSI_ATENCAO"]).all().all(), psi.round(3).to_dict()
    assert (antes["mae"] < kpi_mae - 1.0).all()
    assert (antes[modelagem.nome_pct_erro()] > kpi_pct).all()


def test_depois_do_drift_a_distancia_e_o_kpi_disparam(semanal, p07, kpi):
    """O alerta vem da entrada do modelo e do desempenho, não de uma covariável só."""
    kpi_mae, kpi_pct = kpi
    depois = semanal[semanal.index >= _semana_da_mudanca()]
    assert (depois["psi_distancia"] > p07["LIMITE_PSI"]).all()
    assert (depois["mae"] > kpi_mae).all()
    assert (depois[modelagem.nome_pct_erro()] < kpi_pct).all()
    assert (depois[["psi_itens", "psi_hora"]] < p07["LIMITE_PSI_ATENCAO"]).all().all()


def test_distancias_de_producao_cabem_na_faixa_do_guarda(referencia, semanal):
    """Pedidos acima do maior do treino existem (o notebook 07 os conta), mas nenhum é recusado.

    A faixa aceita é a do treino com a margem da aula 05 (MARGEM_FAIXA, na célula parameters).
    """
    from curso_mlops import guarda

    margem = float(_parametros("05_")["MARGEM_FAIXA"])
    entrada = guarda.entrada_do_treino("distancia", referencia["distancia"], margem=margem,
                                       piso=0, piso_exclusivo=True)
    assert (semanal["max_distancia"] > referencia["distancia"].max()).any()
    for caminho in dados.semanas_de_producao():
        semana = dados.ler_csv(caminho)
        assert all(entrada.motivo_da_recusa(float(v)) is None for v in semana["distancia"]), caminho.name
    assert np.isfinite(semanal.to_numpy()).all()
