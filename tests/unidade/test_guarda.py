"""O modelo guardado (curso_mlops.guarda): a validação do domínio, as mensagens e o pyfunc."""

import ast
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from curso_mlops import guarda

DISTANCIA = guarda.Entrada("distancia", 0, 31.58, unidade="km", minimo_exclusivo=True)
CHUVA = guarda.Entrada("chuva", 0, 1, padrao=0)


class BaseFalsa:
    """Faz o papel do modelo base: 10 + 1.2 × distancia (+ 7 × chuva, se houver)."""

    def __init__(self, resposta=None, erro=None):
        self.resposta, self.erro, self.recebido = resposta, erro, None

    def predict(self, tabela):
        self.recebido = tabela
        if self.erro is not None:
            raise self.erro
        if self.resposta is not None:
            return self.resposta
        previsto = 10 + 1.2 * tabela["distancia"]
        return previsto + 7 * tabela["chuva"] if "chuva" in tabela else previsto


def _guardado(*entradas, base=None):
    modelo = guarda.ModeloGuardado(entradas or [DISTANCIA])
    modelo._modelo = BaseFalsa() if base is None else base
    return modelo


def _recusa(modelo, dados) -> MlflowException:
    with pytest.raises(MlflowException) as erro:
        modelo.predict(None, dados)
    assert erro.value.error_code == "INVALID_PARAMETER_VALUE"
    assert erro.value.get_http_status_code() == 400
    assert "Traceback" not in erro.value.serialize_as_json()
    return erro.value


# --- Entrada -------------------------------------------------------------------------------

def test_faixa_em_palavras():
    assert DISTANCIA.faixa() == "maior que 0 e até 31.58 km"
    assert CHUVA.faixa() == "de 0 a 1"
    assert DISTANCIA.obrigatoria and not CHUVA.obrigatoria


@pytest.mark.parametrize("argumentos", [
    dict(nome="", minimo=0, maximo=1),
    dict(nome="x", minimo=2, maximo=1),
    dict(nome="x", minimo=0, maximo=math.inf),
    dict(nome="x", minimo=0, maximo=1, padrao=5),          # padrão fora da faixa
    dict(nome="x", minimo=0, maximo=1, padrao=0, minimo_exclusivo=True),
])
def test_entrada_invalida_e_recusada_na_criacao(argumentos):
    with pytest.raises(ValueError):
        guarda.Entrada(**argumentos)


@pytest.mark.parametrize("valor, trecho", [
    (None, "faltando"), (float("nan"), "faltando"), (np.nan, "faltando"), (pd.NA, "faltando"),
    (True, "booleano"), (np.bool_(False), "booleano"),
    ("20", "texto '20'"), (b"20", "texto"), ({"km": 20}, "dict"), ([20], "list"),
    (10 ** 400, "grande demais"), (math.inf, "finito"), (-math.inf, "finito"),
    (-5, "fora da faixa"), (0, "fora da faixa"), (31.581, "fora da faixa"), (1e308, "fora da faixa"),
])
def test_motivo_da_recusa(valor, trecho):
    motivo = DISTANCIA.motivo_da_recusa(valor)
    assert motivo is not None and trecho in motivo


@pytest.mark.parametrize("valor", [20, 20.0, 0.001, 31.58, np.int64(3), np.float32(2.5),
                                   np.array(20.0)])
def test_valores_aceitos(valor):
    assert DISTANCIA.motivo_da_recusa(valor) is None


# --- entrada_do_treino ---------------------------------------------------------------------

def test_faixa_do_treino_com_margem_limitada_pelo_contrato():
    entrada = guarda.entrada_do_treino("distancia", [0.5, 10, 26.4], margem=0.2, unidade="km",
                                       piso=0, piso_exclusivo=True, teto=50)
    assert (entrada.minimo, entrada.maximo, entrada.minimo_exclusivo) == (0.0, 31.58, True)
    assert entrada.obrigatoria and entrada.unidade == "km"


def test_faixa_do_treino_sem_limites_e_com_teto():
    assert (guarda.entrada_do_treino("x", [10, 20], margem=0.1).minimo,
            guarda.entrada_do_treino("x", [10, 20], margem=0.1).maximo) == (9.0, 21.0)
    assert guarda.entrada_do_treino("x", [10, 20], margem=1, teto=25).maximo == 25
    sem_margem = guarda.entrada_do_treino("x", pd.Series([3.0, None, 7.0]), margem=0)
    assert (sem_margem.minimo, sem_margem.maximo) == (3.0, 7.0)


