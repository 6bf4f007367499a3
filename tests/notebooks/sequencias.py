"""As aulas fora de ordem: uma cadeia só, rodada aula por aula num store em que o curso já rodou.

A issue 9 (item 3) pede uma lista fixa de ordens fora da sequência rodadas "num store só", com o
registro conferido. Cada ordem pedida é um trecho contíguo de `CADEIA`: rodar a cadeia inteira
numa cópia do store da 1ª execução roda todas elas, uma depois da outra, no mesmo store, com 16
aulas em vez das 20 que as seis ordens somam separadas. O orquestrador de `tests/conftest.py`
(`Execucoes`) copia o store da 1ª execução, roda a cadeia pelo executor, uma aula por chamada, na
ordem dada, junto com a 2ª execução, e depois de cada aula confere o registro
(`registro_consistente`). Um teste pega o resultado com `execucoes.sequencias[CADEIA_NOME]` e os
passos em `.passos`; `trecho(nome)` diz quais passos são de cada ordem.
"""

from __future__ import annotations

# As ordens da issue 9 (item 3). O Projects da issue é hoje a aula 10, e a 09 é a da API em
# produção: "09 03 04 05" virou "10 03 04 05", e "05 06 07 08 09" vai até a 10.
ORDENS: dict[str, list[str]] = {
    "06-06": ["06", "06"],
    "05-a-10": ["05", "06", "07", "08", "09", "10"],
    "10-03-04-05": ["10", "03", "04", "05"],
    "05-07": ["05", "07"],
    "07-05-06-08": ["07", "05", "06", "08"],
    # No fim: o champion já é o retreino da 08 anterior, e a 08 de novo faz o portão reprovar
    # um challenger igual a ele (tests/notebooks/test_aulas_07_08.py confere o portão).
    "08-08": ["08", "08"],
}

# Cada ordem acima, emendada na seguinte quando a última aula de uma é a primeira da outra.
CADEIA_NOME = "fora-de-ordem"
CADEIA: list[str] = ["06", "06",
                     "05", "06", "07", "08", "09", "10", "03", "04", "05", "07", "05", "06", "08", "08"]

SEQUENCIAS: dict[str, list[str]] = {CADEIA_NOME: CADEIA}


def trecho(nome: str, cadeia: list[str] = CADEIA) -> range:
    """Os índices dos passos da cadeia que formam a ordem `nome` (a primeira ocorrência)."""
    ordem = ORDENS[nome]
    for inicio in range(len(cadeia) - len(ordem) + 1):
        if cadeia[inicio:inicio + len(ordem)] == ordem:
            return range(inicio, inicio + len(ordem))
    raise ValueError(f"a ordem {nome!r} ({' '.join(ordem)}) não é um trecho da cadeia")
