"""curso_mlops.exercicios: o registro dos exercícios, o Resultado e as mensagens de conferir.

Sem notebook e sem curso: stores vazios ou montados à mão. Os verificadores contra um store em
que o curso rodou, com tentativas que passam e que falham, estão em
tests/notebooks/test_exercicios.py (só na cópia do instrutor: eles carregam as respostas).
"""

from __future__ import annotations

import re

import pytest

from curso_mlops import aula, exercicios, nomes, store
from curso_mlops import notebooks as nbs

IDS = list(exercicios.EXERCICIOS)


@pytest.fixture(autouse=True)
def sem_aluno_lembrado(monkeypatch):
    """Cada teste começa sem a aula preparada por outro teste e sem ALUNO."""
    monkeypatch.setattr(aula, "_ATUAL", None)
    monkeypatch.delenv("ALUNO", raising=False)


# -- o registro ------------------------------------------------------------------------------------


def test_todos_os_exercicios_em_ordem_com_enunciado():
    assert IDS == sorted(IDS)
    assert all(re.fullmatch(r"\d{2}\.\d", i) for i in IDS)
    for i, e in exercicios.EXERCICIOS.items():
        assert e.id == i and e.enunciado and str(e) == e.enunciado
        assert set(e.requer) <= set(exercicios._DEIXA), i
        if e.pede:
            assert e.verificavel, f"{i} pede um valor mas não tem verificador"


def test_pelo_menos_dois_tercos_se_conferem():
    verificaveis = [e for e in exercicios.EXERCICIOS.values() if e.verificavel]
    assert 3 * len(verificaveis) >= 2 * len(exercicios.EXERCICIOS)


def test_verificaveis_pelo_store_so_leem_o_store():
    assert exercicios.VERIFICAVEIS_PELO_STORE
    for i in exercicios.VERIFICAVEIS_PELO_STORE:
        e = exercicios.EXERCICIOS[i]
        assert e.verificavel and not e.pede and not e.le_arquivo and e.usa_store


def test_cada_aula_do_curso_tem_os_seus_exercicios():
    aulas = {p.name[:2] for p in nbs.listar()}
    assert aulas - {"09"} <= {i[:2] for i in IDS}


# -- o Resultado -----------------------------------------------------------------------------------


def test_resultado_em_texto():
    ok = exercicios.Resultado("03.1", True, ("✔ a run existe.",), dica="não aparece quando está certo")
    assert ok.texto().splitlines() == [
        f"Exercício 03.1 · {exercicios.EXERCICIOS['03.1'].enunciado}: certo!", "  ✔ a run existe."]
    falta = exercicios.Resultado("03.1", False, ("✘ falta a run.",), dica="rode o 03")
    assert falta.texto().endswith("  Dica: rode o 03") and "ainda não." in falta.texto()
    assert str(falta) == falta.texto()
    assert falta._ipython_display_() is None  # no Jupyter, conferir já imprimiu


# -- conferir: id, valor e store -------------------------------------------------------------------


def test_id_desconhecido_lista_os_validos(capsys, store_vazio):
    resultado = exercicios.conferir("3.1")
    saida = capsys.readouterr().out
    assert not resultado.ok and "não conheço o exercício '3.1'" in saida
    for i, e in exercicios.EXERCICIOS.items():
        assert (i in saida) == e.verificavel
    assert not store_vazio.exists()


def test_exercicio_sem_conferencia(capsys, store_vazio):
    resultado = exercicios.conferir("00.1")
    assert not resultado.ok and "não tem conferência automática" in capsys.readouterr().out


@pytest.mark.parametrize("exercicio", [i for i, e in exercicios.EXERCICIOS.items() if e.pede and not e.requer])
def test_sem_o_valor_pede_o_valor_sem_abrir_o_store(exercicio, capsys, store_vazio):
    resultado = exercicios.conferir(exercicio)
    saida = capsys.readouterr().out
    assert not resultado.ok
    assert f'conferir("{exercicio}", <o seu valor>)' in saida
    assert exercicios.EXERCICIOS[exercicio].pede in saida
    assert not store_vazio.exists(), "pedir o valor não pode criar o banco"


def test_com_a_aula_no_store_pede_o_valor(cliente, capsys):
    cliente.create_experiment(nomes.EXPERIMENTO, tags={"kpi.mae_max": "5", "kpi.pct_erro_ate_5min_min": "75"})
    resultado = exercicios.conferir("00.2")
    assert not resultado.ok and 'conferir("00.2", <o seu valor>)' in capsys.readouterr().out


@pytest.mark.parametrize("exercicio", [i for i, e in exercicios.EXERCICIOS.items()
                                       if e.verificavel and e.usa_store])
def test_store_que_nao_existe_manda_rodar_a_aula_00_sem_criar_o_banco(exercicio, capsys, store_vazio):
    resultado = exercicios.conferir(exercicio)
    saida = capsys.readouterr().out
    assert not resultado.ok and "00_entender_o_negocio.ipynb" in saida and "Traceback" not in saida
    assert not store_vazio.exists()


def test_store_sem_a_aula_diz_qual_notebook_rodar(cliente, capsys):
    exercicios.conferir("03.1")
    assert "Rode antes o notebook 00_entender_o_negocio.ipynb" in capsys.readouterr().out
    cliente.create_experiment(nomes.EXPERIMENTO, tags={"kpi.mae_max": "5", "kpi.pct_erro_ate_5min_min": "75"})
    exercicios.conferir("03.1")
    assert "Rode antes o notebook 02_preparar_os_dados.ipynb" in capsys.readouterr().out
    exercicios.conferir("08.5")
    assert "a run de retreino da aula 08" in capsys.readouterr().out


