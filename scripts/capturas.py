"""Fotografa a MLflow UI de verdade para os notebooks (o alvo `make capturas`).

    python scripts/capturas.py                     # o curso num store novo, fotos em notebooks/imagens/
    python scripts/capturas.py --manter-store      # e guarda o store temporário para depois
    python scripts/capturas.py --store-pronto /tmp/curso-capturas-store-xxxx
    python scripts/capturas.py --so ui_runs_tempo_entrega.png

Executa o curso inteiro num store SQLite novo e temporário (nunca o seu), sobe a `mlflow ui`
sobre ele em 127.0.0.1 e tira as fotos com o Chromium headless, pelo Playwright. As imagens
de notebooks/imagens/ só são trocadas quando todas as fotos deram certo. Precisa do Chromium
do sistema (Debian/Ubuntu: `sudo apt-get install chromium`) e do Playwright do requirements.txt.

A lógica está em curso_mlops/capturas.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curso_mlops import capturas, navegador


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fotografa a MLflow UI para os notebooks.")
    parser.add_argument("--destino", type=Path, default=None,
                        help="pasta das imagens (padrão: notebooks/imagens)")
    parser.add_argument("--manter-store", action="store_true",
                        help="não apaga o store temporário no fim (diz onde ele ficou)")
    parser.add_argument("--store-pronto", type=Path, metavar="PASTA",
                        help="fotografa um store deixado por --manter-store, sem executar o curso")
    parser.add_argument("--so", action="append", default=[], metavar="ARQUIVO",
                        help="só esta imagem (pode repetir)")
    parser.add_argument("--rascunhos", type=Path, metavar="PASTA",
                        help="guarda aqui cada foto assim que é tirada (para ajustar as fotos)")
    parser.add_argument("--listar", action="store_true", help="lista as imagens e sai")
    args = parser.parse_args(argv)
    if args.listar:
        for c in capturas.CAPTURAS:
            print(f"{c.arquivo}  (depois da aula {c.depois_de}; {c.onde}): {c.mostra}")
        return 0
    try:
        capturas.executar(args.destino, manter_store=args.manter_store,
                          store_pronto=args.store_pronto, so=args.so,
                          rascunhos=args.rascunhos)
    except navegador.NavegadorAusente as erro:
        print(f"erro: {erro} As imagens guardadas não foram tocadas.", file=sys.stderr)
        return 2
    except capturas.ErroDeCaptura as erro:
        print(f"erro: {erro}. As imagens guardadas não foram tocadas.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrompido: as imagens guardadas não foram tocadas.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
