"""O que as aulas 07 (monitoramento) e 08 (re-treino, promoção e depreciação) deixam no store.

Usa o store do `curso_executado` (o curso inteiro rodado duas vezes num store novo): o estado
conferido é o final, depois da segunda execução. Só `test_portao_reprova_...` executa um
notebook, o 08, numa CÓPIA desse store.
"""

import ast
import json
import re
import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest
import requests
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from curso_mlops import notebooks as nbs
from curso_mlops.servidor import ServidorDeModelo

pytestmark = pytest.mark.lento

NB07 = "07_monitorar_o_modelo_em_producao.ipynb"
NB08 = "08_retreinar_promover_e_depreciar.ipynb"
SEMANA_DO_DRIFT = 5
SEMANAS = list(range(1, 9))


def _parametros(nome: str) -> dict:
    """Os valores padrão da célula `parameters` (literais Python), sem executar o notebook."""
    nb = nbs.ler(nbs.pasta_notebooks() / nome)
    celula = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    valores = {}
    for no in ast.parse(nbs.fonte(celula)).body:
        if isinstance(no, ast.Assign) and isinstance(no.targets[0], ast.Name):
            try:
                valores[no.targets[0].id] = ast.literal_eval(no.value)
            except ValueError:  # um valor calculado (não literal): fica o padrão abaixo
                pass
    return valores


# Os nomes da aula (sem o sufixo de um aluno), se a célula não os tiver como literais.
PADROES = {"EXPERIMENTO": "tempo-entrega", "EXPERIMENTO_MONITORAMENTO": "tempo-entrega-monitoramento",
           "MODELO": "tempo_entrega"}
P07 = {**PADROES, **_parametros(NB07)}
P08 = {**PADROES, **_parametros(NB08)}
MODELO = P08["MODELO"]
ANTERIOR = P08["ALIAS_ROLLBACK"]


@pytest.fixture(scope="module")
def cliente(curso_executado):
    return MlflowClient(curso_executado["uri"], registry_uri=curso_executado["uri"])


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
    assert len(retreinos) == 2, "cada execução do curso re-treina uma vez"
    assert champion.run_id == retreinos[-1].info.run_id
    assert retreinos[-1].info.run_name == P08["RUN_NAME"]
    assert champion.tags["origem"] == "retreino" and champion.tags["tipo"] == "guardado"
    assert champion.tags["portao_de_promocao"] == "aprovado"
    base = cliente.get_model_version(MODELO, champion.tags["versao_base"])
    assert base.tags["tipo"] == "base" and base.tags["origem"] == "retreino"
    assert base.run_id == champion.run_id and not base.aliases
    assert champion.tags["formula"] == P08["FORMULA"]
    assert champion.tags["entradas_opcionais"] == "chuva=0"
    assert sorted(champion.aliases) == ["champion"], "o alias challenger sai na promoção"
    assert "challenger" not in cliente.get_registered_model(MODELO).aliases


def test_anterior_aponta_para_a_versao_que_saiu_e_ela_esta_depreciada(cliente, champion, anterior):
    assert int(anterior.version) < int(champion.version)
    assert champion.tags["substitui_versao"] == str(anterior.version)
    assert anterior.tags.get("origem") != "retreino", "a versão que saiu é o champion das aulas 05-06"
    assert anterior.run_id != champion.run_id
    # as tags de depreciação
    assert anterior.tags["status"] == "deprecated"
    assert anterior.tags["motivo_depreciacao"].strip()
    assert f"semana {SEMANA_DO_DRIFT}" in anterior.tags["motivo_depreciacao"]
    assert anterior.tags["substituida_por"] == str(champion.version)
    assert anterior.description.startswith("DEPRECIADA")
    # nenhum alias de produção: só o de rollback
    assert anterior.aliases == [ANTERIOR]


