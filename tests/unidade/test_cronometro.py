"""O cronômetro do `make bench` e da aula 06 (curso_mlops.cronometro)."""

import pytest

from curso_mlops import cronometro


def test_aquecimento_nao_conta_e_cada_chamada_e_medida():
    chamadas = []
    tempos = cronometro.cronometrar(lambda: chamadas.append(1), vezes=5, aquecimento=2)
    assert len(chamadas) == 7 and len(tempos) == 5
    assert all(t >= 0 for t in tempos)


def test_tempos_em_milissegundos(monkeypatch):
    relogio = iter([0.0, 0.010, 1.0, 1.030])  # 10 ms e 30 ms
    monkeypatch.setattr(cronometro.time, "perf_counter", lambda: next(relogio))
    assert cronometro.cronometrar(lambda: None, vezes=2, aquecimento=0) == pytest.approx([10.0, 30.0])


def test_resumo_p50_p95_e_media():
    tempos = [float(i) for i in range(1, 101)]  # 1..100 ms
    assert cronometro.resumo(tempos) == {"p50": 50.5, "p95": 95.05, "media": 50.5}
    assert cronometro.resumo([2.0]) == {"p50": 2.0, "p95": 2.0, "media": 2.0}


def test_percentil_interpola_como_o_numpy():
    import numpy as np

    valores = [3.0, 1.0, 7.0, 4.0, 10.0]
    for p in (0, 25, 50, 90, 95, 100):
        assert cronometro.percentil(valores, p) == pytest.approx(np.percentile(valores, p))


def test_entradas_ruins():
    with pytest.raises(ValueError, match="vezes"):
        cronometro.cronometrar(lambda: None, vezes=0)
    with pytest.raises(ValueError, match="não há tempos"):
        cronometro.resumo([])
    with pytest.raises(ValueError, match="0 a 100"):
        cronometro.percentil([1.0], 101)


def test_mediana_de_segundos(monkeypatch):
    relogio = iter([0.0, 2.0, 10.0, 11.0, 20.0, 23.0])  # 2 s, 1 s, 3 s
    monkeypatch.setattr(cronometro.time, "perf_counter", lambda: next(relogio))
    mediana, todas = cronometro.mediana_de_segundos(lambda: None, 3)
    assert mediana == pytest.approx(2.0) and todas == pytest.approx([2.0, 1.0, 3.0])
