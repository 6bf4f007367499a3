"""Cronômetro e percentis (curso_mlops.cronometro), os mesmos na aula 06, no make bench e no make carga."""

import numpy as np
import pytest

from curso_mlops import cronometro as medidas


@pytest.mark.parametrize("n", [1, 2, 7, 200, 1001])
def test_percentil_e_o_linear_do_numpy(n):
    valores = list(np.random.default_rng(n).exponential(4.0, n))
    for p in (0, 50, 95, 99, 100):
        assert medidas.percentil(valores, p) == pytest.approx(np.percentile(valores, p))


def test_resumo():
    resumo = medidas.resumo([1.0, 2.0, 3.0, 4.0, 100.0])
    assert resumo == {"p50": 3.0, "p95": 80.8, "p99": 96.16, "media": 22.0}
    assert list(resumo) == ["p50", "p95", "p99", "media"]


def test_cronometrar_conta_so_as_medidas():
    chamadas = []
    tempos = medidas.cronometrar(lambda: chamadas.append(1), vezes=5, aquecimento=2)
    assert len(tempos) == 5 and len(chamadas) == 7 and all(t >= 0 for t in tempos)


def test_sem_valores_ou_sem_medidas():
    with pytest.raises(ValueError):
        medidas.percentil([], 50)
    with pytest.raises(ValueError):
        medidas.cronometrar(lambda: None, vezes=0)
