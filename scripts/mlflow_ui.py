"""Abre a MLflow UI sobre o store do curso (o mesmo que os notebooks usam).

    python scripts/mlflow_ui.py              # http://127.0.0.1:5000
    python scripts/mlflow_ui.py --porta 5001

Com o SQLite do curso (padrão), equivale a

    mlflow ui --backend-store-uri sqlite:///<raiz>/mlflow.db --host 127.0.0.1 --port 5000

executado como `python -m mlflow` do mesmo Python (não precisa do .venv ativo nem do PATH).
Se MLFLOW_TRACKING_URI aponta para um servidor (http://...), não há o que abrir: a UI é a
do próprio servidor, e o script só mostra o endereço. Com a porta ocupada (no macOS, a 5000
costuma ser do AirPlay), diz qual é e como escolher outra. Ctrl+C ou SIGTERM param a UI e os
processos filhos dela.

Saída 0 quando parada com Ctrl+C; 1 com a porta ocupada; 2 com um store inválido.
"""

from __future__ import annotations

import argparse
import sys

from curso_mlops import processos, store


def argumentos(uri: str, porta: int) -> list[str]:
    """Os argumentos de `mlflow` para a UI sobre o store `uri`."""
    args = ["ui", "--backend-store-uri", uri, "--host", processos.HOST, "--port", str(porta)]
    artefatos = store.pasta_de_artefatos(uri)
    if artefatos is not None:
        # Experimentos criados fora do curso (ex.: Default) também guardam artefatos ali.
        args += ["--default-artifact-root", artefatos.as_uri()]
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Abre a MLflow UI sobre o store do curso.")
    parser.add_argument("--porta", type=int, default=5000, help="porta (padrão: 5000)")
    args = parser.parse_args(argv)
    try:
        uri = store.tracking_uri()
    except store.ErroDeStore as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    if uri.startswith(("http://", "https://")):
        print(f"MLFLOW_TRACKING_URI aponta para um servidor: abra {uri} no navegador.")
        return 0
    if processos.porta_em_uso(args.porta):
        print("erro: " + processos.mensagem_de_porta_ocupada(args.porta, "PORTA_UI", "ui"),
              file=sys.stderr)
        return 1
    banco = store.caminho_do_banco(uri)
    if banco is not None and not banco.exists():
        print("Ainda não há runs: o store será criado vazio. Rode `make run` para preenchê-lo.")
    print(f"MLflow UI em http://{processos.HOST}:{args.porta}  ({store.descrever(uri)}); "
          "Ctrl+C para parar.", flush=True)
    return processos.rodar_em_primeiro_plano(
        processos.comando_mlflow(*argumentos(uri, args.porta)),
        env=processos.ambiente_com_o_python_do_curso())


if __name__ == "__main__":
    sys.exit(main())
