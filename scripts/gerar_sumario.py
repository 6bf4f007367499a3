"""Gera o sumário do curso no README a partir dos nomes e títulos dos notebooks.

    python scripts/gerar_sumario.py             # reescreve o trecho entre os marcadores
    python scripts/gerar_sumario.py --verificar # só confere; sai com 1 se estiver desatualizado

O sumário fica entre `<!-- sumario:inicio -->` e `<!-- sumario:fim -->` no README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curso_mlops import notebooks as nbs
from curso_mlops.store import raiz_do_repositorio

RAIZ = raiz_do_repositorio()

INICIO = "<!-- sumario:inicio -->"
FIM = "<!-- sumario:fim -->"


def sumario(pasta: Path | None = None) -> str:
    linhas = [
        INICIO,
        "<!-- gerado por scripts/gerar_sumario.py a partir dos notebooks; não edite à mão -->",
        "",
        "| # | notebook | etapa |",
        "|---|---|---|",
    ]
    for caminho in nbs.listar(pasta):
        numero, titulo, etapa = nbs.titulo(nbs.ler(caminho))
        linhas.append(f"| {numero} | [{titulo}](notebooks/{caminho.name}) | {etapa} |")
    linhas.append(FIM)
    return "\n".join(linhas)


def atualizar(texto: str, novo: str) -> str:
    if INICIO not in texto or FIM not in texto:
        raise SystemExit(f"README.md não tem os marcadores {INICIO} e {FIM}")
    antes, resto = texto.split(INICIO, 1)
    _, depois = resto.split(FIM, 1)
    return antes + novo + depois


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verificar", action="store_true",
                        help="não escreve; sai com 1 se o sumário do README estiver desatualizado")
    parser.add_argument("--readme", type=Path, default=RAIZ / "README.md")
    args = parser.parse_args(argv)
    texto = args.readme.read_text(encoding="utf-8")
    novo = atualizar(texto, sumario())
    if args.verificar:
        if novo != texto:
            print("O sumário do README.md está desatualizado: rode `make readme`.", file=sys.stderr)
            return 1
        print("sumário do README.md em dia")
        return 0
    if novo != texto:
        args.readme.write_text(novo, encoding="utf-8")
        print("README.md: sumário atualizado")
    else:
        print("README.md: sumário já estava em dia")
    return 0


if __name__ == "__main__":
    sys.exit(main())
