"""A simulação dos dados (curso_mlops.simulacao): determinística e com a mudança na semana certa.

A comparação byte a byte com os CSVs guardados em data/ está em tests/dados/test_make_data.py.
"""

from curso_mlops import simulacao


def test_mesma_semente_mesmos_bytes(tmp_path):
    primeira = simulacao.gerar(tmp_path / "a")
    segunda = simulacao.gerar(tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in primeira] == \
           [p.relative_to(tmp_path / "b") for p in segunda]
    for a, b in zip(primeira, segunda):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_semanas_de_producao_e_a_da_mudanca(tmp_path):
    arquivos = simulacao.gerar(tmp_path)
    semanas = sorted(p.name for p in arquivos if p.parent.name == "producao")
    assert semanas == [f"semana_{i:02d}.csv" for i in range(1, simulacao.SEMANAS_PRODUCAO + 1)]
    assert 1 < simulacao.SEMANA_DA_MUDANCA <= simulacao.SEMANAS_PRODUCAO
