"""Cronômetro e percentis, num lugar só: usados pelo `make bench` e pelo `make carga`.

    tempos = medidas.cronometrar(lambda: modelo.predict(tabela), 200)   # milissegundos
    medidas.resumo(tempos)   # {"p50": ..., "p95": ..., "p99": ..., "media": ...}

O percentil é o "linear" do numpy (o padrão de `numpy.percentile`): o p95 de 200 tempos fica
entre o 190º e o 191º menores. O mesmo método nos dois comandos deixa os números comparáveis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

PERCENTIS = (50, 95, 99)


def cronometrar(funcao: Callable[[], object], vezes: int, aquecimento: int = 3) -> list[float]:
    """Milissegundos de cada uma de `vezes` chamadas seguidas, depois de algumas de aquecimento."""
    for _ in range(aquecimento):
        funcao()
    tempos = []
    for _ in range(vezes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    return tempos


def percentil(valores: Sequence[float], p: float) -> float:
    """O percentil `p` (0 a 100) por interpolação linear entre os vizinhos ordenados."""
    if not valores:
        raise ValueError("sem valores para calcular o percentil.")
    if not 0 <= p <= 100:
        raise ValueError(f"percentil fora de 0 a 100: {p}")
    ordenados = sorted(valores)
    posicao = (len(ordenados) - 1) * p / 100
    baixo, alto = math.floor(posicao), math.ceil(posicao)
    return ordenados[baixo] + (ordenados[alto] - ordenados[baixo]) * (posicao - baixo)


def resumo(tempos_ms: Sequence[float], casas: int = 3) -> dict[str, float]:
    """p50, p95, p99 e a média de uma lista de tempos (em ms), arredondados."""
    saida = {f"p{p}": round(percentil(tempos_ms, p), casas) for p in PERCENTIS}
    saida["media"] = round(sum(tempos_ms) / len(tempos_ms), casas)
    return saida
