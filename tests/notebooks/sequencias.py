"""As sequências de notebooks executadas em CÓPIAS do store da 1ª execução do curso.

Cada entrada é `nome: [notebooks]` (números, como no executor). O orquestrador de
`tests/conftest.py` (`Execucoes`) copia o store da 1ª execução e roda cada lista pelo executor,
duas de cada vez, junto com a 2ª execução; um teste pega o resultado com
`execucoes.sequencias[nome].resultado()`.

Aqui entram as ordens fora da sequência (issue 9, item 3: `05 07`, `06 06`, `08 08`,
`07 05 06 08`, `09 03 04 05`, `05 06 07 08 09`), quando os notebooks as aceitarem.
"""

SEQUENCIAS: dict[str, list[str]] = {
    # O champion já é o re-treino da 1ª execução: rodar a 08 de novo, sozinha, faz o portão de
    # promoção reprovar um challenger igual a ele (tests/notebooks/test_aulas_07_08.py).
    "portao-08": ["08"],
}
