"""O que as aulas 07 (monitoramento) e 08 (retreino, promoção e depreciação) deixam no store.

Usa o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo): o estado
conferido é o final, depois da segunda execução. `test_portao_reprova_...` lê o fim da cadeia
fora de ordem (tests/notebooks/sequencias.py), que termina com a aula 08 duas vezes, numa CÓPIA
do store da 1ª execução. O pedido da aula ao champion final está em
tests/servir/test_contrato.py.
"""

import sqlite3

import pandas as pd
import pytest
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from curso_mlops import notebooks as nbs

from .sequencias import CADEIAS, trecho

pytestmark = pytest.mark.lento

NB07 = "07_monitorar_o_modelo_em_producao.ipynb"
NB08 = "08_retreinar_promover_e_depreciar.ipynb"
SEMANA_DO_DRIFT = 5
SEMANAS = list(range(1, 9))


def _parametros(nome: str) -> dict:
    """Os valores literais da célula `parameters` (um valor calculado fica com o padrão abaixo)."""
    return {k: v for k, v in nbs.parametros(nbs.pasta_notebooks() / nome).items()
            if v is not nbs.NAO_LITERAL}


# Os nomes da aula (sem o sufixo de um aluno), se a célula não os tiver como literais.
PADROES = {"EXPERIMENTO": "tempo-entrega", "EXPERIMENTO_MONITORAMENTO": "tempo-entrega-monitoramento",
           "MODELO": "tempo_entrega"}
P07 = {**PADROES, **_parametros(NB07)}
P08 = {**PADROES, **_parametros(NB08)}
MODELO = P08["MODELO"]
ANTERIOR = P08["ALIAS_ROLLBACK"]


@pytest.fixture(scope="module")
def cliente(curso_executado):
    return MlflowClient(curso_executado.uri, registry_uri=curso_executado.uri)


@pytest.fixture(scope="module")
def champion(cliente):
    return cliente.get_model_version_by_alias(MODELO, "champion")


@pytest.fixture(scope="module")
def anterior(cliente):
    return cliente.get_model_version_by_alias(MODELO, ANTERIOR)


def _retreinos(cliente):
    experimento = cliente.get_experiment_by_name(P08["EXPERIMENTO"])
    return cliente.search_runs([experimento.experiment_id], "tags.etapa = 'retreino'",
                               order_by=["attributes.start_time ASC"])


# --- a promoção ----------------------------------------------------------------------------

def test_champion_e_a_versao_retreinada_da_ultima_execucao(cliente, champion):
    retreinos = _retreinos(cliente)
    assert len(retreinos) == 2, "cada execução do curso retreina uma vez"
    assert champion.run_id == retreinos[-1].info.run_id
    assert retreinos[-1].info.run_name == P08["RUN_NAME"]
    assert champion.tags["origem"] == "retreino" and champion.tags["tipo"] == "guardado"
    assert champion.tags["portao_de_promocao"] == "aprovado"
    base = cliente.get_model_version(MODELO, champion.tags["versao_base"])
    assert base.tags["tipo"] == "base" and base.tags["origem"] == "retreino"
    assert base.run_id == champion.run_id and not base.aliases
    assert champion.tags["formula"] == P08["FORMULA"]
    assert champion.tags["entradas_opcionais"] == "chuva=0"
    # o alias challenger fica na versão promovida (apagá-lo exigiria MANAGE; o aluno tem EDIT)
    assert sorted(champion.aliases) == ["challenger", "champion"]


def test_anterior_aponta_para_a_versao_que_saiu_e_ela_esta_depreciada(cliente, champion, anterior):
    assert int(anterior.version) < int(champion.version)
    assert champion.tags["substitui_versao"] == str(anterior.version)
    assert anterior.tags.get("origem") != "retreino", "a versão que saiu é o champion da aula 05"
    assert anterior.run_id != champion.run_id
    # as tags de depreciação
    assert anterior.tags["status"] == "deprecated"
    assert anterior.tags["motivo_depreciacao"].strip()
    assert f"semana {SEMANA_DO_DRIFT}" in anterior.tags["motivo_depreciacao"]
    assert anterior.tags["substituida_por"] == str(champion.version)
    assert anterior.description.startswith("DEPRECIADA")
    # nenhum alias de produção: só o de rollback
    assert anterior.aliases == [ANTERIOR]


