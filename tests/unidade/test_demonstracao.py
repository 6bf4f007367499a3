"""O champion de demonstração (curso_mlops.demonstracao): os dados de treino são os da aula 02."""

import pandas as pd

from curso_mlops import dados, demonstracao


def test_treino_e_o_da_aula_02():
    treino = demonstracao.treino()
    assert treino["data_hora"].max() < pd.Timestamp(demonstracao.DATA_DE_CORTE)
    dados.validar(treino)  # limpo pelo contrato
    assert len(treino) == 1627  # o que a aula 06 mostra: "distancia no treino: 1627 pedidos"
    assert (treino["distancia"].min(), treino["distancia"].max()) == (0.5, 26.4)
