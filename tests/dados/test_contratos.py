"""Os CSVs guardados em data/ e o contrato: o histórico tem a sujeira da aula 02, a produção não."""

import pandas as pd
import pytest

from curso_mlops import dados


def test_historico_bruto_tem_a_estrutura_do_contrato():
    df = dados.carregar_entregas(estrito=False)
    assert list(df.columns) == [c.nome for c in dados.CONTRATO_ENTREGAS]
    assert len(df) == 2012
    assert pd.api.types.is_datetime64_any_dtype(df["data_hora"])
    assert df["distancia"].dtype == "float64" and df["itens"].dtype == "int64"


def test_historico_bruto_e_recusado_pelo_contrato_estrito():
    with pytest.raises(dados.ErroDeContrato) as erro:
        dados.carregar_entregas()
    mensagem = str(erro.value)
    assert "data/entregas.csv" in mensagem and "'distancia'" in mensagem
    assert "sem valores faltando" in mensagem and "linha" in mensagem


def test_semanas_de_producao_cumprem_o_contrato():
    semanas = dados.semanas_de_producao()
    assert [p.name for p in semanas] == [f"semana_{i:02d}.csv" for i in range(1, 9)]
    for numero in range(1, 9):
        assert len(dados.carregar_semana(numero)) == 240
