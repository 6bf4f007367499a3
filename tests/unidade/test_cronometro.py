"""O cronômetro e os percentis (curso_mlops.cronometro): os mesmos na aula 06, no make bench e no make carga."""

import numpy as np
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


def test_resumo_p50_p95_p99_e_media():
    tempos = [float(i) for i in range(1, 101)]  # 1..100 ms
    assert cronometro.resumo(tempos) == {"p50": 50.5, "p95": 95.05, "p99": 99.01, "media": 50.5}
    assert cronometro.resumo([1.0, 2.0, 3.0, 4.0, 100.0]) == {"p50": 3.0, "p95": 80.8, "p99": 96.16,
                                                              "media": 22.0}
    assert cronometro.resumo([2.0]) == {"p50": 2.0, "p95": 2.0, "p99": 2.0, "media": 2.0}


@pytest.mark.parametrize("n", [1, 2, 7, 200, 1001])
def test_percentil_e_o_linear_do_numpy(n):
    valores = list(np.random.default_rng(n).exponential(4.0, n))
    for p in (0, 25, 50, 90, 95, 99, 100):
        assert cronometro.percentil(valores, p) == pytest.approx(np.percentile(valores, p))


def test_entradas_ruins():
    with pytest.raises(ValueError, match="vezes"):
        cronometro.cronometrar(lambda: None, vezes=0)
    with pytest.raises(ValueError, match="não há tempos"):
        cronometro.resumo([])
    with pytest.raises(ValueError, match="0 a 100"):
        cronometro.percentil([1.0], 101)
    with pytest.raises(ValueError, match="não há valores"):
        cronometro.percentil([], 50)
