"""Medir o tempo de uma chamada: aquecimento, N chamadas cronometradas e o resumo p50/p95.

O mesmo cronômetro do `make bench` (scripts/bench.py) e da aula 06 (latência REST × predict
no processo):

    from curso_mlops import cronometro

    tempos = cronometro.cronometrar(lambda: modelo.predict(uma_linha), vezes=50)
    cronometro.resumo(tempos)          # {"p50": 0.41, "p95": 0.52, "p99": 0.60, "media": 0.43} em ms

As primeiras chamadas (aquecimento) não contam: nelas entram caches, conexões abertas e
importações preguiçosas, que não são o que se quer medir. Nada acontece na importação.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def cronometrar(funcao: Callable[[], object], vezes: int, aquecimento: int = 3) -> list[float]:
    """Milissegundos de cada uma de `vezes` chamadas de `funcao`, depois de `aquecimento` chamadas."""
    if vezes < 1:
        raise ValueError("vezes precisa ser pelo menos 1")
    if aquecimento < 0:
        raise ValueError("aquecimento não pode ser negativo")
    for _ in range(aquecimento):
        funcao()
    tempos = []
    for _ in range(vezes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    return tempos


def percentil(valores: list[float], p: float) -> float:
    """O percentil `p` (0 a 100), com interpolação linear entre os vizinhos (como o numpy)."""
    if not valores:
        raise ValueError("não há valores")
    if not 0 <= p <= 100:
        raise ValueError("o percentil vai de 0 a 100")
    ordenados = sorted(valores)
    posicao = (len(ordenados) - 1) * p / 100
    baixo = int(posicao)
    alto = min(baixo + 1, len(ordenados) - 1)
    return ordenados[baixo] + (ordenados[alto] - ordenados[baixo]) * (posicao - baixo)


def resumo(tempos_ms: list[float], casas: int = 3) -> dict[str, float]:
    """{"p50", "p95", "p99", "media"} dos tempos, arredondados a `casas` casas decimais."""
    if not tempos_ms:
        raise ValueError("não há tempos para resumir")
    return {"p50": round(statistics.median(tempos_ms), casas),
            "p95": round(percentil(tempos_ms, 95), casas),
            "p99": round(percentil(tempos_ms, 99), casas),
            "media": round(statistics.fmean(tempos_ms), casas)}


def mediana_de_segundos(funcao: Callable[[], object], vezes: int) -> tuple[float, list[float]]:
    """(mediana, todas) dos segundos de `vezes` execuções de `funcao`, sem aquecimento.

    Para medidas longas (subir um servidor, rodar um notebook), em que cada execução já é fria.
    """
    segundos = [s / 1000 for s in cronometrar(funcao, vezes, aquecimento=0)]
    return statistics.median(segundos), segundos
