"""As sequências de notebooks executadas em CÓPIAS do store da 1ª execução do curso.

Cada entrada é `nome: [notebooks]` (números, como no executor). O orquestrador de
`tests/conftest.py` (`Execucoes`) copia o store da 1ª execução e roda cada lista pelo executor,
uma aula de cada vez, na ordem dada, duas listas ao mesmo tempo, junto com a 2ª execução; depois
de cada aula confere o registro (`registro_consistente`). Um teste pega o resultado com
`execucoes.sequencias[nome].resultado()` e os passos em `.passos`.
"""

SEQUENCIAS: dict[str, list[str]] = {
    # As ordens da issue 9 (item 3). O Projects da issue é hoje a aula 10, e a 09 é a da API em
    # produção: "09 03 04 05" virou "10 03 04 05", e "05 06 07 08 09" vai até a 10. Os nomes
    # viram pastas: sem espaços.
    "05-07": ["05", "07"],
    "06-06": ["06", "06"],
    # O champion já é o retreino da 1ª execução: rodar a 08 de novo faz o portão reprovar um
    # challenger igual a ele, duas vezes (tests/notebooks/test_aulas_07_08.py confere o portão).
    "08-08": ["08", "08"],
    "07-05-06-08": ["07", "05", "06", "08"],
    "10-03-04-05": ["10", "03", "04", "05"],
    "05-a-10": ["05", "06", "07", "08", "09", "10"],
}
