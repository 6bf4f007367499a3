"""Mede o curso contra o seu piso e a API do champion (o `make bench`).

    python scripts/bench.py                 # o curso, o piso e a API (alguns minutos)
    python scripts/bench.py --so-api        # só a API do champion do store do curso
    python scripts/bench.py --repeticoes 5  # medianas de 5 medições de cada parte do piso

**O curso e o piso.** O curso é uma execução de `run_course.py` num store novo e temporário
(o mesmo que `--fresh`; o store fica até o fim para medir o champion dele). O piso é o que
nenhum notebook consegue evitar, medido na mesma máquina e na mesma hora:

- por notebook, subir o kernel e importar o que as aulas importam: um notebook de uma célula
  (`import mlflow, pandas, statsmodels, matplotlib, scipy`) executado pelo papermill, vezes o
  número de notebooks do curso;
- as partidas de servidor e os `mlflow run` de que o curso precisa de verdade
  (`NECESSARIO_PELO_CURSO`): um `mlflow models serve` do champion, do início ao /ping e à
  parada, e um `mlflow run` do MLproject, cada um vezes a sua contagem.

Cada parte do piso é a mediana de `--repeticoes` medições. O script imprime o piso, o tempo do
curso e a razão entre eles.

**A API.** O champion (`models:/tempo_entrega@champion`), servido como na aula numa porta
livre: latência REST de 1 linha (p50/p95, numa conexão reaproveitada), a vazão de um lote e o
`predict` no processo, com o cronômetro de `curso_mlops.cronometro` (o mesmo da aula 06). Com
`--so-api`, o champion é o do store do curso (MLFLOW_TRACKING_URI ou o mlflow.db da raiz, só
lido); se ele ainda não tem champion, as aulas 00 a 06 rodam antes num store temporário.

Grava tudo em build/bench.json e imprime as tabelas. Os números dependem da máquina e da carga
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
import time
from datetime import UTC, datetime
from pathlib import Path

from curso_mlops import carga, cronometro, executor, nomes, processos, store
from curso_mlops import notebooks as nbs
from curso_mlops import servidor as srv
from curso_mlops.store import raiz_do_repositorio

RAIZ = raiz_do_repositorio()
MODELO_PADRAO = "models:/tempo_entrega@champion"
ULTIMA_AULA_NECESSARIA = 6  # a aula 06 deixa o champion guardado

# O que o curso precisa de verdade, além dos kernels (o piso conta isto, nada mais):
# - a aula 06 sobe o servidor do champion uma vez (a aula inteira usa o mesmo servidor), a 08
#   sobe o do novo champion e a 09 sobe o servidor de produção (com dois *workers*): 3 partidas,
#   medidas como a de um `mlflow models serve`;
# - a aula 10 roda o projeto com `mlflow run`: 1 execução inteira. A segunda, a da fórmula
#   ruim, não sobe outro processo do MLflow: chama `mlflow.projects.run` (a função que o comando
#   chama) no próprio kernel, e o script falha antes de importar o MLflow; não entra no piso.
# Se uma aula passar a precisar de mais (ou de menos), mude aqui e explique na aula.
NECESSARIO_PELO_CURSO = {"partidas_de_servidor": 3, "mlflow_run": 1}
IMPORTS_DAS_AULAS = "import " + ", ".join(executor.BIBLIOTECAS_DAS_AULAS)


# -- a API do champion -----------------------------------------------------------------------------

def medir_api(modelo_uri: str, tracking_uri: str, chamadas: int, linhas: int) -> dict:
    import mlflow
    import numpy as np
    import pandas as pd
    import requests

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    modelo = mlflow.pyfunc.load_model(modelo_uri)
    uma_linha = pd.DataFrame({"distancia": [20.0]})
    lote = pd.DataFrame({"distancia": np.random.default_rng(0).uniform(0.5, 26.0, linhas).round(1)})

    processo_1 = cronometro.cronometrar(lambda: modelo.predict(uma_linha), chamadas)
    processo_lote = min(cronometro.cronometrar(lambda: modelo.predict(lote), 3, aquecimento=1)) / 1000

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
        rest_1 = cronometro.cronometrar(lambda: chamar(corpo_1), chamadas)
        rest_lote = min(cronometro.cronometrar(lambda: chamar(corpo_lote), 3, aquecimento=1)) / 1000
        # O mesmo servidor com o cliente do `make carga` (aiohttp, 1 cliente): é o número que a
        # tabela de carga mostra na linha "mlflow models serve, 1 trabalhador, 1 cliente". A
        # diferença para a linha de cima é só o cliente: o `requests` gasta uns milissegundos
        # por chamada do próprio lado.
        (nivel_carga,) = carga.medir(servidor.url, clientes=[1], pedidos=chamadas, segundos=30,
                                     corpo=corpo_1.encode())

    rest_1_resumo, processo_1_resumo = cronometro.resumo(rest_1), cronometro.resumo(processo_1)
    return {
        "modelo": modelo_uri,
        "previsao_20km": round(previsao, 3),
        "chamadas": chamadas,
        "linhas_lote": linhas,
        "rest_1_linha_ms": rest_1_resumo,
        "processo_1_linha_ms": processo_1_resumo,
        "razao_rest_processo_1_linha": round(rest_1_resumo["p50"] / processo_1_resumo["p50"], 2),
        "rest_1_linha_cliente_da_carga_ms": {k: nivel_carga[f"{k}_ms"] for k in ("p50", "p95", "p99")},
        "rest_lote": {"segundos": round(rest_lote, 4), "linhas_por_segundo": round(linhas / rest_lote)},
        "processo_lote": {"segundos": round(processo_lote, 4),
                          "linhas_por_segundo": round(linhas / processo_lote)},
        "razao_rest_processo_lote": round(rest_lote / processo_lote, 2),
    }


def tabela_api(r: dict) -> str:
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
        f"{'1 linha, p50, cliente carga':<28} {r['rest_1_linha_cliente_da_carga_ms']['p50']:>12.2f} "
        f"{proc['p50']:>12.2f} {r['rest_1_linha_cliente_da_carga_ms']['p50'] / proc['p50']:>9.1f}x",
        f"{n + ', tempo (ms)':<28} {r['rest_lote']['segundos'] * 1000:>12.1f} "
        f"{r['processo_lote']['segundos'] * 1000:>12.1f} {r['razao_rest_processo_lote']:>9.1f}x",
        f"{n + ', linhas/s':<28} {r['rest_lote']['linhas_por_segundo']:>12,} "
        f"{r['processo_lote']['linhas_por_segundo']:>12,}",
    ]
    return "\n".join(linhas)


# -- o curso e o piso --------------------------------------------------------------------------------

def _executor(args: list, timeout: float = 1800) -> subprocess.CompletedProcess:
    resultado = subprocess.run([sys.executable, str(RAIZ / "scripts" / "run_course.py"), *map(str, args)],
                               capture_output=True, text=True, timeout=timeout, cwd=RAIZ)
    if resultado.returncode != 0:
        raise RuntimeError("o executor falhou:\n" + resultado.stderr[-3000:])
    return resultado


def rodar_curso(pasta: Path, notebooks: list[str] | None = None) -> tuple[str, float]:
    """O curso (ou só `notebooks`) num store novo em `pasta`; devolve (URI, segundos)."""
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    inicio = time.perf_counter()
    _executor([*(notebooks or []), "--tracking-uri", uri, "--saida", pasta / "executados"])
    return uri, time.perf_counter() - inicio


def medir_kernel_e_imports(pasta: Path, repeticoes: int) -> tuple[float, list[float]]:
    """Segundos do papermill num notebook de uma célula que importa o que as aulas importam."""
    import nbformat
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(IMPORTS_DAS_AULAS)]
    entrada = pasta / "piso.ipynb"
    nbs.escrever(nb, entrada)

    def uma_vez():
        papermill.execute_notebook(str(entrada), str(pasta / "piso-executado.ipynb"), kernel_name="python3",
                                   cwd=str(nbs.pasta_notebooks()), progress_bar=False,
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])

    return cronometro.mediana_de_segundos(uma_vez, repeticoes)


def medir_partida_de_servidor(modelo_uri: str, tracking_uri: str, repeticoes: int) -> tuple[float, list[float]]:
    """Segundos de um `mlflow models serve`: iniciar, /ping respondendo e parar."""
    def uma_vez():
        with srv.ServidorDeModelo(modelo_uri, tracking_uri=tracking_uri, verificar=False):
            pass

    return cronometro.mediana_de_segundos(uma_vez, repeticoes)


def medir_mlflow_run(tracking_uri: str, repeticoes: int) -> tuple[float, list[float]]:
    """Segundos de um `mlflow run` do MLproject (o da aula 10), com --env-manager local.

    Como na aula 10: no store em que o curso rodou e no experimento do curso, onde está a run
    de preparação da aula 02 (o projeto treina com os dados que ela registrou).
    """
    ambiente = processos.ambiente_com_o_python_do_curso()  # o MLproject chama `python` pelo PATH
    store.no_ambiente(ambiente, tracking_uri)
    ambiente.pop("ALUNO", None)

    def uma_vez():
        resultado = subprocess.run(
            processos.comando_mlflow("run", ".", "-e", "treinar", "--env-manager", "local",
                                     "--experiment-name", nomes.experimento(""),
                                     "--run-name", "bench-piso"),
            cwd=RAIZ, env=ambiente, capture_output=True, text=True, timeout=600)
        if resultado.returncode != 0:
            raise RuntimeError("o mlflow run do piso falhou:\n" + resultado.stderr[-2000:])

    return cronometro.mediana_de_segundos(uma_vez, repeticoes)


def medir_piso_e_curso(pasta: Path, repeticoes: int) -> tuple[dict, str]:
    """O curso num store novo e o piso medido logo depois; devolve (números, URI do store)."""
    quantos = len(nbs.listar())
    print(f"Executando o curso inteiro ({quantos} notebooks) num store novo...", flush=True)
    uri, curso = rodar_curso(pasta / "curso")
    print(f"  curso: {curso:.1f} s", flush=True)

    print(f"Medindo o piso ({repeticoes} vezes cada parte)...", flush=True)
    kernel, kernels = medir_kernel_e_imports(pasta, repeticoes)
    print(f"  kernel + imports, por notebook: {kernel:.2f} s", flush=True)
    partida, partidas = medir_partida_de_servidor(MODELO_PADRAO, uri, repeticoes)
    print(f"  uma partida de servidor (iniciar, /ping, parar): {partida:.2f} s", flush=True)
    projeto, projetos = medir_mlflow_run(uri, repeticoes)
    print(f"  um mlflow run do MLproject: {projeto:.2f} s", flush=True)

    n_servidor = NECESSARIO_PELO_CURSO["partidas_de_servidor"]
    n_run = NECESSARIO_PELO_CURSO["mlflow_run"]
    piso = quantos * kernel + n_servidor * partida + n_run * projeto
    numeros = {
        "curso_segundos": round(curso, 1),
        "piso_segundos": round(piso, 1),
        "razao_curso_piso": round(curso / piso, 2),
        "piso": {
            "notebooks": quantos,
            "kernel_e_imports_segundos": round(kernel, 3),
            "partidas_de_servidor": n_servidor,
            "partida_de_servidor_segundos": round(partida, 3),
            "mlflow_run": n_run,
            "mlflow_run_segundos": round(projeto, 3),
            "repeticoes": repeticoes,
            "medicoes_segundos": {"kernel_e_imports": [round(x, 3) for x in kernels],
                                  "partida_de_servidor": [round(x, 3) for x in partidas],
                                  "mlflow_run": [round(x, 3) for x in projetos]},
            "imports": IMPORTS_DAS_AULAS,
        },
    }
    return numeros, uri


def tabela_piso(r: dict) -> str:
    p = r["piso"]
    return "\n".join([
        f"{'parte':<44} {'vezes':>6} {'cada (s)':>9} {'total (s)':>10}",
        f"{'-' * 44} {'-' * 6} {'-' * 9} {'-' * 10}",
        f"{'kernel + imports (um notebook)':<44} {p['notebooks']:>6} {p['kernel_e_imports_segundos']:>9.2f} "
        f"{p['notebooks'] * p['kernel_e_imports_segundos']:>10.1f}",
        f"{'partida de servidor (iniciar, /ping, parar)':<44} {p['partidas_de_servidor']:>6} "
        f"{p['partida_de_servidor_segundos']:>9.2f} "
        f"{p['partidas_de_servidor'] * p['partida_de_servidor_segundos']:>10.1f}",
        f"{'mlflow run do MLproject':<44} {p['mlflow_run']:>6} {p['mlflow_run_segundos']:>9.2f} "
        f"{p['mlflow_run'] * p['mlflow_run_segundos']:>10.1f}",
        f"{'piso':<44} {'':>6} {'':>9} {r['piso_segundos']:>10.1f}",
        f"{'curso (run_course.py num store novo)':<44} {'':>6} {'':>9} {r['curso_segundos']:>10.1f}",
        f"{'curso / piso':<44} {'':>6} {'':>9} {r['razao_curso_piso']:>9.2f}x",
    ])


def champion_do_store(modelo: str) -> str | None:
    """O URI do store do curso, se ele já tem `modelo`; None se não tem (sem criar um banco)."""
    uri = store.tracking_uri()
    banco = store.caminho_do_banco(uri)
    if banco is not None and not banco.exists():
        return None
    try:
        srv.verificar_modelo(modelo, uri)
    except srv.ErroDoServidor:
        return None
    return uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mede o curso contra o seu piso e a API do champion.")
    parser.add_argument("--so-api", action="store_true",
                        help="só a API do champion do store do curso (sem o curso e o piso)")
    parser.add_argument("--modelo", default=MODELO_PADRAO, help=f"URI do modelo (padrão: {MODELO_PADRAO})")
    parser.add_argument("--chamadas", type=int, default=200, help="chamadas de 1 linha (padrão: 200)")
    parser.add_argument("--linhas", type=int, default=10_000, help="linhas do lote (padrão: 10000)")
    parser.add_argument("--repeticoes", type=int, default=3,
                        help="medições de cada parte do piso; vale a mediana (padrão: 3)")
    parser.add_argument("--saida", type=Path, default=RAIZ / "build" / "bench.json")
    args = parser.parse_args(argv)
    if args.chamadas < 2 or args.linhas < 1 or args.repeticoes < 1:
        parser.error("--chamadas precisa ser ao menos 2, --linhas e --repeticoes ao menos 1")

    resultado: dict = {}
    with tempfile.TemporaryDirectory(prefix="curso-bench-") as temporaria:
        pasta = Path(temporaria)
        try:
            if args.so_api:
                uri, origem = champion_do_store(args.modelo), "store do curso"
                if uri is None:
                    print(f"O store do curso ({store.descrever()}) ainda não tem {args.modelo}; "
                          "executando as aulas 00 a 06 num store temporário (cerca de um minuto)...",
                          flush=True)
                    aulas = [p.name[:2] for p in nbs.listar() if int(p.name[:2]) <= ULTIMA_AULA_NECESSARIA]
                    (pasta / "aulas").mkdir()
                    uri, _ = rodar_curso(pasta / "aulas", aulas)
                    origem = "curso temporário (aulas 00 a 06)"
            else:
                (pasta / "curso").mkdir()
                resultado, uri = medir_piso_e_curso(pasta, args.repeticoes)
                origem = "o curso medido (store novo)"
            print(f"Medindo {args.modelo} ({origem}): {args.chamadas} chamadas de 1 linha e um "
                  f"lote de {args.linhas:,} linhas...", flush=True)
            resultado.update(medir_api(args.modelo, uri, args.chamadas, args.linhas))
        except (RuntimeError, store.ErroDeStore, srv.ErroDoServidor, subprocess.TimeoutExpired) as erro:
            print(f"erro: {erro}", file=sys.stderr)
            return 1

    resultado.update({
        "origem": origem,
        "quando": datetime.now(UTC).isoformat(timespec="seconds"),
        "maquina": {"sistema": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
    })
    args.saida.parent.mkdir(parents=True, exist_ok=True)
    args.saida.write_text(json.dumps(resultado, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    if "piso" in resultado:
        print(tabela_piso(resultado))
        print()
    print(tabela_api(resultado))
    destino = args.saida.relative_to(RAIZ) if args.saida.is_relative_to(RAIZ) else args.saida
    print(f"\nPrevisão para 20 km: {resultado['previsao_20km']:.1f} min. Resultado em {destino}.")
    if "piso" in resultado:
        print(f"Curso: {resultado['curso_segundos']:.1f} s; piso: {resultado['piso_segundos']:.1f} s; "
              f"razão: {resultado['razao_curso_piso']:.2f}x.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
