"""Estrutura dos notebooks guardados e do sumário do README (sem executar nada)."""

import json
import re
import runpy
import sys

import nbformat
import pytest

from curso_mlops import notebooks as nbs

NOTEBOOKS = nbs.listar()
SECOES_OBRIGATORIAS = ["## O que você vai fazer", "## O que você vai aprender",
                       "## Do que você precisa", "## Exercícios", "## Resumo", "## Próximo passo"]
CAMINHO_DA_MAQUINA = re.compile(r"(/root/|/home/[^/\s]+/|/tmp/|/work/|/Users/|[A-Z]:\\\\)")
ids = [p.stem for p in NOTEBOOKS]


def test_ha_notebooks_do_curso():
    assert len(NOTEBOOKS) >= 3
    numeros = [p.name[:2] for p in NOTEBOOKS]
    assert numeros == [f"{i:02d}" for i in range(len(NOTEBOOKS))], "numeração com buracos"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_formato_e_kernel(caminho):
    nb = nbformat.read(caminho, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_esqueleto(caminho):
    nb = nbs.ler(caminho)
    numero, titulo, etapa = nbs.titulo(nb)
    assert numero == caminho.name[:2]
    assert etapa, "falta a linha **Etapa ...** na primeira célula"
    markdown = [nbs.fonte(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    cabecalhos = [l.strip() for texto in markdown for l in texto.splitlines() if l.startswith("## ")]
    posicoes = []
    for secao in SECOES_OBRIGATORIAS:
        assert secao in cabecalhos, f"falta a seção {secao!r}"
        posicoes.append(cabecalhos.index(secao))
    assert posicoes == sorted(posicoes), "seções fora de ordem"
    proximo = "\n".join(markdown)[("\n".join(markdown)).index("## Próximo passo"):]
    seguinte = [p for p in NOTEBOOKS if p.name[:2] == f"{int(numero) + 1:02d}"]
    if seguinte:
        assert f"({seguinte[0].name})" in proximo, "o Próximo passo não aponta para o próximo notebook"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_uma_celula_parameters(caminho):
    nb = nbs.ler(caminho)
    marcadas = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(marcadas) == 1 and marcadas[0]["cell_type"] == "code"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_executado_de_cima_para_baixo_sem_erros(caminho):
    nb = nbs.ler(caminho)
    codigo = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in codigo] == list(range(1, len(codigo) + 1))
    for i, celula in enumerate(codigo, start=1):
        for saida in celula.get("outputs", []):
            if saida["output_type"] == "error":
                assert falha_de_proposito(celula), f"célula [{i}] guardou um erro"
            texto = json.dumps(saida.get("text", "")) + json.dumps(saida.get("data", {}).get("text/plain", ""))
            assert not CAMINHO_DA_MAQUINA.search(texto), f"célula [{i}] mostra um caminho da máquina"
            assert "IProgress" not in texto, f"célula [{i}] guardou o aviso do tqdm"


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_metadados_normalizados(caminho):
    nb = nbs.ler(caminho)
    assert nbs.normalizar(nb) == nb, "rode `make notebooks`: há metadados voláteis (papermill, horários)"
    assert not CAMINHO_DA_MAQUINA.search(json.dumps(nb["metadata"]))
    assert caminho.read_text(encoding="utf-8").endswith("}\n")


MARCA_DE_MEDICAO = "# medição de tempo"
MARCA_DE_FALHA = "# esta célula falha de propósito"


def _primeira_linha(celula: dict) -> str:
    fonte = nbs.fonte(celula)
    return fonte.lstrip().splitlines()[0] if fonte.strip() else ""


def falha_de_proposito(celula: dict) -> bool:
    """Uma célula que ensina um erro: tag `raises-exception` e a 1ª linha que o anuncia."""
    return (celula.get("cell_type") == "code"
            and "raises-exception" in celula.get("metadata", {}).get("tags", [])
            and _primeira_linha(celula).startswith(MARCA_DE_FALHA))


def problemas_de_marcadores(nb: dict) -> list[str]:
    """Marcadores que escondem saídas do nbval, fora do único caso permitido.

    Nada de `nbval-skip` ou `# NBVAL_SKIP`. Uma célula que mede latência não tem saída
    repetível: ela pode ter `nbval-ignore-output` se a sua primeira linha começar com
    `# medição de tempo`, e cada notebook tem no máximo uma. Uma célula que falha de propósito
    (a aula mostra o erro) tem `raises-exception` e a 1ª linha `# esta célula falha de
    propósito`; também no máximo uma por notebook. O nbval continua comparando as duas.
    """
    problemas, medicoes, falhas = [], 0, 0
    for i, celula in enumerate(nb["cells"]):
        tags = set(celula.get("metadata", {}).get("tags", []))
        fonte = nbs.fonte(celula)
        problemas += [f"célula {i}: tag {tag}" for tag in sorted(tags & {"nbval-skip"})]
        if "raises-exception" in tags:
            falhas += 1
            if not falha_de_proposito(celula):
                problemas.append(f"célula {i}: raises-exception sem {MARCA_DE_FALHA!r} na 1ª linha")
        if "# NBVAL_SKIP" in fonte:
            problemas.append(f"célula {i}: # NBVAL_SKIP")
        if "nbval-ignore-output" in tags:
            primeira = fonte.lstrip().splitlines()[0] if fonte.strip() else ""
            if celula.get("cell_type") != "code" or not primeira.startswith(MARCA_DE_MEDICAO):
                problemas.append(f"célula {i}: nbval-ignore-output sem {MARCA_DE_MEDICAO!r} na 1ª linha")
            medicoes += 1
    if medicoes > 1:
        problemas.append(f"{medicoes} células de medição de tempo (no máximo uma)")
    if falhas > 1:
        problemas.append(f"{falhas} células que falham de propósito (no máximo uma)")
    return problemas


@pytest.mark.parametrize("caminho", NOTEBOOKS, ids=ids)
def test_sem_marcadores_que_escondem_saidas(caminho):
    assert problemas_de_marcadores(nbs.ler(caminho)) == []


def test_regra_dos_marcadores():
    def celula(fonte, *tags, tipo="code"):
        return {"cell_type": tipo, "source": fonte, "metadata": {"tags": list(tags)}}

    medicao = celula("# medição de tempo – latência\nx = 1", "nbval-ignore-output")
    assert problemas_de_marcadores({"cells": [medicao, celula("print(1)")]}) == []
    assert problemas_de_marcadores({"cells": [celula("x = 1", "nbval-ignore-output")]})
    assert problemas_de_marcadores({"cells": [medicao, medicao]})
    assert problemas_de_marcadores({"cells": [celula("# medição de tempo", "nbval-ignore-output",
                                                     tipo="markdown")]})
    assert problemas_de_marcadores({"cells": [celula("x = 1", "nbval-skip")]})
    assert problemas_de_marcadores({"cells": [celula("# NBVAL_SKIP\nx = 1")]})
    falha = celula("# esta célula falha de propósito: um parâmetro ruim\nraise ValueError", "raises-exception")
    assert problemas_de_marcadores({"cells": [falha]}) == [] and falha_de_proposito(falha)
    assert problemas_de_marcadores({"cells": [celula("raise ValueError", "raises-exception")]})
    assert problemas_de_marcadores({"cells": [falha, falha]})


def _gerar_sumario(raiz, monkeypatch, capsys, *args) -> tuple[int, str]:
    """`python scripts/gerar_sumario.py ARGS`, o script como programa (`__main__`, `sys.exit`),
    mas neste processo: um Python novo gastaria ~2 s só para importar o nbformat. Devolve o
    código de saída e o stderr."""
    monkeypatch.setattr(sys, "argv", ["scripts/gerar_sumario.py", *map(str, args)])
    with pytest.raises(SystemExit) as saida:
        runpy.run_path(str(raiz / "scripts" / "gerar_sumario.py"), run_name="__main__")
    return saida.value.code, capsys.readouterr().err


def test_sumario_do_readme_em_dia(raiz, monkeypatch, capsys):
    codigo, erro = _gerar_sumario(raiz, monkeypatch, capsys, "--verificar")
    assert codigo == 0, erro


def test_sumario_desatualizado_e_detectado(tmp_path, raiz, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    texto = (raiz / "README.md").read_text(encoding="utf-8")
    desatualizado = texto.replace("](notebooks/00_", "](notebooks/99_")
    readme.write_text(desatualizado, encoding="utf-8")
    codigo, erro = _gerar_sumario(raiz, monkeypatch, capsys, "--verificar", "--readme", readme)
    assert codigo == 1 and "desatualizado" in erro
    assert readme.read_text(encoding="utf-8") == desatualizado, "o --verificar não reescreve o README"


def test_readme_comeca_pelos_dois_comandos(raiz):
    texto = (raiz / "README.md").read_text(encoding="utf-8")
    primeiro_bloco = texto.split("```")[1]
    assert "make run" in primeiro_bloco and "make test" in primeiro_bloco
