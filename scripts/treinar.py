"""Treina um modelo de tempo de entrega e o registra no MLflow: o ponto de entrada do MLproject.

    mlflow run . -e treinar -P formula="tempo_entrega ~ distancia" --env-manager local \\
        --experiment-name tempo-entrega

Também roda direto (python scripts/treinar.py --help). Dentro de `mlflow run`, a run já
existe (o MLflow passa MLFLOW_RUN_ID) e `mlflow.start_run()` a continua; sozinho, o script
abre uma run nova no experimento ativo.

Passos: lê o CSV com o contrato de dados, tira as linhas que o contrato recusa, separa
treino e teste pela data de corte, ajusta a fórmula com o statsmodels e registra parâmetros,
métricas de teste, o resumo e o modelo (assinatura só com as colunas da fórmula).
Erros de uso (arquivo que falta, termo desconhecido na fórmula, corte que esvazia um lado)
saem com código 2 e uma linha clara em português.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np  # noqa: F401 – as fórmulas podem usar np.log(...), avaliadas neste módulo

from curso_mlops.store import raiz_do_repositorio

RAIZ = raiz_do_repositorio()

ALVO = "tempo_entrega"


class ErroDeParametro(ValueError):
    """Um parâmetro do treino não pode ser usado."""


def preparar(caminho: Path, data_de_corte: str):
    import pandas as pd

    from curso_mlops import dados

    bruto = dados.ler_csv(caminho)
    limpo, removidas = dados.filtrar_validos(bruto)
    try:
        corte = pd.Timestamp(data_de_corte)
    except ValueError:
        raise ErroDeParametro(f"data_de_corte {data_de_corte!r} não é uma data (use AAAA-MM-DD).") from None
    treino, teste = limpo[limpo["data_hora"] < corte], limpo[limpo["data_hora"] >= corte]
    if treino.empty or teste.empty:
        raise ErroDeParametro(
            f"data_de_corte {data_de_corte} deixa o {'treino' if treino.empty else 'teste'} vazio: "
            f"os pedidos vão de {limpo['data_hora'].min():%Y-%m-%d} a {limpo['data_hora'].max():%Y-%m-%d}.")
    return treino, teste, removidas


def ajustar(formula: str, treino):
    import statsmodels.formula.api as smf

    from curso_mlops import modelagem

    if formula.count("~") != 1 or formula.split("~")[0].strip() != ALVO:
        raise ErroDeParametro(f"a fórmula precisa ter a forma '{ALVO} ~ entradas': {formula!r}.")
    colunas = [c for c in treino.columns if c != ALVO]
    # Nomes soltos (nem função `f(`, nem módulo `np.`, nem atributo `.log`) são colunas.
    soltos = re.findall(r"(?<![\w.])([A-Za-z_]\w*)(?![\w.(])", formula.split("~", 1)[1])
    desconhecidos = [n for n in soltos if n not in colunas]
    if desconhecidos:
        raise ErroDeParametro(
            f"termo desconhecido na fórmula {formula!r}: {', '.join(map(repr, desconhecidos))} "
            f"não é coluna dos dados. Colunas disponíveis: {', '.join(colunas)}.")
    try:
        entradas = modelagem.colunas_da_formula(formula, colunas)
        resultado = smf.ols(formula, data=treino).fit()
    except ErroDeParametro:
        raise
    except Exception as erro:  # patsy/formulaic: termo que não existe, sintaxe inválida...
        detalhe = " ".join(str(erro).split())[:200]
        raise ErroDeParametro(
            f"a fórmula {formula!r} não pôde ser ajustada: {detalhe}. Colunas disponíveis: "
            f"{', '.join(colunas)}.") from None
    return resultado, entradas


def treinar(formula: str, caminho: Path, data_de_corte: str, nome_da_run: str | None = None) -> str:
    """Treina e registra; devolve o ID da run."""
    import mlflow
    from mlflow.models import infer_signature

    from curso_mlops import ambiente, dados, modelagem, store

    if not caminho.is_file():
        raise ErroDeParametro(f"arquivo de dados não encontrado: {caminho.name} "
                              f"(os dados do curso ficam em data/).")
    treino, teste, removidas = preparar(caminho, data_de_corte)
    resultado, entradas = ajustar(formula, treino)
    x_treino = modelagem.numericas_como_double(treino[entradas])
    previsto = resultado.predict(teste)
    metricas = modelagem.metricas(teste[ALVO], previsto)
    metricas["aic"] = float(resultado.aic)

    mlflow.set_tracking_uri(store.tracking_uri())
    with mlflow.start_run(run_name=nome_da_run) as run:
        mlflow.set_tags({"etapa": "projeto", "entradas": ",".join(entradas)})
        parametros = {"formula": formula, "dados": caminho.name, "data_de_corte": data_de_corte,
                      "versao_dados": dados.versao_dos_dados(caminho),
                      "n_treino": len(treino), "n_teste": len(teste),
                      "linhas_removidas": sum(removidas.values())}
        # Dentro de `mlflow run`, os parâmetros do MLproject já foram registrados pelo MLflow.
        ja_registrados = mlflow.get_run(run.info.run_id).data.params
        mlflow.log_params({k: v for k, v in parametros.items() if k not in ja_registrados})
        mlflow.log_metrics(metricas)
        mlflow.log_text(resultado.summary().as_text(), "resumo_do_modelo.txt")
        mlflow.statsmodels.log_model(
            resultado, name="model",
            signature=infer_signature(x_treino, resultado.predict(x_treino).to_numpy()),
            input_example=x_treino.head(3), pip_requirements=ambiente.requisitos_do_modelo())
    print(f"run {run.info.run_name}: {formula} | mae={metricas['mae']:.2f} "
          f"| {modelagem.nome_pct_erro()}={metricas[modelagem.nome_pct_erro()]:.1f}")
    return run.info.run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Treina um modelo de tempo de entrega (MLproject).")
    parser.add_argument("--formula", default=f"{ALVO} ~ distancia")
    parser.add_argument("--dados", type=Path, default=RAIZ / "data" / "entregas.csv")
    parser.add_argument("--data-de-corte", default="2025-08-01")
    parser.add_argument("--nome-da-run", default=None)
    args = parser.parse_args(argv)
    from curso_mlops.dados import ErroDeDados

    try:
        treinar(args.formula, args.dados, args.data_de_corte, args.nome_da_run)
    except (ErroDeParametro, ErroDeDados) as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
