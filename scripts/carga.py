"""Teste de carga: o servidor de produção × `mlflow models serve`, com 1 e 2 trabalhadores (make carga).

    python scripts/carga.py             # completo: 1, 4, 16 e 64 clientes; uns 3 minutos
    python scripts/carga.py --rapido    # fumaça (CI): 1 e 4 clientes, 1 trabalhador, meio segundo
    python scripts/carga.py --clientes 1 8 --trabalhadores 2 --segundos 3
    make carga

Sobe um servidor de cada vez, numa porta livre de 127.0.0.1: o de produção
(`curso_mlops.producao`, a camada na frente do app do MLflow) e o `mlflow models serve` puro,
cada um com 1 e com 2 trabalhadores do uvicorn. Para cada um, manda o pedido da aula com 1, 4,
16 e 64 clientes simultâneos; cada nível para sozinho em `--pedidos` respostas ou `--segundos`
segundos, o que vier primeiro. Grava build/carga.json (tudo) e build/carga.png (latência p50,
p95 e p99 × clientes) e imprime uma tabela.

O modelo é `models:/tempo_entrega@champion` do store do curso, só lido. Se o store ainda não
tem o champion, o script registra um igual (o mesmo OLS de uma variável, guardado) num store
temporário, em segundos (`curso_mlops.demonstracao`), e o apaga no fim.

Ctrl+C (ou SIGTERM) no meio para a medição e os servidores: nenhum processo sobra. Os números
dependem da máquina e do que mais roda nela: o gerador de carga divide os núcleos com o
servidor. Compare configurações medidas na mesma máquina, na mesma hora.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from curso_mlops import carga, demonstracao, producao, servidor, store

RAIZ = store.raiz_do_repositorio()
RAPIDO = {"clientes": [1, 4], "trabalhadores": [1], "segundos": 0.5, "pedidos": 100}


def _ao_sigterm(sinal, quadro):
    raise KeyboardInterrupt  # o mesmo caminho do Ctrl+C: para a medição e os servidores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Teste de carga: servidor de produção × mlflow models serve.")
    parser.add_argument("--modelo", default=producao.MODELO_PADRAO)
    parser.add_argument("--clientes", type=int, nargs="+", default=list(carga.NIVEIS),
                        help="clientes simultâneos de cada nível (padrão: 1 4 16 64)")
    parser.add_argument("--trabalhadores", type=int, nargs="+", default=[1, 2],
                        help="trabalhadores do uvicorn (padrão: 1 2)")
    parser.add_argument("--servidores", nargs="+", choices=["producao", "mlflow"], default=["producao", "mlflow"])
    parser.add_argument("--pedidos", type=int, default=carga.PEDIDOS_POR_NIVEL,
                        help=f"respostas por nível, no máximo (padrão: {carga.PEDIDOS_POR_NIVEL})")
    parser.add_argument("--segundos", type=float, default=carga.SEGUNDOS_POR_NIVEL,
                        help=f"segundos por nível, no máximo (padrão: {carga.SEGUNDOS_POR_NIVEL:g})")
    parser.add_argument("--rapido", action="store_true",
                        help="fumaça: 1 e 4 clientes, 1 trabalhador, 0,5 s por nível")
    parser.add_argument("--saida", type=Path, default=RAIZ / "build" / "carga.json")
    parser.add_argument("--grafico", type=Path, default=RAIZ / "build" / "carga.png")
    args = parser.parse_args(argv)
    if args.rapido:
        for chave, valor in RAPIDO.items():
            setattr(args, chave, valor)
    if min(args.clientes) < 1 or min(args.trabalhadores) < 1 or args.pedidos < 1 or args.segundos <= 0:
        parser.error("clientes, trabalhadores, pedidos e segundos precisam ser positivos")

    signal.signal(signal.SIGTERM, _ao_sigterm)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory(prefix="curso-carga-") as pasta:
        try:
            uri = store.tracking_uri()
            origem = "store do curso"
            try:
                servidor.resolver_modelo(args.modelo, uri)
            except servidor.ErroDoServidor:
                if args.modelo != producao.MODELO_PADRAO:
                    raise
                print(f"O store do curso ({store.descrever(uri)}) ainda não tem {args.modelo}: "
                      "registrando um champion igual num store temporário...", flush=True)
                uri = "sqlite:///" + (Path(pasta) / "mlflow.db").as_posix()
                demonstracao.registrar_champion(uri)
                origem = "store temporário (curso_mlops.demonstracao)"
            configuracoes = carga.comparar(
                args.modelo, uri, servidores=args.servidores, trabalhadores=args.trabalhadores,
                clientes=args.clientes, pedidos=args.pedidos, segundos=args.segundos,
                pasta_de_logs=pasta, avisar=lambda texto: print(texto, flush=True))
        except KeyboardInterrupt:
            print("\nInterrompido: os servidores foram parados; nada foi gravado.", file=sys.stderr)
            return 130
        except carga.CargaInterrompida:
            print("\nInterrompido: os servidores foram parados; nada foi gravado.", file=sys.stderr)
            return 130
        except (servidor.ErroDoServidor, store.ErroDeStore) as erro:
            print(f"erro: {erro}", file=sys.stderr)
            return 1

    respostas = {c["resposta_da_aula"] for c in configuracoes}
    resultado = {
        "modelo": args.modelo,
        "origem": origem,
        "corpo": carga.CORPO_DA_AULA.decode(),
        "limites_por_nivel": {"pedidos": args.pedidos, "segundos": args.segundos},
        "respostas_da_aula_iguais": len(respostas) == 1,
        "configuracoes": configuracoes,
        "quando": datetime.now(UTC).isoformat(timespec="seconds"),
        "maquina": {"sistema": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
    }
    args.saida.parent.mkdir(parents=True, exist_ok=True)
    args.saida.write_text(json.dumps(resultado, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    import matplotlib

    matplotlib.use("Agg")
    figura = carga.grafico(configuracoes)
    args.grafico.parent.mkdir(parents=True, exist_ok=True)
    figura.savefig(args.grafico, dpi=90)
    print()
    print(carga.tabela(configuracoes))
    print(f"\nO pedido da aula teve a mesma resposta em todos: {resultado['respostas_da_aula_iguais']}.")
    for caminho in (args.saida, args.grafico):
        print(f"Gravado: {caminho.relative_to(RAIZ) if caminho.is_relative_to(RAIZ) else caminho}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
