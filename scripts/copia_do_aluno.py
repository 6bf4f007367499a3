"""Gera a cópia do aluno: o curso sem as respostas dos exercícios (make aluno).

    python scripts/copia_do_aluno.py                       # build/aluno/curso-mlops-aluno/ e .zip
    python scripts/copia_do_aluno.py --destino /tmp/turma --nome mlops-turma-a

A lógica está em curso_mlops/copia_do_aluno.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curso_mlops import copia_do_aluno

RAIZ = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gera a cópia do aluno, sem as respostas.")
    parser.add_argument("--destino", type=Path, default=RAIZ / "build" / "aluno",
                        help="a pasta onde ficam a cópia e o zip (padrão: build/aluno)")
    parser.add_argument("--nome", default=copia_do_aluno.NOME_PADRAO,
                        help=f"o nome da pasta e do zip (padrão: {copia_do_aluno.NOME_PADRAO})")
    args = parser.parse_args(argv)
    try:
        resumo = copia_do_aluno.gerar(RAIZ, args.destino, args.nome)
    except copia_do_aluno.ErroDaCopia as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 1
    print(f"Cópia do aluno em {resumo.pasta} ({resumo.arquivos} arquivos, "
          f"{resumo.respostas_tiradas} células de resposta tiradas dos notebooks).")
    if resumo.fora:
        print("Ficaram fora (só do instrutor): " + ", ".join(resumo.fora))
    print(f"Para entregar: {resumo.zip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
