"""Serve o champion do curso como API REST, como na aula (o alvo `make serve`).

    python scripts/servir.py               # models:/tempo_entrega@champion em http://127.0.0.1:5299
    python scripts/servir.py --port 5300

Equivale a, com o .venv ativo e o store do curso,

    mlflow models serve -m models:/tempo_entrega@champion -p 5299 --env-manager local

e deixa o terminal preso ao servidor até `Ctrl+C`. Em outro terminal, o pedido da aula:

    curl http://localhost:5299/invocations -H "Content-Type: application/json" -d '{"dataframe_records": [{"distancia": 20}]}'

Antes de subir, confere que o store tem o champion (senão, manda rodar `make run`) e que a
porta está livre, com mensagens claras em vez de um erro do MLflow segundos depois.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curso_mlops import servidor, store  # noqa: E402

MODELO_PADRAO = "models:/tempo_entrega@champion"
CORPO_DA_AULA = '{"dataframe_records": [{"distancia": 20}]}'


def comando(modelo: str, porta: int) -> list[str]:
    """A linha de comando do servidor, com o `mlflow` do mesmo ambiente deste Python."""
    executavel = Path(sys.executable).parent / ("mlflow.exe" if os.name == "nt" else "mlflow")
    inicio = [str(executavel)] if executavel.exists() else [sys.executable, "-m", "mlflow"]
    return [*inicio, "models", "serve", "-m", modelo, "-h", servidor.HOST, "-p", str(porta),
            "--env-manager", "local"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve o champion do curso como API REST.")
    parser.add_argument("--port", type=int, default=5299)
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
    if servidor.porta_em_uso(args.port):
        print(f"erro: a porta {args.port} já está em uso em {servidor.HOST} (outro `make serve`?). "
              f"Pare o outro servidor ou use outra porta: `make serve PORTA_API=5300`.", file=sys.stderr)
        return 1

    print(f"Servindo {args.modelo} ({store.descrever(uri)}); Ctrl+C para parar.")
    print("  $ " + shlex.join(["mlflow", "models", "serve", "-m", args.modelo, "-p", str(args.port),
                               "--env-manager", "local"]))
    print("Em outro terminal, o pedido da aula:")
    print(f"  $ curl http://localhost:{args.port}/invocations -H \"Content-Type: application/json\" "
          f"-d '{CORPO_DA_AULA}'", flush=True)
    ambiente = dict(os.environ, MLFLOW_TRACKING_URI=uri)
    # O MLflow chama o `uvicorn` pelo PATH: o do mesmo ambiente vem primeiro.
    ambiente["PATH"] = str(Path(sys.executable).parent) + os.pathsep + ambiente.get("PATH", "")
    # Num grupo de processos próprio (POSIX): no Ctrl+C, este script encerra o servidor inteiro
    # (o `mlflow` e o `uvicorn` filho dele) e só sai quando não sobra nenhum processo.
    processo = subprocess.Popen(comando(args.modelo, args.port), env=ambiente,
                                start_new_session=os.name == "posix")
    try:
        return processo.wait()
    except KeyboardInterrupt:
        print("\nParando o servidor...", flush=True)
        parar(processo)
        return 0


def parar(processo: subprocess.Popen, prazo: float = 15.0) -> None:
    """Encerra o servidor e os filhos dele (SIGTERM no grupo; SIGKILL se o prazo esgotar)."""
    if os.name != "posix":  # no Windows, o Ctrl+C do console já chegou a todos os processos
        try:
            processo.wait(timeout=prazo)
        except subprocess.TimeoutExpired:
            processo.kill()
        return
    for sinal in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(processo.pid, sinal)
        except ProcessLookupError:
            return
        limite = time.monotonic() + prazo
        while time.monotonic() < limite:
            processo.poll()  # recolhe o líder, para o grupo poder sumir
            try:
                os.killpg(processo.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
