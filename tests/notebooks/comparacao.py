"""Comparar as saídas de um notebook executado com as guardadas, com as regras do nbval.

Uma implementação só, usada pelo teste "uma segunda execução dá as mesmas saídas": as regras
de tests/nbval_sanitize.cfg (as mesmas que o nbval estrito usa), os streams de mesmo nome
juntados como o nbval junta (`coalesce_streams`), e as mesmas chaves ignoradas (metadados,
imagens, contagem de execução, o id dos widgets). Células `nbval-ignore-output` e `nbval-skip`
não são comparadas, como no nbval.
"""

from __future__ import annotations

import configparser
import copy
import re
from pathlib import Path

from nbval.plugin import coalesce_streams

ARQUIVO_SANITIZE = Path(__file__).resolve().parent.parent / "nbval_sanitize.cfg"
# As chaves que o nbval não compara (nbval.plugin.IPyNbFile.skip_compare, sem --nbdime).
NAO_COMPARADAS = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                  "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}
TAGS_SEM_COMPARACAO = {"nbval-ignore-output", "nbval-skip"}


def regras(arquivo: Path = ARQUIVO_SANITIZE) -> list[tuple[re.Pattern, str]]:
    """(regex, troca) de cada seção do arquivo de sanitização, na ordem do arquivo."""
    leitor = configparser.ConfigParser(interpolation=None)
    leitor.read(arquivo, encoding="utf-8")
    return [(re.compile(leitor[s]["regex"]), leitor[s]["replace"]) for s in leitor.sections()]


def _sanitizar(texto, regras_):
    if not isinstance(texto, str):
        return texto
    for regex, troca in regras_:
        texto = regex.sub(troca, texto)
    return texto


def saidas(nb: dict, regras_) -> dict[str, dict[str, list]]:
    """{id da célula: {chave: [valores sanitizados]}} de cada célula de código comparada."""
    resultado = {}
    for celula in nb["cells"]:
        if celula["cell_type"] != "code":
            continue
        if TAGS_SEM_COMPARACAO & set(celula.get("metadata", {}).get("tags", [])):
            continue
        por_chave: dict[str, list] = {}
        for saida in coalesce_streams(copy.deepcopy(celula.get("outputs", []))):
            for chave, valor in saida.items():
                if chave in NAO_COMPARADAS:
                    continue
                if chave == "data":
                    for tipo, dado in valor.items():
                        if tipo not in NAO_COMPARADAS:
                            por_chave.setdefault(tipo, []).append(_sanitizar(dado, regras_))
                else:
                    por_chave.setdefault(chave, []).append(_sanitizar(valor, regras_))
        resultado[celula.get("id")] = por_chave
    return resultado


def diferencas(executado: dict, guardado: dict, regras_=None) -> list[str]:
    """As células cujas saídas diferem (vazio se todas batem), como o nbval as veria."""
    regras_ = regras() if regras_ is None else regras_
    novo, velho = saidas(executado, regras_), saidas(guardado, regras_)
    problemas = []
    for celula in velho.keys() | novo.keys():
        if novo.get(celula) != velho.get(celula):
            problemas.append(f"célula {celula!r}: guardado {str(velho.get(celula))[:300]} | "
                             f"executado {str(novo.get(celula))[:300]}")
    return sorted(problemas)
