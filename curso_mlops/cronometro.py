"""Cronometrar chamadas curtas: aquecimento, N medições em milissegundos e o resumo.

Usado pela aula 06 (latência REST × `predict` no processo) e pelo `make bench`, para que os
dois meçam do mesmo jeito.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def cronometrar(funcao: Callable[[], object], vezes: int, aquecimento: int = 3) -> list[float]:
    """Milissegundos de cada uma de `vezes` chamadas, depois de `aquecimento` chamadas não contadas.

    O aquecimento paga custos que não se repetem (a primeira conexão TCP, caches).
    """
    if vezes < 1:
        raise ValueError("é preciso medir pelo menos uma chamada.")
    for _ in range(aquecimento):
        funcao()
    tempos = []
    for _ in range(vezes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    return tempos


def percentil(tempos: list[float], p: float) -> float:
    """O percentil `p` (0 a 100) dos tempos, com interpolação linear (o do numpy)."""
    if not tempos:
        raise ValueError("não há tempos para resumir.")
    ordenados = sorted(tempos)
    posicao = (len(ordenados) - 1) * p / 100
    abaixo = int(posicao)
    acima = min(abaixo + 1, len(ordenados) - 1)
    return ordenados[abaixo] + (ordenados[acima] - ordenados[abaixo]) * (posicao - abaixo)


def resumo(tempos: list[float]) -> dict[str, float]:
    """p50 (mediana), p95, p99 e média, em ms, arredondados a 3 casas."""
    return {"p50": round(statistics.median(tempos), 3), "p95": round(percentil(tempos, 95), 3),
            "p99": round(percentil(tempos, 99), 3), "media": round(statistics.fmean(tempos), 3)}
