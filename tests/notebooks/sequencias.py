"""As aulas fora de ordem: duas cadeias, rodadas aula por aula, cada uma numa cópia do store em
que o curso já rodou.

A issue 9 (item 3) pede uma lista fixa de ordens fora da sequência rodadas "num store só", com o
registro conferido. Cada ordem pedida é um trecho contíguo de uma das `CADEIAS`: rodar uma cadeia
inteira numa cópia do store da 1ª execução roda as ordens dela, uma depois da outra, no mesmo
store. As seis ordens somam 20 aulas separadas; emendadas em duas cadeias, 17 (9 e 8), que rodam
ao mesmo tempo, junto com a 2ª execução. O orquestrador de `tests/conftest.py` (`Execucoes`)
copia o store da 1ª execução para cada cadeia, roda a cadeia num executor só, na ordem dada
(`--passo-a-passo`: cada aula no seu kernel, e o executor espera entre uma e outra), e depois de
cada aula confere o registro (`registro_consistente`). Um teste pega o
resultado com `execucoes.sequencias[nome]` e os passos em `.passos`; `trecho(ordem)` diz de qual
cadeia e de quais passos é cada ordem.
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

# Cada ordem acima, emendada na seguinte quando a última aula de uma é a primeira da outra, em
# duas cadeias de tamanho parecido (rodam ao mesmo tempo: a mais longa dita quando acabam). O
# corte é numa aula barata que as duas ordens vizinhas dividem (a 05, que aparece nas duas
# cadeias), e não na 10 (o `mlflow run` do Projects). A "08 08" fica no fim da sua cadeia: só a
# última 08 vem logo depois de outra 08.
CADEIAS: dict[str, list[str]] = {
    "fora-de-ordem-a": ["05", "06", "07", "08", "09", "10", "03", "04", "05"],
    "fora-de-ordem-b": ["06", "06", "05", "07", "05", "06", "08", "08"],
}

SEQUENCIAS: dict[str, list[str]] = CADEIAS


def trecho(nome: str, cadeias: dict[str, list[str]] = CADEIAS) -> tuple[str, range]:
    """A cadeia e os índices dos passos dela que formam a ordem `nome` (a primeira ocorrência)."""
    ordem = ORDENS[nome]
    for cadeia_nome, cadeia in cadeias.items():
        for inicio in range(len(cadeia) - len(ordem) + 1):
            if cadeia[inicio:inicio + len(ordem)] == ordem:
                return cadeia_nome, range(inicio, inicio + len(ordem))
    raise ValueError(f"a ordem {nome!r} ({' '.join(ordem)}) não é um trecho de nenhuma cadeia")
