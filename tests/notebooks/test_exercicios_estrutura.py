"""Os exercícios nos notebooks: a célula conferir embaixo de cada um e as respostas recolhidas.

Vale para a cópia do instrutor e para a do aluno (`make aluno`), que não tem as respostas: os
testes das respostas são pulados quando o notebook não tem nenhuma célula com a tag `resposta`.
"""

from __future__ import annotations

import re

import pytest

from curso_mlops import exercicios
from curso_mlops import notebooks as nbs

NOTEBOOKS = nbs.listar()
ids = [p.stem for p in NOTEBOOKS]
TAG = "resposta"
CONFERIR = re.compile(r'^conferir\("(\d{2}\.\d)"\)$')


def _tags(celula):
    return celula.get("metadata", {}).get("tags", [])


def _regiao(nb):
    """Os índices das células de '## Exercícios' até antes de '## Resumo'."""
    fontes = [nbs.fonte(c) for c in nb["cells"]]
    inicio = next(i for i, f in enumerate(fontes) if f.startswith("## Exercícios"))
    fim = next(i for i, f in enumerate(fontes) if f.startswith("## Resumo"))
    return inicio, fim


def _tem_respostas(nb):
    return any(TAG in _tags(c) for c in nb["cells"])


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_uma_conferir_embaixo_de_cada_exercicio_que_se_confere(caminho):
    nb = nbs.ler(caminho)
    aula = caminho.name[:2]
    inicio, fim = _regiao(nb)
    celulas = nb["cells"][inicio:fim]
    vistos, ultimo_exercicio = [], None
    for celula in celulas:
        fonte = nbs.fonte(celula).strip()
        if TAG in _tags(celula):
            continue
        if celula["cell_type"] == "markdown":
            numeros = re.findall(r"^(\d)\. ", fonte, flags=re.M)
            if numeros:
                ultimo_exercicio = f"{aula}.{numeros[-1]}"
        elif CONFERIR.match(fonte):
            exercicio = CONFERIR.match(fonte).group(1)
            assert exercicio == ultimo_exercicio, f"conferir({exercicio!r}) não está embaixo do exercício"
            vistos.append(exercicio)
    esperados = [i for i, e in exercicios.EXERCICIOS.items() if i.startswith(aula + ".") and e.verificavel]
    assert vistos == esperados
    if aula != "09":
        assert [i for i in exercicios.EXERCICIOS if i.startswith(aula + ".")], "a aula não tem exercícios"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_o_import_de_conferir_vem_antes_e_e_codigo_de_apoio(caminho):
    nb = nbs.ler(caminho)
    inicio, fim = _regiao(nb)
    codigo = [c for c in nb["cells"][inicio:fim] if c["cell_type"] == "code" and TAG not in _tags(c)]
    if not codigo:
        return
    primeira = nbs.fonte(codigo[0])
    assert primeira.startswith("# código de apoio") and "from curso_mlops.exercicios import conferir" in primeira


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_respostas_no_fim_dos_exercicios_e_recolhidas(caminho):
    nb = nbs.ler(caminho)
    if not _tem_respostas(nb):
        pytest.skip("cópia do aluno: o notebook não tem as respostas")
    aula = caminho.name[:2]
    inicio, fim = _regiao(nb)
    marcadas = [i for i, c in enumerate(nb["cells"]) if TAG in _tags(c)]
    assert marcadas == list(range(marcadas[0], fim)), "as respostas são um bloco só, antes do Resumo"
    assert marcadas[0] > inicio
    assert nbs.fonte(nb["cells"][marcadas[0]]).startswith("## Respostas")
    titulos = []
    for celula in nb["cells"][marcadas[0] + 1:fim]:
        fonte = nbs.fonte(celula)
        escondido = celula.get("metadata", {}).get("jupyter", {})
        titulo = re.match(r"^### Resposta (\d{2}\.\d) · \S", fonte)
        if titulo:
            assert celula["cell_type"] == "markdown" and not escondido, "o título fica visível"
            titulos.append(titulo.group(1))
        elif titulos:
            assert escondido.get("source_hidden") is True, f"célula não recolhida: {fonte[:60]!r}"
            if celula["cell_type"] == "code":
                assert escondido.get("outputs_hidden") is True, f"saída não recolhida: {fonte[:60]!r}"
    assert titulos == [i for i in exercicios.EXERCICIOS if i.startswith(aula + ".")]


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_tirar_as_respostas_mantem_as_contagens_de_execucao(caminho):
    """As células de resposta são as últimas de código: sem elas, as contagens seguem 1..N."""
    nb = nbs.ler(caminho)
    codigo = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tags = [TAG in _tags(c) for c in codigo]
    assert tags == sorted(tags)


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_respostas_guardadas_sem_erro_nem_stderr(caminho):
    """O que a resposta mostra é o que ela produz: sem erro, sem aviso ou log no stderr.

    (Que a saída guardada é a de qualquer execução, a 1ª ou a 2ª no mesmo store, confere o
    teste da segunda execução, tests/notebooks/test_segunda_execucao.py.)
    """
    nb = nbs.ler(caminho)
    if not _tem_respostas(nb):
        pytest.skip("cópia do aluno: o notebook não tem as respostas")
    for celula in nb["cells"]:
        if celula["cell_type"] != "code" or TAG not in _tags(celula):
            continue
        if not nbs.fonte(celula).startswith("# código de apoio"):
            assert celula.get("outputs"), f"resposta sem saída guardada: {nbs.fonte(celula)[:60]!r}"
        for saida in celula["outputs"]:
            assert saida["output_type"] != "error", nbs.fonte(celula)[:80]
            assert saida.get("name") != "stderr", saida.get("text")