def test_toda_versao_que_saiu_de_producao_foi_depreciada_e_nenhuma_esta_em_producao(cliente):
    """Três champions saíram: o da 05 na 1ª execução (pela 08), o da 08 (pela 05 da 2ª
    execução) e o da 05 na 2ª execução (pela 08). Cada um diz quem o substituiu."""
    depreciadas = sorted(cliente.search_model_versions(f"name = '{MODELO}' and tags.status = 'deprecated'"),
                         key=lambda v: int(v.version))
    assert [(v.tags["origem"], v.tags["tipo"]) for v in depreciadas] == [
        ("candidato", "guardado"), ("retreino", "guardado"), ("candidato", "guardado")]
    for versao in depreciadas:
        assert "champion" not in versao.aliases
        assert versao.tags["motivo_depreciacao"].strip()
        substituta = cliente.get_model_version(MODELO, versao.tags["substituida_por"])
        assert int(substituta.version) > int(versao.version) and substituta.tags["tipo"] == "guardado"
    retreinadas = cliente.search_model_versions(f"name = '{MODELO}' and tags.origem = 'retreino'")
    assert sorted(v.tags["tipo"] for v in retreinadas) == ["base", "base", "guardado", "guardado"]


def test_nada_foi_apagado(curso_executado, cliente):
    """O curso cabe na permissão EDIT de um aluno: nenhuma versão, alias ou run é apagado."""
    banco = curso_executado.pasta / "mlflow.db"
    with sqlite3.connect(banco) as conexao:
        apagadas = [v for (v,) in conexao.execute(
            "SELECT version FROM model_versions WHERE name = ? AND current_stage = 'Deleted_Internal'",
            (MODELO,))]
        versoes = [v for (v,) in conexao.execute("SELECT version FROM model_versions WHERE name = ?",
                                                 (MODELO,))]
    assert apagadas == []
    assert sorted(versoes) == list(range(1, len(versoes) + 1)), "nenhum número de versão faltando"
    for nome in (P08["EXPERIMENTO"], P07["EXPERIMENTO_MONITORAMENTO"]):
        experimento = cliente.get_experiment_by_name(nome)
        assert not cliente.search_runs([experimento.experiment_id], "", run_view_type=ViewType.DELETED_ONLY)


def test_comparacao_champion_challenger_com_as_mesmas_metricas(cliente):
    experimento = cliente.get_experiment_by_name(P08["EXPERIMENTO"])
    runs = cliente.search_runs([experimento.experiment_id], "tags.etapa = 'comparacao'",
                               order_by=["attributes.start_time ASC"])
    assert len(runs) == 4
    ultima = {r.data.tags["alias"]: r for r in runs[-2:]}
    assert set(ultima) == {"champion", "challenger"}
    campeao, desafiante = ultima["champion"].data.metrics, ultima["challenger"].data.metrics
    assert set(campeao) == set(desafiante)
    assert {"mean_absolute_error", "pct_erro_ate_5min", "example_count"} <= set(campeao)
    assert campeao["example_count"] == desafiante["example_count"] == 480
    margem = P08["MARGEM_MAE"]
    assert campeao["mean_absolute_error"] - desafiante["mean_absolute_error"] >= margem
    assert desafiante["mean_absolute_error"] <= 5.0 and desafiante["pct_erro_ate_5min"] >= 75.0


# --- o monitoramento -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def monitoramentos(cliente):
    experimento = cliente.get_experiment_by_name(P07["EXPERIMENTO_MONITORAMENTO"])
    assert experimento is not None, "a aula 07 não criou o experimento de monitoramento"
    return cliente.search_runs([experimento.experiment_id], "", order_by=["attributes.start_time ASC"])


def test_monitoramento_guarda_as_metricas_semanais(cliente, monitoramentos):
    assert [r.info.run_name for r in monitoramentos] == [P07["RUN_NAME"]] * 2
    for run in monitoramentos:
        assert run.data.tags["decisao"] == "retreinar"
        assert run.data.tags["semana_inicio_degradacao"] == str(SEMANA_DO_DRIFT)
        historicos = {nome: sorted(cliente.get_metric_history(run.info.run_id, nome), key=lambda m: m.step)
                      for nome in ("mae", "pct_erro_ate_5min", "psi_distancia", "psi_chuva", "alerta")}
        for nome, historico in historicos.items():
            assert [m.step for m in historico] == SEMANAS, nome
        alerta = [m.value for m in historicos["alerta"]]
        assert alerta == [float(s >= SEMANA_DO_DRIFT) for s in SEMANAS]
        mae = [m.value for m in historicos["mae"]]
        assert max(mae[:4]) < 4.0 < 5.5 < min(mae[4:])
        psi = [m.value for m in historicos["psi_distancia"]]
        assert max(psi[:4]) < P07["LIMITE_PSI_ATENCAO"] and min(psi[4:]) > P07["LIMITE_PSI"]
        assert float(run.data.params["limite_psi"]) == P07["LIMITE_PSI"]


