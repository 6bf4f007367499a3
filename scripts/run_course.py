"""Executa os notebooks do curso com papermill (o `make run` e o `make notebooks`).

    python scripts/run_course.py                    # o curso inteiro, no store do curso
    python scripts/run_course.py 00 02              # só alguns (número, nome ou arquivo)
    python scripts/run_course.py --fresh            # num store temporário, descartado no fim
    python scripts/run_course.py --help

A lógica está em `curso_mlops.executor` (documentada lá); este arquivo é só a porta de entrada.
"""

import sys

from curso_mlops.executor import main

if __name__ == "__main__":
    sys.exit(main())
