"""Treina um modelo de tempo de entrega e o registra no MLflow: o ponto de entrada do MLproject.

    mlflow run . -e treinar -P formula="tempo_entrega ~ distancia" --env-manager local \\
        --experiment-name tempo-entrega

Também roda direto (python scripts/treinar.py --help). Dentro de `mlflow run`, a run já
existe (o MLflow passa MLFLOW_RUN_ID e MLFLOW_EXPERIMENT_ID) e `mlflow.start_run()` a
continua; sozinho, o script abre uma run nova no experimento do curso.

Os dados são os que a aula 02 preparou e registrou no MLflow: o treino e o teste guardados na
run de preparação (a mais recente do experimento, ou a de `--preparacao <id>`). O ajuste é o
mesmo das aulas 03 e 08 (`curso_mlops.modelagem.ajustar`): a mesma fórmula dá as mesmas
métricas. A run registra parâmetros, métricas de teste e de treino, o resumo, os coeficientes
e o modelo (assinatura só com as colunas da fórmula).

Erros de uso (fórmula com termo desconhecido, run de preparação que não existe) saem com
código 2 e uma linha clara em português, antes de qualquer ajuste.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np  # noqa: F401 – as fórmulas podem usar np.log(...), avaliadas pelo statsmodels

ULTIMA = "ultima"


class ErroDeParametro(ValueError):
    """Um parâmetro do treino não pode ser usado."""


def experimento_ativo(cliente) -> str:
    """O experimento da run: o do `mlflow run` (MLFLOW_EXPERIMENT_ID) ou o do curso."""
    from curso_mlops import nomes, store

    if os.environ.get("MLFLOW_EXPERIMENT_ID"):
        return os.environ["MLFLOW_EXPERIMENT_ID"]
    return store.garantir_experimento(nomes.experimento(os.environ.get("ALUNO", "")))


def run_de_preparacao(cliente, experimento_id: str, pedido: str):
    """A run de preparação pedida (um ID) ou a mais recente do experimento (`ultima`)."""
    from mlflow.exceptions import MlflowException

    if pedido and pedido != ULTIMA:
        try:
            run = cliente.get_run(pedido)
        except MlflowException:
            raise ErroDeParametro(f"a run de preparação {pedido!r} não existe neste store.") from None
        if run.data.tags.get("etapa") != "preparacao":
            raise ErroDeParametro(f"a run {pedido!r} não é uma run de preparação (tag etapa = "
                                  f"{run.data.tags.get('etapa')!r}); use a da aula 02.")
        return run
    runs = cliente.search_runs([experimento_id],
                               "tags.etapa = 'preparacao' and attributes.status = 'FINISHED'",
                               order_by=["attributes.start_time DESC"], max_results=1)
    if not runs:
        raise ErroDeParametro("o experimento não tem a run de preparação da aula 02 "
                              "(tag etapa = 'preparacao'): rode antes o notebook 02.")
    return runs[0]


def treinar(formula: str, preparacao: str = ULTIMA, nome_da_run: str | None = None) -> str:
    """Treina e registra; devolve o ID da run."""
    import mlflow
    from mlflow import MlflowClient

    from curso_mlops import ambiente, dados, modelagem, store

    mlflow.set_tracking_uri(store.tracking_uri())
    cliente = MlflowClient()
    experimento_id = experimento_ativo(cliente)
    run_dados = run_de_preparacao(cliente, experimento_id, preparacao)
    treino, teste = dados.baixar_preparados(run_dados.info.run_id)
    try:
        ajuste = modelagem.ajustar(formula, treino, teste)
    except modelagem.ErroDeFormula as erro:
        raise ErroDeParametro(str(erro)) from None

    with mlflow.start_run(run_name=nome_da_run, experiment_id=experimento_id) as run:
        mlflow.set_tags({"etapa": "projeto", "entradas": ",".join(ajuste.entradas),
                         "preparacao_run_id": run_dados.info.run_id})
        parametros = {"formula": formula, "alvo": modelagem.ALVO,
                      "versao_dados": run_dados.data.params.get("versao_dados", ""),
                      "data_de_corte": run_dados.data.params.get("data_de_corte", ""),
                      "n_treino": len(ajuste.tabela_treino), "n_teste": len(ajuste.tabela_teste)}
        # Dentro de `mlflow run`, os parâmetros do MLproject já foram registrados pelo MLflow.
        ja_registrados = mlflow.get_run(run.info.run_id).data.params
        mlflow.log_params({k: v for k, v in parametros.items() if k not in ja_registrados})
        modelo = mlflow.statsmodels.log_model(
            ajuste.resultado, name="model", signature=ajuste.assinatura(),
            input_example=ajuste.exemplo, pip_requirements=ambiente.requisitos_do_modelo())
        mlflow.log_metrics(ajuste.metricas, model_id=modelo.model_id)
        mlflow.log_text(ajuste.resultado.summary().as_text(), "resumo_do_modelo.txt")
        mlflow.log_text(ajuste.coeficientes().to_csv(float_format="%.6g"), "coeficientes.csv")
    pct = modelagem.nome_pct_erro()
    print(f"run {run.info.run_name}: {formula} | mae={ajuste.metricas['mae']:.2f} "
          f"| {pct}={ajuste.metricas[pct]:.1f}")
    return run.info.run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Treina um modelo de tempo de entrega (MLproject).")
    parser.add_argument("--formula", default="tempo_entrega ~ distancia")
    parser.add_argument("--preparacao", default=ULTIMA,
                        help="o ID da run de preparação da aula 02 (padrão: a mais recente)")
    parser.add_argument("--nome-da-run", default=None)
    args = parser.parse_args(argv)
    from curso_mlops import dados, modelagem
    from curso_mlops.store import ErroDeStore

    try:
        # A fórmula é conferida contra as colunas do contrato antes de qualquer coisa pesada
        # (importar o MLflow, baixar os dados): um treino empacotado falha cedo.
        modelagem.conferir_formula(args.formula, [c.nome for c in dados.CONTRATO_ENTREGAS])
        treinar(args.formula, args.preparacao, args.nome_da_run)
    except modelagem.ErroDeFormula as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    except (ErroDeParametro, dados.ErroDeDados, ErroDeStore) as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