def test_versoes_depreciadas_uma_por_execucao_nenhuma_em_producao(cliente):
    depreciadas = cliente.search_model_versions(f"name = '{MODELO}' and tags.status = 'deprecated'")
    assert len(depreciadas) == 2, "cada execução deprecia o champion que sai"
    for versao in depreciadas:
        assert "champion" not in versao.aliases and "challenger" not in versao.aliases
        substituta = cliente.get_model_version(MODELO, versao.tags["substituida_por"])
        assert substituta.tags["origem"] == "retreino"
        assert substituta.tags["portao_de_promocao"] == "aprovado"
    retreinadas = cliente.search_model_versions(f"name = '{MODELO}' and tags.origem = 'retreino'")
    assert sorted(v.tags["tipo"] for v in retreinadas) == ["base", "base", "guardado", "guardado"]


def test_nada_foi_apagado_alem_das_versoes_de_demonstracao(curso_executado, cliente):
    banco = curso_executado["pasta"] / "store" / "mlflow.db"
    with sqlite3.connect(banco) as conexao:
        apagadas = [v for (v,) in conexao.execute(
            "SELECT version FROM model_versions WHERE name = ? AND current_stage = 'Deleted_Internal'",
            (MODELO,))]
        demonstracao = {v for (v,) in conexao.execute(
            "SELECT version FROM model_version_tags WHERE name = ? AND key = 'demonstracao' "
            "AND value = 'true'", (MODELO,))}
    assert len(apagadas) == 2, "cada execução apaga só a versão criada para a demonstração"
    assert set(apagadas) == demonstracao
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


# --- as saídas dos notebooks ---------------------------------------------------------------

@pytest.mark.parametrize("nome", [NB07, NB08])
def test_saidas_sem_stderr_e_iguais_nas_duas_execucoes(curso_executado, nome):
    textos = []
    for vez in (1, 2):
        nb = nbs.ler(curso_executado["pasta"] / f"executados{vez}" / nome)
        saidas = [s for c in nb["cells"] if c["cell_type"] == "code" for s in c.get("outputs", [])]
        assert not [s for s in saidas if s.get("name") == "stderr"], f"{nome}: saída no stderr"
        assert not [s for s in saidas if s["output_type"] == "error"]
        textos.append(json.dumps(_textos(nb), ensure_ascii=False))
    assert _sem_volateis(textos[0]) == _sem_volateis(textos[1])


def _textos(nb: dict) -> list:
    """O texto das saídas de cada célula, com os pedaços de stdout juntados (como o nbval faz)."""
    resultado = []
    for celula in nb["cells"]:
        if celula["cell_type"] != "code":
            continue
        partes = []
        for saida in celula.get("outputs", []):
            if saida["output_type"] == "stream":
                texto = "".join(saida["text"])
                if partes and partes[-1][0] == saida["name"]:
                    partes[-1] = (saida["name"], partes[-1][1] + texto)
                else:
                    partes.append((saida["name"], texto))
            else:
                partes.append((saida["output_type"], "".join(saida.get("data", {}).get("text/plain", ""))))
        resultado.append([celula.get("id"), partes])
    return resultado


def _sem_volateis(texto: str) -> str:
    """Mascara o que o nbval_sanitize.cfg mascara: IDs do MLflow e portas locais."""
    texto = re.sub(r"\b(m-)?[0-9a-f]{32}\b", "ID", texto)
    texto = re.sub(r"(models serve -m \S+ -p )\d+", r"\1PORTA", texto)
    return re.sub(r"(127\.0\.0\.1|localhost):\d+", r"\1:PORTA", texto)


# --- o servidor do champion final ----------------------------------------------------------

def test_pedido_da_aula_no_servidor_do_champion_final(curso_executado):
    with ServidorDeModelo(f"models:/{MODELO}@champion", tracking_uri=curso_executado["uri"]) as servidor:
        resposta = requests.post(f"{servidor.url}/invocations", timeout=60,
                                 json={"dataframe_records": [{"distancia": 20}]})
        com_chuva = requests.post(f"{servidor.url}/invocations", timeout=60,
                                  json={"dataframe_records": [{"distancia": 20, "chuva": 1}]})
    assert resposta.status_code == 200, resposta.text
    corpo = resposta.json()
    assert list(corpo) == ["predictions"] and list(corpo["predictions"][0]) == ["0"]
    previsto = corpo["predictions"][0]["0"]
    assert 32 <= previsto <= 37, f"o pedido da aula deveria dar cerca de 34 min, deu {previsto}"
    assert com_chuva.status_code == 200
    assert 5 <= com_chuva.json()["predictions"][0]["0"] - previsto <= 10, "a chuva soma cerca de 7 min"


