"""A mesma palavra para a mesma coisa em todo o curso (issue de exatidão das aulas).

- "modelo logado" é o que `log_model` grava numa run; "modelo registrado" é a entrada do
  Model Registry (aula 05). As frases que misturavam os dois são recusadas.
- Uma grafia por termo: "retreinar"/"retreino", "depreciar"/"depreciado".
- Números decimais com unidade, no texto, usam vírgula (34,3 min); nas saídas, ponto (o que o
  Python imprime). O 00 explica a convenção uma vez.
"""

from __future__ import annotations

import re

import pytest

from curso_mlops import notebooks as nbs

PROIBIDOS = {
    r"[Rr]e-trein": "escreva 'retreinar', 'retreino', 'retreinamento'",
    r"\b[Dd]eprec(ou|ad[oa]s?|ar|ando)\b": "escreva 'depreciou', 'depreciado', 'depreciar'",
    r"\b[Mm]odel(o|os) registrad[oa]s? (pela|por uma|numa|na) run\b":
        "o que uma run grava com log_model é um modelo logado",
    r"\bregistrad[oa] com `log_model`": "log_model loga um modelo; registrar é create_model_version",
}
DECIMAL_COM_UNIDADE = re.compile(r"(?<![\w.,])\d+\.\d+\s?(min|minutos|km|%)(?!\w)")


def _texto_de_prosa(fonte: str) -> str:
    """O markdown sem blocos de código, código em linha, links e fórmulas."""
    texto = re.sub(r"```.*?```", " ", fonte, flags=re.S)
    texto = re.sub(r"`[^`]*`", " ", texto)
    texto = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", texto, flags=re.S)
    return re.sub(r"https?://\S+", " ", texto)


def _celulas():
    for caminho in nbs.listar():
        for indice, celula in enumerate(nbs.ler(caminho)["cells"]):
            yield caminho.name, indice, celula


def test_ha_notebooks_para_conferir():
    assert len(nbs.listar()) >= 10


@pytest.mark.parametrize("padrao, conselho", list(PROIBIDOS.items()))
def test_grafias_e_termos_proibidos(padrao, conselho):
    achados = [f"{nome}, célula {i}: {m.group(0)!r}" for nome, i, celula in _celulas()
               for m in re.finditer(padrao, nbs.fonte(celula))]
    assert not achados, f"{conselho}:\n" + "\n".join(achados)


def test_decimais_com_unidade_usam_virgula_no_texto():
    achados = [f"{nome}, célula {i}: {m.group(0)!r}" for nome, i, celula in _celulas()
               if celula["cell_type"] == "markdown"
               for m in DECIMAL_COM_UNIDADE.finditer(_texto_de_prosa(nbs.fonte(celula)))]
    assert not achados, "no texto, use vírgula decimal (34,3 min):\n" + "\n".join(achados)


def test_o_verificador_pega_o_que_deve_pegar():
    assert re.search(list(PROIBIDOS)[0], "o re-treino da aula 08")
    assert re.search(list(PROIBIDOS)[2], "os modelos registrados pela run")
    assert DECIMAL_COM_UNIDADE.search(_texto_de_prosa("perto de 34.3 min"))
    assert not DECIMAL_COM_UNIDADE.search(_texto_de_prosa("perto de 34,3 min, `34.3 min`, MLflow 3.17"))
