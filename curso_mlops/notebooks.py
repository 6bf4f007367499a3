"""Os notebooks do curso: lista em ordem, leitura e escrita, parâmetros, títulos e metadados.

Usado pelo executor (`curso_mlops.executor`), pelo gerador do sumário do README e pelos
testes. A leitura e a escrita são as do `nbformat`, no formato em que os notebooks estão
guardados (indentação 1, UTF-8, chaves em ordem, quebra de linha no fim): reescrever um
notebook sem mudá-lo dá os mesmos bytes.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

from .store import raiz_do_repositorio

PADRAO_NOME = re.compile(r"^(\d{2})_[a-z0-9_]+\.ipynb$")
PADRAO_TITULO = re.compile(r"^#\s+(\d{2})\s+·\s+(.+?)\s*$")

# Variáveis que, no ambiente de quem executa, mudariam as saídas (links "View run ... at",
# barras de progresso de download de artefatos, um __pycache__ dentro do modelo registrado).
# Quem as fixa é cada aula, no próprio kernel (curso_mlops.aula.SAIDAS_ESTAVEIS). O executor e
# os testes as TIRAM do ambiente dos kernels: os notebooks rodam como no JupyterLab ou num
# editor de um aluno que nunca ouviu falar delas, e um valor desta máquina não esconde nada.
VARIAVEIS_QUE_MUDAM_SAIDAS = ("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT",
                              "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR",
                              "PYTHONDONTWRITEBYTECODE")

TAG_PARAMETROS = "parameters"

# Chaves de metadados que mudam a cada execução ou revelam a máquina.
_METADADOS_VOLATEIS_NOTEBOOK = ("papermill", "widgets")
_METADADOS_VOLATEIS_CELULA = ("papermill", "execution", "collapsed", "scrolled")


def pasta_notebooks() -> Path:
    return raiz_do_repositorio() / "notebooks"


def listar(pasta: Path | None = None) -> list[Path]:
    """Os notebooks do curso (NN_nome.ipynb), em ordem."""
    pasta = pasta_notebooks() if pasta is None else Path(pasta)
    return sorted(p for p in pasta.glob("*.ipynb") if PADRAO_NOME.match(p.name))


def ler(caminho: str | Path):
    """O notebook como um `nbformat.NotebookNode` (um dict), sem conversão de versão."""
    import nbformat

    return nbformat.read(str(caminho), as_version=nbformat.NO_CONVERT)


def escrever(nb: dict, caminho: str | Path) -> None:
    """Escreve no formato do Jupyter (indentação 1, UTF-8, chaves em ordem, quebra de linha final)."""
    import nbformat

    texto = nbformat.writes(nbformat.from_dict(nb), version=nbformat.NO_CONVERT)
    if not texto.endswith("\n"):
        texto += "\n"
    Path(caminho).write_text(texto, encoding="utf-8")


def fonte(celula: dict) -> str:
    src = celula.get("source", "")
    return "".join(src) if isinstance(src, list) else src


class NaoLiteral:
    """O valor de um parâmetro que não é um literal do Python (ex.: `ALUNO or "x"`)."""

    def __repr__(self) -> str:
        return "NAO_LITERAL"


NAO_LITERAL = NaoLiteral()


def celula_de_parametros(nb: dict) -> dict | None:
    """A célula com a tag `parameters`, ou None."""
    for celula in nb.get("cells", []):
        if TAG_PARAMETROS in celula.get("metadata", {}).get("tags", []):
            return celula
    return None


def parametros(nb_ou_caminho) -> dict:
    """{nome: valor} de cada nome que a célula `parameters` atribui, na ordem.

    O leitor único dos parâmetros (executor, testes). Lidos com o `ast` do Python, sem executar
    nada: o `inspect_notebook` do papermill se perde numa linha cujo comentário tem um `=`
    (`X = 1  # vazio = padrão`). O valor é o literal (`ast.literal_eval`), ou `NAO_LITERAL`
    quando é uma expressão. Atribuições dentro de blocos (`for`, `if`) não são parâmetros.
    Sem célula `parameters`, {}.
    """
    nb = ler(nb_ou_caminho) if isinstance(nb_ou_caminho, (str, Path)) else nb_ou_caminho
    celula = celula_de_parametros(nb)
    if celula is None:
        return {}
    arvore = ast.parse(fonte(celula))
    valores: dict = {}
    for no in arvore.body:
        if isinstance(no, ast.Assign):
            alvos, valor = no.targets, no.value
        elif isinstance(no, ast.AnnAssign) and no.value is not None:
            alvos, valor = [no.target], no.value
        else:
            continue
        for alvo in alvos:
            if isinstance(alvo, ast.Name):
                try:
                    valores[alvo.id] = ast.literal_eval(valor)
                except ValueError:
                    valores[alvo.id] = NAO_LITERAL
            else:  # A, B = 1, 2
                for parte in ast.walk(alvo):
                    if isinstance(parte, ast.Name):
                        valores[parte.id] = NAO_LITERAL
    return valores


def titulo(nb: dict) -> tuple[str, str, str]:
    """(número, título, etapa) tirados da primeira célula markdown.

    A primeira linha é `# NN · Título com verbo`; a linha seguinte que começa com
    `**Etapa` diz a etapa do CRISP-DM ou do ciclo de vida.
    """
    for celula in nb.get("cells", []):
        if celula.get("cell_type") != "markdown":
            continue
        linhas = [l.strip() for l in fonte(celula).splitlines() if l.strip()]
        casamento = PADRAO_TITULO.match(linhas[0]) if linhas else None
        if not casamento:
            raise ValueError("a primeira célula markdown não começa com '# NN · Título'")
        etapa = next((l for l in linhas[1:] if l.startswith("**Etapa")), "")
        etapa = re.sub(r"^\*\*Etapa[^*]*\*\*\s*", "", etapa).strip()
        return casamento.group(1), casamento.group(2), etapa
    raise ValueError("o notebook não tem célula markdown")


def normalizar(nb: dict) -> dict:
    """Cópia do notebook sem metadados voláteis (horários, durações, caminhos do papermill).

    Mantém kernelspec, tags e ids das células, e o `language_info` inteiro, como o kernel que
    executou o notebook o informou (nome, versão do Python, `codemirror_mode`,
    `nbconvert_exporter`...): o JupyterLab grava o `language_info` do kernel nos metadados
    quando o kernel inicia, e marca o notebook como modificado se ele for diferente do guardado.

    Das saídas, só junta os trechos seguidos de um mesmo stream (`juntar_streams`); o texto e a
    ordem ficam como o kernel os escreveu, e o nbval as compara.
    """
    nb = copy.deepcopy(nb)
    meta = nb.setdefault("metadata", {})
    for chave in _METADADOS_VOLATEIS_NOTEBOOK:
        meta.pop(chave, None)
    for celula in nb.get("cells", []):
        cmeta = celula.setdefault("metadata", {})
        for chave in _METADADOS_VOLATEIS_CELULA:
            cmeta.pop(chave, None)
        if "outputs" in celula:
            celula["outputs"] = juntar_streams(celula["outputs"])
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    return nb


def juntar_streams(saidas: list) -> list:
    """Junta cada sequência de saídas `stream` seguidas com o mesmo nome (stdout, stderr) numa só.

    Quantos pedaços um `print` vira depende de quando o kernel esvazia o buffer: duas execuções
    iguais guardariam o mesmo texto em pedaços diferentes, e o notebook regenerado mudaria sem
    nada ter mudado. O JupyterLab mostra (e grava, ao salvar) os pedaços seguidos como um só.
    """
    juntas: list = []
    for saida in saidas:
        anterior = juntas[-1] if juntas else None
        if (saida.get("output_type") == "stream" and anterior is not None
                and anterior.get("output_type") == "stream" and anterior.get("name") == saida.get("name")):
            anterior["text"] = _texto(anterior["text"]) + _texto(saida["text"])
        else:
            juntas.append(saida)
    return juntas


def _texto(texto) -> str:
    return "".join(texto) if isinstance(texto, list) else texto