def test_conferir_usa_o_aluno_da_aula_preparada(cliente, capsys, monkeypatch):
    monkeypatch.setattr(aula, "_ATUAL", aula.Nomes("ana", **nomes.nomes_do_aluno("ana")))
    cliente.create_experiment(nomes.experimento("ana"), tags={"kpi.mae_max": "5"})
    exercicios.conferir("02.1")
    saida = capsys.readouterr().out
    assert "02_preparar_os_dados.ipynb" in saida, "o experimento da ana existe: falta a preparação"
    assert exercicios.espaco_de_exercicios() == exercicios.Espaco(
        "tempo-entrega-exercicios-ana", "tempo_entrega_exercicios_ana")


def test_aluno_invalido_vira_mensagem(monkeypatch, capsys, store_vazio):
    monkeypatch.setenv("ALUNO", "Ana Maria")
    resultado = exercicios.conferir("03.1")
    assert not resultado.ok and "ALUNO='Ana Maria'" in capsys.readouterr().out


def test_store_de_arquivos_vira_mensagem(monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    resultado = exercicios.conferir("03.1")
    assert not resultado.ok and "mlruns" in capsys.readouterr().out


# -- verificar: nunca levanta, nunca grava ---------------------------------------------------------


class _ClienteQuebrado:
    """Um cliente cujo servidor caiu: toda chamada falha."""

    class _Rastreio:
        tracking_uri = "http://127.0.0.1:9"

    _tracking_client = _Rastreio()
    _registry_uri = "http://127.0.0.1:9"

    def __getattr__(self, nome):
        def falha(*args, **kwargs):
            raise ConnectionError("o servidor não responde")
        return falha


@pytest.mark.parametrize("exercicio", IDS)
def test_verificar_nunca_levanta(exercicio):
    n = aula.Nomes("bia", **nomes.nomes_do_aluno("bia"))
    resultado = exercicios.verificar(exercicio, _ClienteQuebrado(), n)
    assert isinstance(resultado, exercicios.Resultado) and resultado.exercicio == exercicio
    if exercicios.EXERCICIOS[exercicio].usa_store and not exercicios.EXERCICIOS[exercicio].pede:
        assert not resultado.ok and "não consegui conferir" in " ".join(resultado.mensagens)


def test_verificar_aluno_que_nao_comecou(cliente):
    n = aula.Nomes("zeca", **nomes.nomes_do_aluno("zeca"))
    for exercicio in exercicios.VERIFICAVEIS_PELO_STORE:
        resultado = exercicios.verificar(exercicio, cliente, n)
        assert not resultado.ok
        assert "Rode antes o notebook" in resultado.mensagens[0], exercicio
    assert [e.name for e in cliente.search_experiments()] == ["Default"], "nada foi criado"
    assert cliente.search_registered_models() == []


def test_verificar_id_desconhecido_e_valor_que_falta(cliente):
    n = aula.atual()
    assert not exercicios.verificar("99.9", cliente, n).ok
    resultado = exercicios.verificar("04.1", cliente, n)
    assert not resultado.ok and "03_treinar_e_rastrear_experimentos" not in resultado.mensagens[0]
    assert "00_entender_o_negocio" in resultado.mensagens[0], "sem a aula, manda rodá-la antes do valor"
    assert "<o seu valor>" in exercicios.verificar("06.5", None, n).mensagens[0]


# -- conversões ------------------------------------------------------------------------------------


@pytest.mark.parametrize("valor, esperado", [(5, 5.0), ("5,25", 5.25), (" 3.5 ", 3.5), ("x", None),
                                             (True, None), (float("nan"), None), (None, None)])
def test_numero(valor, esperado):
    assert exercicios._numero(valor) == esperado


def test_comparar_series():
    import pandas as pd

    esperado = pd.Series({"Centro": 1.0, "Zona Sul": 2.0})
    assert exercicios._comparar_series({"Centro": 1.001, "Zona Sul": 2.0}, esperado, 0.01, "x", "as regiões") == []
    assert "faltam as regiões Zona Sul" in exercicios._comparar_series(
        {"Centro": 1.0}, esperado, 0.01, "x", "as regiões")[0]
    assert "não batem" in exercicios._comparar_series(
        pd.Series({"Centro": 1.5, "Zona Sul": 2.0}), esperado, 0.01, "x", "as regiões")[0]
    assert "recebi list" in exercicios._comparar_series([1, 2], esperado, 0.01, "x", "as regiões")[0]


def test_previsoes_e_codigos_http():
    assert exercicios._previsoes({"predictions": [{"0": 1.5}, {"0": 2}]}) == [1.5, 2.0]
    assert exercicios._previsoes([1, "2,5"]) == [1.0, 2.5]
    assert exercicios._previsoes({"x": 1}) is None

    class Resposta:
        status_code = 400

    assert exercicios._codigo_http(Resposta()) == 400 and exercicios._codigo_http("415") == 415
    assert exercicios._codigo_http(4.5) is None


def test_o_modulo_nao_carrega_o_mlflow_ao_ser_importado():
    """A aula 01 não usa o MLflow: importar o módulo (e conferir um valor de data/) não o carrega."""
    import subprocess
    import sys

    codigo = ("import sys; from curso_mlops import exercicios; "
              "exercicios.conferir('01.1'); print('mlflow' in sys.modules)")
    saida = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True,
                           cwd=store.raiz_do_repositorio(), timeout=120)
    assert saida.stdout.strip().splitlines()[-1] == "False", saida.stderr
