"""Abre a MLflow UI sobre o store do curso (o mesmo que os notebooks usam).

    python scripts/mlflow_ui.py              # http://127.0.0.1:5000
    python scripts/mlflow_ui.py --port 5001

Com o SQLite do curso (padrão), equivale a

    mlflow ui --backend-store-uri sqlite:///<raiz>/mlflow.db --host 127.0.0.1 --port 5000

Se MLFLOW_TRACKING_URI aponta para um servidor (http://...), não há o que abrir: a UI é a
do próprio servidor, e o script só mostra o endereço.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curso_mlops import store  # noqa: E402


def comando(uri: str, porta: int) -> list[str]:
    cmd = ["mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(porta)]
    artefatos = store.pasta_de_artefatos(uri)
    if artefatos is not None:
        # Experimentos criados fora do curso (ex.: Default) também guardam artefatos ali.
        cmd += ["--default-artifact-root", artefatos.as_uri()]
    return cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Abre a MLflow UI sobre o store do curso.")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    try:
        uri = store.tracking_uri()
    except store.ErroDeStore as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    if uri.startswith(("http://", "https://")):
        print(f"MLFLOW_TRACKING_URI aponta para um servidor: abra {uri} no navegador.")
        return 0
    banco = store.caminho_do_banco(uri)
    if banco is not None and not banco.exists():
        print("Ainda não há runs: o store será criado vazio. Rode `make run` para preenchê-lo.")
    cmd = comando(uri, args.port)
    print(f"MLflow UI em http://127.0.0.1:{args.port}  ({store.descrever(uri)}); Ctrl+C para parar.",
          flush=True)
    executavel = shutil.which("mlflow")
    if executavel is None:
        print("erro: o comando `mlflow` não está no PATH. Ative o .venv ou use `make ui`.",
              file=sys.stderr)
        return 2
    try:
        return subprocess.call([executavel, *cmd[1:]])
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
