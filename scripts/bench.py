"""Mede a API do champion: latência REST de 1 linha, vazão de um lote e o `predict` no processo.

    python scripts/bench.py                      # o champion do store do curso (ou um curso temporário)
    python scripts/bench.py --curso-temporario   # sempre num store novo: roda as aulas 00 a 06 antes
    python scripts/bench.py --chamadas 500 --linhas 50000
    make bench

O modelo medido é `models:/tempo_entrega@champion`. Se o store do curso (MLFLOW_TRACKING_URI ou
o mlflow.db da raiz) já tem esse champion, é ele que é medido, e o seu store não é alterado
(o script só lê). Se não tem, ou com --curso-temporario, o script executa os notebooks 00 a 06
num store SQLite temporário (cerca de um minuto), mede o champion de lá e apaga o store no fim.

O servidor é o mesmo da aula (`mlflow models serve --env-manager local`, via
`curso_mlops.servidor.ServidorDeModelo`), numa porta livre. Mede:

- REST, 1 linha: mediana (p50), p95 e p99 de N chamadas seguidas, numa conexão reaproveitada
  (o que o `make carga` mede com 1 cliente; os percentis são os de `curso_mlops.cronometro`);
- REST, lote: uma chamada com L linhas (`dataframe_split`), em linhas por segundo;
- no processo: o `predict` do mesmo modelo (pyfunc) com 1 linha (p50/p95) e com L linhas;
- a razão REST / processo, para 1 linha (medianas) e para o lote.

Grava tudo em build/bench.json e imprime uma tabela. Os números dependem da máquina e da carga
dela: compare medições da mesma máquina.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from curso_mlops import notebooks as nbs  # noqa: E402
from curso_mlops.cronometro import cronometrar, resumo  # noqa: E402 – o mesmo cálculo da aula 06 e do make carga
from curso_mlops import servidor as srv  # noqa: E402
from curso_mlops import store  # noqa: E402

MODELO_PADRAO = "models:/tempo_entrega@champion"
ULTIMA_AULA_NECESSARIA = 6  # a aula 06 deixa o champion guardado


def medir(modelo_uri: str, tracking_uri: str, chamadas: int, linhas: int) -> dict:
    import mlflow
    import numpy as np
    import pandas as pd
    import requests

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    modelo = mlflow.pyfunc.load_model(modelo_uri)
    uma_linha = pd.DataFrame({"distancia": [20.0]})
    lote = pd.DataFrame({"distancia": np.random.default_rng(0).uniform(0.5, 26.0, linhas).round(1)})

    processo_1 = cronometrar(lambda: modelo.predict(uma_linha), chamadas)
    processo_lote = min(cronometrar(lambda: modelo.predict(lote), 3, aquecimento=1)) / 1000

    corpo_1 = json.dumps({"dataframe_records": [{"distancia": 20}]})
    corpo_lote = json.dumps({"dataframe_split": lote.to_dict(orient="split", index=False)})
    cabecalho = {"Content-Type": "application/json"}
    with srv.ServidorDeModelo(modelo_uri, tracking_uri=tracking_uri) as servidor, \
            requests.Session() as sessao:
        url = f"{servidor.url}/invocations"

        def chamar(corpo):
            resposta = sessao.post(url, data=corpo, headers=cabecalho, timeout=120)
            resposta.raise_for_status()
            return resposta

        previsao = chamar(corpo_1).json()["predictions"][0]["0"]
        rest_1 = cronometrar(lambda: chamar(corpo_1), chamadas)
        rest_lote = min(cronometrar(lambda: chamar(corpo_lote), 3, aquecimento=1)) / 1000

    rest_1_resumo, processo_1_resumo = resumo(rest_1), resumo(processo_1)
    return {
        "modelo": modelo_uri,
        "previsao_20km": round(previsao, 3),
        "chamadas": chamadas,
        "linhas_lote": linhas,
        "rest_1_linha_ms": rest_1_resumo,
        "processo_1_linha_ms": processo_1_resumo,
        "razao_rest_processo_1_linha": round(rest_1_resumo["p50"] / processo_1_resumo["p50"], 2),
        "rest_lote": {"segundos": round(rest_lote, 4), "linhas_por_segundo": round(linhas / rest_lote)},
        "processo_lote": {"segundos": round(processo_lote, 4),
                          "linhas_por_segundo": round(linhas / processo_lote)},
        "razao_rest_processo_lote": round(rest_lote / processo_lote, 2),
    }


def tabela(r: dict) -> str:
    rest, proc = r["rest_1_linha_ms"], r["processo_1_linha_ms"]
    n = f"{r['linhas_lote']:,} linhas"
    linhas = [
        f"{'medida':<28} {'REST':>12} {'no processo':>12} {'REST/proc.':>10}",
        f"{'-' * 28} {'-' * 12} {'-' * 12} {'-' * 10}",
        f"{'1 linha, p50 (ms)':<28} {rest['p50']:>12.2f} {proc['p50']:>12.2f} "
        f"{r['razao_rest_processo_1_linha']:>9.1f}x",
        f"{'1 linha, p95 (ms)':<28} {rest['p95']:>12.2f} {proc['p95']:>12.2f} "
        f"{rest['p95'] / proc['p95']:>9.1f}x",
        f"{'1 linha, p99 (ms)':<28} {rest['p99']:>12.2f} {proc['p99']:>12.2f} "
        f"{rest['p99'] / proc['p99']:>9.1f}x",
        f"{n + ', tempo (ms)':<28} {r['rest_lote']['segundos'] * 1000:>12.1f} "
        f"{r['processo_lote']['segundos'] * 1000:>12.1f} {r['razao_rest_processo_lote']:>9.1f}x",
        f"{n + ', linhas/s':<28} {r['rest_lote']['linhas_por_segundo']:>12,} "
        f"{r['processo_lote']['linhas_por_segundo']:>12,}",
    ]
    return "\n".join(linhas)


def rodar_curso_temporario(pasta: Path) -> str:
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    aulas = [p.stem for p in nbs.listar() if int(p.name[:2]) <= ULTIMA_AULA_NECESSARIA]
    print(f"Executando as aulas {aulas[0][:2]} a {aulas[-1][:2]} num store temporário "
          "(cerca de um minuto)...", flush=True)
    resultado = subprocess.run(
        [sys.executable, str(RAIZ / "scripts" / "run_course.py"), *aulas, "--tracking-uri", uri,
         "--saida", str(pasta / "executados")], capture_output=True, text=True)
    if resultado.returncode != 0:
        raise RuntimeError("o curso temporário falhou:\n" + resultado.stderr[-3000:])
    return uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mede a latência e a vazão da API do champion.")
    parser.add_argument("--modelo", default=MODELO_PADRAO, help=f"URI do modelo (padrão: {MODELO_PADRAO})")
    parser.add_argument("--chamadas", type=int, default=200, help="chamadas de 1 linha (padrão: 200)")
    parser.add_argument("--linhas", type=int, default=10_000, help="linhas do lote (padrão: 10000)")
    parser.add_argument("--curso-temporario", action="store_true",
                        help="roda as aulas 00 a 06 num store novo e mede o champion de lá")
    parser.add_argument("--saida", type=Path, default=RAIZ / "build" / "bench.json")
    args = parser.parse_args(argv)
    if args.chamadas < 2 or args.linhas < 1:
        parser.error("--chamadas precisa ser ao menos 2 e --linhas ao menos 1")

    os.environ.update(nbs.AMBIENTE_DE_EXECUCAO)
    with tempfile.TemporaryDirectory(prefix="curso-bench-") as pasta:
        try:
            uri = store.tracking_uri()
            origem = "store do curso"
            precisa_do_curso = args.curso_temporario
            if not precisa_do_curso:
                try:
                    banco = store.caminho_do_banco(uri)
                    if banco is not None and not banco.exists():  # sem criar um banco vazio
                        raise srv.ErroDoServidor("o store ainda não existe")
                    srv.verificar_modelo(args.modelo, uri)
                except srv.ErroDoServidor:
                    print(f"O store do curso ({store.descrever(uri)}) ainda não tem {args.modelo}.")
                    precisa_do_curso = True
            if precisa_do_curso:
                uri = rodar_curso_temporario(Path(pasta))
                origem = "curso temporário (aulas 00 a 06)"
            print(f"Medindo {args.modelo} ({origem}): {args.chamadas} chamadas de 1 linha e um "
                  f"lote de {args.linhas:,} linhas...", flush=True)
            resultado = medir(args.modelo, uri, args.chamadas, args.linhas)
        except (RuntimeError, store.ErroDeStore, srv.ErroDoServidor) as erro:
            print(f"erro: {erro}", file=sys.stderr)
            return 1

    resultado = {
        **resultado,
        "origem": origem,
        "quando": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "maquina": {"sistema": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
    }
    args.saida.parent.mkdir(parents=True, exist_ok=True)
    args.saida.write_text(json.dumps(resultado, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(tabela(resultado))
    print(f"\nPrevisão para 20 km: {resultado['previsao_20km']:.1f} min. Resultado em "
          f"{args.saida.relative_to(RAIZ) if args.saida.is_relative_to(RAIZ) else args.saida}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
