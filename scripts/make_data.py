"""Gera os dados simulados do curso (o `make data`); a simulação está em `curso_mlops.simulacao`.

    python scripts/make_data.py            # reescreve data/entregas.csv e data/producao/
    python scripts/make_data.py --saida X  # escreve em outra pasta
"""

import sys

from curso_mlops.simulacao import main

if __name__ == "__main__":
    sys.exit(main())
