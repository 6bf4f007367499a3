"""Os notebooks do curso: lista em ordem, títulos e normalização dos metadados.

Usado pelo executor (`scripts/run_course.py`), pelo gerador do sumário do README e pelos
testes de estrutura.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .store import raiz_do_repositorio

PADRAO_NOME = re.compile(r"^(\d{2})_[a-z0-9_]+\.ipynb$")
PADRAO_TITULO = re.compile(r"^#\s+(\d{2})\s+·\s+(.+?)\s*$")

# Ambiente dos kernels que executam o curso (executor, nbval e testes): saídas estáveis,
# sem links "View run ... at" nem barras de progresso de download de artefatos.
AMBIENTE_DE_EXECUCAO = {
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}

# Chaves de metadados que mudam a cada execução ou revelam a máquina.
_METADADOS_VOLATEIS_NOTEBOOK = ("papermill", "widgets")
_METADADOS_VOLATEIS_CELULA = ("papermill", "execution", "collapsed", "scrolled")


def pasta_notebooks() -> Path:
    return raiz_do_repositorio() / "notebooks"


def listar(pasta: Path | None = None) -> list[Path]:
    """Os notebooks do curso (NN_nome.ipynb), em ordem."""
    pasta = pasta_notebooks() if pasta is None else Path(pasta)
    return sorted(p for p in pasta.glob("*.ipynb") if PADRAO_NOME.match(p.name))


def ler(caminho: Path) -> dict:
    return json.loads(Path(caminho).read_text(encoding="utf-8"))


def fonte(celula: dict) -> str:
    src = celula.get("source", "")
    return "".join(src) if isinstance(src, list) else src


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
    Não toca nas saídas: o nbval as compara.
    """
    nb = copy.deepcopy(nb)
    meta = nb.setdefault("metadata", {})
    for chave in _METADADOS_VOLATEIS_NOTEBOOK:
        meta.pop(chave, None)
    for celula in nb.get("cells", []):
        cmeta = celula.setdefault("metadata", {})
        for chave in _METADADOS_VOLATEIS_CELULA:
            cmeta.pop(chave, None)
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    return nb


def escrever(nb: dict, caminho: Path) -> None:
    """Escreve no formato do Jupyter (indentação 1, UTF-8, quebra de linha final)."""
    texto = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    Path(caminho).write_text(texto, encoding="utf-8")