def test_entrada_opcional_binaria_como_a_chuva_da_aula_08():
    chuva = guarda.entrada_do_treino("chuva", [0, 1, 1, 0], piso=0, teto=1, padrao=0)
    assert (chuva.minimo, chuva.maximo, chuva.minimo_exclusivo, chuva.padrao) == (0, 1, False, 0)


@pytest.mark.parametrize("valores, margem", [([], 0.2), ([None], 0.2), ([1, 2], -0.1)])
def test_faixa_do_treino_recusa_o_que_nao_da_para_calcular(valores, margem):
    with pytest.raises(ValueError):
        guarda.entrada_do_treino("x", valores, margem=margem)


# --- ModeloGuardado: construção e contrato -------------------------------------------------

@pytest.mark.parametrize("entradas", [[], ["distancia"], [DISTANCIA, DISTANCIA], [CHUVA]])
def test_construcao_invalida(entradas):
    with pytest.raises(ValueError):
        guarda.ModeloGuardado(entradas)


def test_assinatura_so_declara_a_saida():
    assinatura = guarda.ModeloGuardado([DISTANCIA]).assinatura()
    assert assinatura.inputs is None
    assert [c.type.name for c in assinatura.outputs.inputs] == ["double"]


def test_descrever():
    texto = guarda.ModeloGuardado([DISTANCIA, CHUVA]).descrever()
    assert texto.splitlines() == ["distancia: número maior que 0 e até 31.58 km (obrigatória)",
                                  "chuva: número de 0 a 1 (opcional, padrão 0)"]


# --- validar -------------------------------------------------------------------------------

def test_validar_devolve_floats_na_ordem_e_ignora_extras():
    modelo = guarda.ModeloGuardado([DISTANCIA, CHUVA])
    entrada = pd.DataFrame({"cor": ["azul", "verde"], "chuva": [1, 0], "distancia": [20, 5.5]},
                           index=[10, 11])
    validos = modelo.validar(entrada)
    assert list(validos.columns) == ["distancia", "chuva"]
    assert validos.dtypes.tolist() == [np.float64, np.float64]
    assert validos.index.tolist() == [10, 11]
    assert validos.to_dict("list") == {"distancia": [20.0, 5.5], "chuva": [1.0, 0.0]}


def test_opcional_ausente_ou_nulo_usa_o_padrao():
    modelo = guarda.ModeloGuardado([DISTANCIA, CHUVA])
    assert modelo.validar(pd.DataFrame({"distancia": [3]}))["chuva"].tolist() == [0.0]
    misto = pd.DataFrame([{"distancia": 3, "chuva": 1}, {"distancia": 4}])  # NaN na 2ª linha
    assert modelo.validar(misto)["chuva"].tolist() == [1.0, 0.0]
    com_none = pd.DataFrame({"distancia": [3, 4], "chuva": [None, 1]}, dtype=object)
    assert modelo.validar(com_none)["chuva"].tolist() == [0.0, 1.0]


def test_opcional_presente_tambem_e_conferido():
    erro = _recusa(_guardado(DISTANCIA, CHUVA), pd.DataFrame({"distancia": [3], "chuva": [2]}))
    assert "'chuva'" in erro.message and "de 0 a 1" in erro.message


def test_coluna_obrigatoria_faltando_diz_o_nome_e_a_faixa():
    erro = _recusa(_guardado(), pd.DataFrame({"km": [20]}))
    assert "falta a coluna 'distancia'" in erro.message
    assert "maior que 0 e até 31.58 km" in erro.message


@pytest.mark.parametrize("valor", [None, float("nan"), -5, 0, 1e308, True, "20", "vinte",
                                   {"km": 20}, [20], math.inf])
def test_valor_ruim_e_recusado_com_a_coluna_e_a_faixa(valor):
    erro = _recusa(_guardado(), pd.DataFrame({"distancia": [valor]}, dtype=object))
    assert erro.message.startswith("Entrada inválida na coluna 'distancia'")
    assert "maior que 0 e até 31.58 km" in erro.message and "linha 0" in erro.message


def test_coluna_booleana_inteira_e_recusada():
    erro = _recusa(_guardado(), pd.DataFrame({"distancia": [True, False]}))
    assert "2 de 2 linha(s)" in erro.message and "booleano" in erro.message


def test_mensagem_resume_muitas_linhas_ruins():
    erro = _recusa(_guardado(), pd.DataFrame({"distancia": [1.0] + [-1.0] * 10}))
    assert "10 de 11 linha(s)" in erro.message
    assert "linha 1:" in erro.message and "linha 3:" in erro.message and "linha 4:" not in erro.message
    assert "e mais 7 linha(s)" in erro.message