def test_logs_de_inferencia_por_semana_com_a_versao_do_champion(cliente, monitoramentos, anterior, tmp_path):
    """O log da 2ª execução aponta para a versão que estava no ar: a que a aula 08 depreciou."""
    run = monitoramentos[-1]
    arquivos = sorted(a.path for a in cliente.list_artifacts(run.info.run_id, "inferencias"))
    assert arquivos == [f"inferencias/semana_{s:02d}.csv" for s in SEMANAS]
    log = pd.read_csv(cliente.download_artifacts(run.info.run_id, "inferencias/semana_05.csv", str(tmp_path)))
    assert {"pedido_id", "distancia", "previsao", "modelo_versao", "semana", "status"} <= set(log.columns)
    assert "tempo_entrega" not in log.columns, "o tempo real não existe na hora da previsão"
    assert len(log) == 240 and set(log["semana"]) == {5} and set(log["status"]) == {"aceito"}
    assert set(log["modelo_versao"].astype(str)) == {str(anterior.version)}
    assert run.data.tags["modelo_versao"] == str(anterior.version)
    graficos = {a.path for a in cliente.list_artifacts(run.info.run_id, "graficos")}
    assert len(graficos) == 3 and all(p.endswith(".png") for p in graficos)


# --- o portão de promoção pode reprovar ----------------------------------------------------

@pytest.fixture(scope="module")
def portao(execucoes):
    """A cadeia fora de ordem que termina com a aula 08 duas vezes (o trecho "08-08")."""
    nome, indices = trecho("08-08")
    cadeia = execucoes.sequencias[nome]
    cadeia.resultado()
    tamanho = len(CADEIAS[nome])
    assert list(indices) == [tamanho - 2, tamanho - 1], "o 08-08 não está no fim da cadeia"
    return cadeia


def test_portao_reprova_um_challenger_que_nao_supera_o_champion(portao, curso_uma_vez):
    """A aula 08 logo depois de outra 08: o champion já é o retreino, e o novo challenger é igual
    a ele.

    A melhora é zero (o intervalo está em volta de zero), abaixo da margem: o portão para o
    notebook e nada é promovido.
    """
    cliente = MlflowClient(portao.execucao.uri, registry_uri=portao.execucao.uri)
    antes, ultimo = portao.passos[-2], portao.passos[-1]
    assert antes.resultado.returncode == 0, "a 08 de antes devia ter promovido o retreino"
    esperado = {alias: antes.estado["aliases"][alias] for alias in ("champion", ANTERIOR)}
    # a cópia é independente: os artefatos do champion são lidos dela, não da 1ª execução
    fonte = cliente.get_model_version_by_alias(MODELO, "champion").source  # models:/m-<id>
    modelo = cliente.get_logged_model(fonte.removeprefix("models:/"))
    assert modelo.artifact_location.startswith(portao.execucao.pasta.as_uri())
    assert not modelo.artifact_location.startswith(curso_uma_vez.pasta.as_uri())

    resultado = ultimo.resultado
    assert resultado.returncode == 1, resultado.stdout[-2000:] + resultado.stderr[-2000:]
    assert "Portão de promoção" in resultado.stderr and "reprovado" in resultado.stderr

    depois = {alias: str(cliente.get_model_version_by_alias(MODELO, alias).version)
              for alias in ("champion", ANTERIOR)}
    assert depois == esperado, "o champion (e o anterior) não podem ter se movido"
    assert {alias: ultimo.estado["aliases"][alias] for alias in esperado} == esperado
    reprovada = cliente.get_model_version_by_alias(MODELO, "challenger")
    assert int(reprovada.version) > int(esperado["champion"])
    assert reprovada.tags["portao_de_promocao"] == "reprovado"
    assert reprovada.aliases == ["challenger"]
    assert {str(v.version) for v in cliente.search_model_versions(
        f"name = '{MODELO}' and tags.status = 'deprecated'")} == antes.estado["depreciadas"]
    assert ultimo.estado["depreciadas"] == antes.estado["depreciadas"]
    # o notebook parou na célula do portão, com os critérios impressos
    nb = nbs.ler(portao.execucao.executados / NB08)
    celula = next(c for c in nb["cells"] if c["cell_type"] == "code"
                  and "criterios = {" in nbs.fonte(c) and "portao_de_promocao" in nbs.fonte(c))
    texto = "".join(s.get("text", "") for s in celula["outputs"] if s["output_type"] == "stream")
    assert "[FALHOU] melhora da MAE" in texto
    assert any(s["output_type"] == "error" for s in celula["outputs"])
