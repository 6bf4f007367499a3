"""Um champion guardado em segundos, num store qualquer (encanamento de testes e do `make carga`).

    from curso_mlops import demonstracao

    uri = "sqlite:////tmp/x/mlflow.db"
    versao = demonstracao.registrar_champion(uri)   # models:/tempo_entrega@champion em `uri`

O curso chega ao mesmo lugar em seis notebooks (cerca de um minuto). Os testes do servidor de
produção e o `make carga` sem curso executado precisam só do resultado: um modelo guardado
(`guarda.ModeloGuardado`) por cima do OLS de uma variável, `tempo_entrega ~ distancia`,
registrado como `tempo_entrega` com o alias `champion`. Os passos são os da aula, em resumo:

1. os dados de `data/entregas.csv`, limpos pelo contrato (`dados.filtrar_validos`) e o treino
   antes da data de corte da aula 02 (2025-08-01);
2. o OLS com a API de fórmulas do statsmodels, logado com `mlflow.statsmodels.log_model` e
   registrado como versão base (`tipo = base`);
3. o `ModeloGuardado` com a faixa do treino ± 20% (a margem da aula 05), logado com
   `guarda.log_model` (os dois sabores da aula 05; o código do guarda vai junto, em
   `code_paths`), registrado como versão guardada (`tipo = guardado`, `versao_base`) e
   promovido a `champion`.

Os coeficientes são os do curso (mesmos dados, mesma limpeza, mesmo corte): a 20 km, ~34,3 min.
Nada acontece na importação; nada muda no store global do MLflow deste processo.
"""

from __future__ import annotations

import logging
import tempfile
import warnings

from . import nomes

DATA_DE_CORTE = "2025-08-01"  # a da aula 02
MARGEM_FAIXA = 0.2            # a da aula 05
FORMULA = "tempo_entrega ~ distancia"


def treino():
    """Os pedidos de treino da aula 02: o histórico limpo pelo contrato, antes do corte."""
    import pandas as pd

    from . import dados

    limpo, _ = dados.filtrar_validos(dados.carregar_entregas(estrito=False))
    return limpo[limpo["data_hora"] < pd.Timestamp(DATA_DE_CORTE)].reset_index(drop=True)


def registrar_champion(uri: str, aluno: str = "", alias: str = "champion") -> str:
    """Treina, guarda e registra o champion em `uri`; devolve o número da versão guardada.

    Pode ser chamada de novo no mesmo store: cada chamada registra duas versões novas (a base
    e a guardada) e move o alias para a guardada, como uma nova execução das aulas 05 e 06.
    """
    import mlflow
    import statsmodels.formula.api as smf
    from mlflow.tracking import MlflowClient

    from . import ambiente, dados, guarda, store

    modelo = nomes.modelo(aluno)
    tabela = treino()[["distancia", "tempo_entrega"]].astype("float64")
    ajuste = smf.ols(FORMULA, data=tabela).fit()
    contrato = {coluna.nome: coluna for coluna in dados.CONTRATO_ENTREGAS}["distancia"]
    entrada = guarda.entrada_do_treino(
        "distancia", tabela["distancia"], margem=MARGEM_FAIXA, unidade=contrato.unidade,
        piso=contrato.minimo, piso_exclusivo=contrato.minimo_exclusivo, teto=contrato.maximo)
    guardado = guarda.ModeloGuardado([entrada])
    requisitos = ambiente.requisitos_do_modelo()

    experimento = store.garantir_experimento(nomes.experimento(aluno), uri)
    cliente = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # O aviso do CloudPickle é o que a aula 05 explica. (Sem input_example: sem a validação dele,
    # que carregaria cada modelo de novo só para conferir.)
    silenciar = logging.getLogger("mlflow")
    nivel = silenciar.level
    silenciar.setLevel(logging.ERROR)
    try:
        with store.apontado(uri), warnings.catch_warnings():
            # Sem input_example de propósito (acima): o aviso do MLflow sobre isso não ensina nada aqui.
            warnings.filterwarnings("ignore", message=".*input example was not provided.*")
            with mlflow.start_run(experiment_id=experimento, run_name="demonstracao-base") as run:
                mlflow.set_tags({"etapa": "treino", "origem": "demonstracao"})
                info_base = mlflow.statsmodels.log_model(ajuste, name="model", pip_requirements=requisitos)
            if not cliente.search_registered_models(f"name = '{modelo}'"):
                cliente.create_registered_model(modelo)
            base = cliente.create_model_version(
                modelo, info_base.model_uri, run_id=run.info.run_id, model_id=info_base.model_id,
                tags={"tipo": "base", "origem": "demonstracao", "formula": FORMULA})
            with mlflow.start_run(experiment_id=experimento, run_name="demonstracao-guarda") as run:
                mlflow.set_tags({"etapa": "guarda", "origem": "demonstracao",
                                 "versao_base": str(base.version)})
                with tempfile.TemporaryDirectory() as pasta:
                    info = guarda.log_model(  # os dois sabores, como na aula 05
                        name="model", python_model=guardado,
                        artifacts={guarda.ARTEFATO_BASE: f"models:/{modelo}/{base.version}"},
                        code_paths=[guarda.codigo_para_o_modelo(pasta)],
                        signature=guardado.assinatura(), pip_requirements=requisitos)
            versao = cliente.create_model_version(
                modelo, info.model_uri, run_id=run.info.run_id, model_id=info.model_id,
                tags={"tipo": "guardado", "origem": "demonstracao", "formula": FORMULA,
                      "versao_base": str(base.version), "entrada.distancia": entrada.faixa()},
                description=f"Champion de demonstração (curso_mlops.demonstracao): {FORMULA}, "
                            f"distancia {entrada.faixa()}.")
            cliente.set_registered_model_alias(modelo, alias, versao.version)
    finally:
        silenciar.setLevel(nivel)
    return str(versao.version)