@pytest.mark.parametrize("dados, trecho", [
    (pd.DataFrame({"distancia": []}), "nenhuma linha"),
    (pd.DataFrame(), "nenhuma linha"),
    (pd.DataFrame([[1, 2]], columns=["distancia", "distancia"]), "colunas repetidas"),
    (np.array([[20.0]]), "esperava uma tabela"),
    ("distancia=20", "esperava uma tabela"),
    (None, "esperava uma tabela"),
])
def test_formas_que_nao_sao_tabela(dados, trecho):
    assert trecho in _recusa(_guardado(), dados).message


def test_aceita_dicionario_lista_de_registros_serie_e_array_de_dimensao_zero():
    modelo = _guardado()
    assert modelo.predict(None, {"distancia": [5, 10]}).tolist() == [16.0, 22.0]
    assert modelo.predict(None, {"distancia": np.array(20)}).tolist() == [34.0]  # formato `inputs`
    assert modelo.predict(None, [{"distancia": 5}, {"distancia": 10}]).tolist() == [16.0, 22.0]
    assert modelo.predict(None, pd.Series([5.0], name="distancia")).tolist() == [16.0]


def test_lote_grande_passa_pelo_caminho_rapido():
    lote = pd.DataFrame({"distancia": np.linspace(0.5, 30, 10_000), "extra": "x"})
    previsto = _guardado().predict(None, lote)
    assert len(previsto) == 10_000 and np.isfinite(previsto).all()


# --- predict -------------------------------------------------------------------------------

def test_predict_tem_a_forma_do_sabor_statsmodels():
    base = BaseFalsa()
    modelo = _guardado(base=base)
    previsto = modelo.predict(None, pd.DataFrame({"distancia": [20, 5], "cor": ["a", "b"]},
                                                 index=[7, 9]))
    assert isinstance(previsto, pd.Series) and previsto.name is None
    assert previsto.index.tolist() == [7, 9] and previsto.tolist() == [34.0, 16.0]
    assert list(base.recebido.columns) == ["distancia"], "o modelo base só vê as entradas declaradas"
    # o servidor do MLflow escreve a série assim (a resposta da aula)
    from io import StringIO

    from mlflow.pyfunc.scoring_server import predictions_to_json
    saida = StringIO()
    predictions_to_json(previsto, saida)
    assert json.loads(saida.getvalue()) == {"predictions": [{"0": 34.0}, {"0": 16.0}]}


def test_predict_preenche_o_opcional_antes_do_modelo_base():
    base = BaseFalsa()
    modelo = _guardado(DISTANCIA, CHUVA, base=base)
    assert modelo.predict(None, pd.DataFrame({"distancia": [20]})).tolist() == [34.0]
    assert base.recebido["chuva"].tolist() == [0.0]
    assert modelo.predict(None, pd.DataFrame({"distancia": [20], "chuva": [1]})).tolist() == [41.0]


@pytest.mark.parametrize("base, trecho", [
    (BaseFalsa(erro=ZeroDivisionError("divisão por zero num lugar secreto")), "ZeroDivisionError"),
    (BaseFalsa(resposta=np.array([np.nan])), "NaN ou infinito"),
    (BaseFalsa(resposta=np.array([1.0, 2.0])), "previsões inválidas"),
])
def test_falha_do_modelo_base_vira_erro_curto_sem_stack_trace(base, trecho):
    with pytest.raises(MlflowException) as erro:
        _guardado(base=base).predict(None, pd.DataFrame({"distancia": [20]}))
    assert erro.value.error_code == "INTERNAL_ERROR" and trecho in erro.value.message
    corpo = erro.value.serialize_as_json()
    assert "Traceback" not in corpo and "stack_trace" not in corpo and "secreto" not in corpo
    assert erro.value.__cause__ is None


def test_erro_inesperado_na_validacao_vira_400_curto(monkeypatch):
    modelo = _guardado()
    monkeypatch.setattr(modelo, "validar", lambda dados: 1 / 0)
    erro = _recusa(modelo, pd.DataFrame({"distancia": [20]}))
    assert "ZeroDivisionError" in erro.message and erro.__suppress_context__


def test_predict_sem_o_modelo_base_carregado():
    with pytest.raises(MlflowException, match="sem o modelo base"):
        guarda.ModeloGuardado([DISTANCIA]).predict(None, pd.DataFrame({"distancia": [20]}))


# --- o código que viaja com o modelo --------------------------------------------------------

def test_codigo_para_o_modelo_leva_so_o_guarda(tmp_path):
    pasta = Path(guarda.codigo_para_o_modelo(tmp_path))
    assert pasta == tmp_path / "curso_mlops"
    assert sorted(p.name for p in pasta.iterdir()) == ["__init__.py", "guarda.py"]
    assert (pasta / "guarda.py").read_bytes() == Path(guarda.__file__).read_bytes()


