"""O treino empacotado do MLproject (scripts/treinar.py): parâmetros ruins, mensagens claras."""

import pytest


@pytest.fixture(scope="module")
def treinar():
    from scripts import treinar

    return treinar


@pytest.fixture(scope="module")
def treino(treinar):
    from curso_mlops import dados

    base, _, _ = treinar.preparar(dados.caminho_dados("entregas.csv"), "2025-08-01")
    return base


@pytest.mark.parametrize("formula, trecho", [
    ("tempo_entrega ~ distancia_km", "termo desconhecido.*'distancia_km'"),
    ("tempo_entrega ~ distancia + chuvas", "'chuvas' não é coluna"),
    ("distancia ~ chuva", "precisa ter a forma"),
    ("tempo_entrega distancia", "precisa ter a forma"),
    ("tempo_entrega ~ distancia +", "não pôde ser ajustada"),
])
def test_formula_ruim_tem_mensagem_clara(treinar, treino, formula, trecho):
    with pytest.raises(treinar.ErroDeParametro, match=trecho):
        treinar.ajustar(formula, treino)


@pytest.mark.parametrize("formula, entradas", [
    ("tempo_entrega ~ distancia", ["distancia"]),
    ("tempo_entrega ~ np.log(distancia) + I(distancia ** 2) + C(regiao)", ["distancia", "regiao"]),
])
def test_formula_boa_ajusta(treinar, treino, formula, entradas):
    resultado, usadas = treinar.ajustar(formula, treino)
    assert usadas == entradas and resultado.nobs == len(treino)


@pytest.mark.parametrize("corte, trecho", [("2030-01-01", "teste vazio"), ("2020-01-01", "treino vazio"),
                                           ("ontem", "não é uma data")])
def test_data_de_corte_ruim(treinar, corte, trecho):
    from curso_mlops import dados

    with pytest.raises(treinar.ErroDeParametro, match=trecho):
        treinar.preparar(dados.caminho_dados("entregas.csv"), corte)


def test_linha_de_comando_sai_com_2_e_uma_linha(treinar, tmp_path, capsys):
    assert treinar.main(["--dados", str(tmp_path / "sumiu.csv")]) == 2
    assert capsys.readouterr().err.strip() == ("erro: arquivo de dados não encontrado: sumiu.csv "
                                               "(os dados do curso ficam em data/).")
    assert treinar.main(["--formula", "tempo_entrega ~ km"]) == 2
    assert "termo desconhecido" in capsys.readouterr().err