# --- o portão de promoção pode reprovar ----------------------------------------------------

def _copiar_store(origem, destino):
    """Copia o banco e os artefatos e troca, no banco, os caminhos absolutos da origem pelos da cópia."""
    shutil.copytree(origem, destino)
    antigo, novo = str(origem), str(destino)
    with sqlite3.connect(destino / "mlflow.db") as conexao:
        tabelas = [t for (t,) in conexao.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for tabela in tabelas:
            for coluna in conexao.execute(f"PRAGMA table_info('{tabela}')").fetchall():
                nome, tipo = coluna[1], (coluna[2] or "").upper()
                if "CHAR" in tipo or "TEXT" in tipo:
                    conexao.execute(f'UPDATE "{tabela}" SET "{nome}" = REPLACE("{nome}", ?, ?) '
                                    f'WHERE "{nome}" LIKE ?', (antigo, novo, f"%{antigo}%"))
        restos = sum(conexao.execute(f'SELECT COUNT(*) FROM "{t}" WHERE "{c[1]}" LIKE ?', (f"%{antigo}%",)).fetchone()[0]
                     for t in tabelas for c in conexao.execute(f"PRAGMA table_info('{t}')").fetchall()
                     if "CHAR" in (c[2] or "").upper() or "TEXT" in (c[2] or "").upper())
    assert restos == 0
    return "sqlite:///" + (destino / "mlflow.db").as_posix()


def test_portao_reprova_um_challenger_que_nao_supera_o_champion(curso_executado, tmp_path, rodar_script):
    """Rodar só a aula 08 de novo: o champion já é o re-treino, e o novo challenger é igual a ele.

    A melhora é zero, menor que a margem: o portão para o notebook e nada é promovido.
    """
    uri = _copiar_store(curso_executado["pasta"] / "store", tmp_path / "store")
    cliente = MlflowClient(uri, registry_uri=uri)
    antes = {alias: cliente.get_model_version_by_alias(MODELO, alias).version for alias in ("champion", ANTERIOR)}
    depreciadas_antes = {v.version for v in cliente.search_model_versions(
        f"name = '{MODELO}' and tags.status = 'deprecated'")}
    # a cópia é independente: os artefatos do champion são lidos dela
    fonte = cliente.get_model_version_by_alias(MODELO, "champion").source  # models:/m-<id>
    modelo = cliente.get_logged_model(fonte.removeprefix("models:/"))
    assert modelo.artifact_location.startswith((tmp_path / "store").as_uri())

    resultado = rodar_script(["scripts/run_course.py", "08", "--tracking-uri", uri,
                              "--saida", tmp_path / "executados"], timeout=600)
    assert resultado.returncode == 1, resultado.stdout[-2000:] + resultado.stderr[-2000:]
    assert "Portão de promoção" in resultado.stderr and "reprovado" in resultado.stderr

    depois = {alias: cliente.get_model_version_by_alias(MODELO, alias).version for alias in ("champion", ANTERIOR)}
    assert depois == antes, "o champion (e o anterior) não podem ter se movido"
    reprovada = cliente.get_model_version_by_alias(MODELO, "challenger")
    assert int(reprovada.version) > int(antes["champion"])
    assert reprovada.tags["portao_de_promocao"] == "reprovado"
    assert reprovada.aliases == ["challenger"]
    assert {v.version for v in cliente.search_model_versions(
        f"name = '{MODELO}' and tags.status = 'deprecated'")} == depreciadas_antes
    # o notebook parou na célula do portão, com os critérios impressos
    nb = nbs.ler(tmp_path / "executados" / NB08)
    celula = next(c for c in nb["cells"] if c.get("id") == "portao")
    texto = "".join("".join(s.get("text", "")) for s in celula["outputs"] if s["output_type"] == "stream")
    assert "[FALHOU] margem" in texto
    assert any(s["output_type"] == "error" for s in celula["outputs"])
