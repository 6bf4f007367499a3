"""O servidor de tracking da turma: iniciar, parar, ver a situação ou só mostrar o comando.

    python scripts/servidor_tracking.py iniciar                 # = make server
    python scripts/servidor_tracking.py iniciar --auth          # = make server-auth
    python scripts/servidor_tracking.py parar                   # = make server-stop
    python scripts/servidor_tracking.py situacao
    python scripts/servidor_tracking.py comando [--auth] [...]  # só imprime a linha do mlflow server
    python scripts/servidor_tracking.py iniciar --primeiro-plano  # no terminal, Ctrl+C para parar

Opções de iniciar/comando: --porta (5000), --host (127.0.0.1), --backend-uri (padrão: o
SQLite servidor/mlflow.db), --artefatos (padrão: servidor/artefatos; aceita s3://...),
--trabalhadores (2), --permissao-padrao (READ ou NO_PERMISSIONS, só com --auth) e --pasta
(onde ficam banco, artefatos, log e arquivo pid; padrão: servidor/ na raiz do repositório).

Saída 0 quando deu certo; 1 com uma linha `erro: ...` quando não (porta ocupada, servidor já
rodando, arquivo pid ausente ou velho, segredo ou senha faltando no modo com senha).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from curso_mlops import servidor_tracking as st


def _configuracao(args) -> st.Configuracao:
    extras = {}
    if args.pasta is not None:
        extras["pasta"] = args.pasta
    return st.Configuracao(
        host=getattr(args, "host", st.HOST), porta=getattr(args, "porta", st.PORTA),
        backend_uri=getattr(args, "backend_uri", None), artefatos=getattr(args, "artefatos", None),
        trabalhadores=getattr(args, "trabalhadores", st.TRABALHADORES),
        auth=getattr(args, "auth", False),
        permissao_padrao=getattr(args, "permissao_padrao", st.PERMISSAO_PADRAO), **extras)


def _opcoes_do_servidor(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--porta", type=int, default=st.PORTA, help="porta (padrão: 5000)")
    sub.add_argument("--host", default=st.HOST, help="só 127.0.0.1 ou localhost")
    sub.add_argument("--backend-uri", default=None,
                     help="banco do servidor (padrão: SQLite em servidor/mlflow.db)")
    sub.add_argument("--artefatos", default=None,
                     help="destino dos artefatos (padrão: servidor/artefatos; ou s3://bucket/prefixo)")
    sub.add_argument("--trabalhadores", type=int, default=st.TRABALHADORES,
                     help="processos do servidor (padrão: 2)")
    sub.add_argument("--auth", action="store_true",
                     help="com usuários e senhas (app basic-auth do MLflow)")
    sub.add_argument("--permissao-padrao", default=st.PERMISSAO_PADRAO,
                     choices=st.PERMISSOES_PADRAO_ACEITAS,
                     help="o que cada usuário pode nos recursos dos outros (padrão: READ)")


def _interromper(*_):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="O servidor de tracking da turma (mlflow server).")
    parser.add_argument("--pasta", type=Path, default=None, help=argparse.SUPPRESS)
    subs = parser.add_subparsers(dest="acao", required=True)
    iniciar = subs.add_parser("iniciar", help="inicia em segundo plano (arquivo pid)")
    _opcoes_do_servidor(iniciar)
    iniciar.add_argument("--primeiro-plano", action="store_true",
                         help="roda neste terminal até Ctrl+C, sem arquivo pid")
    iniciar.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    subs.add_parser("parar", help="para o servidor do arquivo pid")
    subs.add_parser("situacao", help="diz se o servidor do arquivo pid está rodando")
    mostrar = subs.add_parser("comando", help="só imprime a linha do `mlflow server`")
    _opcoes_do_servidor(mostrar)
    args = parser.parse_args(argv)

    try:
        config = _configuracao(args)
        if args.acao == "comando":
            print(st.comando_cli(config))
        elif args.acao == "parar":
            print(st.parar_pelo_pid(config))
        elif args.acao == "situacao":
            print(st.situacao(config))
        elif args.primeiro_plano:
            servidor = st.ServidorDeTracking(config, timeout=args.timeout).iniciar()
            print(f"Servidor de tracking no ar: {config.descrever()}\nCtrl+C para parar.", flush=True)
            # Ctrl+C ou SIGTERM param o grupo inteiro do servidor (sem órfãos).
            signal.signal(signal.SIGTERM, _interromper)
            try:
                servidor.processo.wait()
            except KeyboardInterrupt:
                print("\nParando o servidor...", flush=True)
            finally:
                servidor.parar()
        else:
            print(st.iniciar_em_segundo_plano(config, timeout=args.timeout))
    except st.ErroDoServidorDeTracking as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