def test_guarda_nao_importa_o_resto_do_curso():
    """Dentro do modelo só existe curso_mlops/guarda.py: ele não pode importar outro módulo do kit."""
    arvore = ast.parse(Path(guarda.__file__).read_text(encoding="utf-8"))
    modulos = {n.module.split(".")[0] for n in ast.walk(arvore) if isinstance(n, ast.ImportFrom) and n.module}
    modulos |= {a.name.split(".")[0] for n in ast.walk(arvore) if isinstance(n, ast.Import) for a in n.names}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(arvore)), "import relativo"
    assert modulos <= {"__future__", "math", "shutil", "sys", "dataclasses", "pathlib", "numpy", "pandas",
                       "mlflow"}


# --- de ponta a ponta: salvo, carregado sem o kit instalado --------------------------------

@pytest.fixture(scope="module")
def modelo_salvo(tmp_path_factory):
    """Um OLS mínimo salvo com o sabor statsmodels e embrulhado no guarda, numa pasta local."""
    import mlflow
    import statsmodels.formula.api as smf

    from curso_mlops import ambiente

    pasta = tmp_path_factory.mktemp("guarda")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"distancia": rng.uniform(1, 20, 200)})
    df["tempo_entrega"] = 10 + 1.2 * df["distancia"] + rng.normal(0, 1, 200)
    ajuste = smf.ols("tempo_entrega ~ distancia", data=df).fit()
    requisitos = ambiente.requisitos_do_modelo()
    mlflow.statsmodels.save_model(ajuste, pasta / "base", pip_requirements=requisitos)
    guardado = guarda.ModeloGuardado([guarda.entrada_do_treino(
        "distancia", df["distancia"], unidade="km", piso=0, piso_exclusivo=True, teto=50)])
    mlflow.pyfunc.save_model(
        pasta / "guardado", python_model=guardado,
        artifacts={guarda.ARTEFATO_BASE: str(pasta / "base")},
        code_paths=[guarda.codigo_para_o_modelo(pasta / "codigo")],
        signature=guardado.assinatura(), input_example=pd.DataFrame({"distancia": [20.0]}),
        pip_requirements=requisitos)
    return {"pasta": pasta / "guardado", "esperado": float(ajuste.predict(pd.DataFrame({"distancia": [20.0]}))[0])}


@pytest.mark.lento
def test_modelo_salvo_funciona_sem_o_kit_instalado(modelo_salvo, tmp_path):
    """Num processo em que `import curso_mlops` falha, o modelo carrega o guarda de dentro dele."""
    codigo = textwrap.dedent(f"""
        import importlib.util, json, sys
        sys.meta_path[:] = [f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", "")]
        assert importlib.util.find_spec("curso_mlops") is None, "o kit ainda está importável"
        import mlflow, pandas as pd
        from mlflow.exceptions import MlflowException
        modelo = mlflow.pyfunc.load_model({str(modelo_salvo["pasta"])!r})
        import curso_mlops.guarda
        previsto = modelo.predict(pd.DataFrame({{"distancia": [20], "extra": ["x"]}}))
        try:
            modelo.predict(pd.DataFrame({{"distancia": ["20"]}}))
            recusa = None
        except MlflowException as erro:
            recusa = erro.message
        print(json.dumps({{"arquivo": curso_mlops.guarda.__file__, "previsto": previsto.tolist(),
                          "recusa": recusa}}))
    """)
    resultado = subprocess.run([sys.executable, "-c", codigo], cwd=tmp_path, capture_output=True,
                               text=True, timeout=300)
    assert resultado.returncode == 0, resultado.stderr[-3000:]
    saida = json.loads(resultado.stdout.strip().splitlines()[-1])
    assert Path(saida["arquivo"]).is_relative_to(modelo_salvo["pasta"])
    assert saida["previsto"] == pytest.approx([modelo_salvo["esperado"]])
    assert "texto '20'" in saida["recusa"]


@pytest.mark.lento
def test_modelo_salvo_no_processo(modelo_salvo):
    import mlflow

    modelo = mlflow.pyfunc.load_model(str(modelo_salvo["pasta"]))
    assert set(modelo.metadata.flavors) == {"python_function"}
    assert modelo.metadata.get_input_schema() is None
    assert isinstance(modelo.unwrap_python_model(), guarda.ModeloGuardado)
    assert modelo.unwrap_python_model().modelo_base is not None
    previsto = modelo.predict(pd.DataFrame({"distancia": [20.0]}))
    assert previsto.tolist() == pytest.approx([modelo_salvo["esperado"]])
    with pytest.raises(MlflowException, match="fora da faixa"):
        modelo.predict(pd.DataFrame({"distancia": [-5.0]}))
