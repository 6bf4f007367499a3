"""Serve o champion do curso como API REST, como na aula (o alvo `make serve`).

    python scripts/servir.py               # models:/tempo_entrega@champion em http://127.0.0.1:5299
    python scripts/servir.py --porta 5300

Equivale a, com o .venv ativo e o store do curso,

    mlflow models serve -m models:/tempo_entrega@champion -p 5299 --env-manager local

(executado como `python -m mlflow` do mesmo Python, sem depender do PATH) e deixa o terminal
preso ao servidor até `Ctrl+C`. Em outro terminal, o pedido da aula:

    curl http://localhost:5299/invocations -H "Content-Type: application/json" \\
        -d '{"dataframe_records": [{"distancia": 20}]}'

Antes de subir, confere que o store tem o champion (senão, manda rodar `make run`) e que a
porta está livre, com mensagens claras em vez de um erro do MLflow segundos depois. Ctrl+C ou
SIGTERM param o servidor e os processos filhos dele (`curso_mlops.processos`).

Saída 0 quando parado com Ctrl+C; 1 sem champion ou com a porta ocupada; 2 com um store inválido.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from curso_mlops import processos, servidor, store

MODELO_PADRAO = "models:/tempo_entrega@champion"
CORPO_DA_AULA = '{"dataframe_records": [{"distancia": 20}]}'


def comando(modelo: str, porta: int) -> list[str]:
    """A linha de comando do servidor: o MLflow do mesmo Python deste script."""
    return processos.comando_mlflow("models", "serve", "-m", modelo, "-h", servidor.HOST,
                                    "-p", porta, "--env-manager", "local")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve o champion do curso como API REST.")
    parser.add_argument("--porta", type=int, default=5299, help="porta (padrão: 5299)")
    parser.add_argument("--modelo", default=MODELO_PADRAO, help=f"URI do modelo (padrão: {MODELO_PADRAO})")
    args = parser.parse_args(argv)
    try:
        uri = store.tracking_uri()
    except store.ErroDeStore as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    banco = store.caminho_do_banco(uri)
    try:
        if banco is not None and not banco.exists():  # nem cria um banco vazio só para conferir
            raise servidor.ErroDoServidor("o store ainda não existe")
        servidor.verificar_modelo(args.modelo, uri)
    except servidor.ErroDoServidor:
        print(f"erro: o store do curso ({store.descrever(uri)}) ainda não tem {args.modelo}.\n"
              "Rode `make run` (ou os notebooks 00 a 06) para treinar, registrar e promover o "
              "modelo, e depois `make serve` de novo.", file=sys.stderr)
        return 1
    if processos.porta_em_uso(args.porta):
        print("erro: " + processos.mensagem_de_porta_ocupada(args.porta, "PORTA_API", "serve"),
              file=sys.stderr)
        return 1

    print(f"Servindo {args.modelo} ({store.descrever(uri)}); Ctrl+C para parar.")
    print("  $ " + shlex.join(["mlflow", "models", "serve", "-m", args.modelo, "-p", str(args.porta),
                               "--env-manager", "local"]))
    print("Em outro terminal, o pedido da aula:")
    print(f"  $ curl http://localhost:{args.porta}/invocations -H \"Content-Type: application/json\" "
          f"-d '{CORPO_DA_AULA}'", flush=True)
    ambiente = processos.ambiente_com_o_python_do_curso()
    store.no_ambiente(ambiente, uri)
    return processos.rodar_em_primeiro_plano(
        comando(args.modelo, args.porta), env=ambiente,
        ao_parar=lambda: print("\nParando o servidor...", flush=True))


if __name__ == "__main__":
    sys.exit(main())
