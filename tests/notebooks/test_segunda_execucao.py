"""Uma segunda execução do curso, no mesmo store, mostra o que está guardado em cada notebook.

A 2ª execução é a compartilhada (`curso_executado`, tests/conftest.py): o curso inteiro, de
novo, em ordem, no store que a 1ª deixou. Cada notebook executado é comparado com o guardado
pelas regras do nbval estrito (tests/notebooks/comparacao.py, com tests/nbval_sanitize.cfg):
rodar de novo é seguro e não muda o que o aluno vê.
"""

import pytest

from curso_mlops import notebooks as nbs
from tests.notebooks import comparacao

pytestmark = pytest.mark.lento

NOTEBOOKS = nbs.listar()


def test_a_comparacao_acusa_uma_saida_diferente():
    """Sem esta prova, uma comparação que não compara nada passaria despercebida."""
    nb = nbs.ler(NOTEBOOKS[1])
    adulterado = nbs.ler(NOTEBOOKS[1])
    celula = next(c for c in adulterado.cells if c.cell_type == "code" and any(
        s.get("output_type") == "stream" and any(ch.isdigit() for ch in s.get("text", ""))
        for s in c.get("outputs", [])))
    saida = next(s for s in celula.outputs if s.get("output_type") == "stream")
    digito = next(ch for ch in saida.text if ch.isdigit())
    saida.text = saida.text.replace(digito, str((int(digito) + 1) % 10), 1)
    assert comparacao.diferencas(nb, nb) == []
    assert len(comparacao.diferencas(adulterado, nb)) == 1
    # E o que o arquivo de sanitização mascara não conta: um ID do MLflow diferente.
    saida.text = "run 0123456789abcdef0123456789abcdef"
    original = nbs.ler(NOTEBOOKS[1])
    next(s for s in next(c for c in original.cells if c.get("id") == celula.get("id")).outputs
         if s.get("output_type") == "stream").text = "run fedcba9876543210fedcba9876543210"
    assert comparacao.diferencas(adulterado, original) == []


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_segunda_execucao_da_as_mesmas_saidas(curso_executado, caminho):
    executado = nbs.ler(curso_executado.executados / caminho.name)
    assert comparacao.diferencas(executado, nbs.ler(caminho)) == []
