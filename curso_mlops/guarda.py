"""O modelo guardado: um `mlflow.pyfunc.PythonModel` que confere a entrada antes de prever.

Servido como está, o sabor statsmodels responde 200 a qualquer coisa que vire número: `null`
vira uma previsão NaN, -5 km vira 4 minutos, `true` vira 1 km e o texto "20" é convertido em
silêncio. O `ModeloGuardado` embrulha o modelo de verdade (o "modelo base") e, antes de
chamá-lo, confere cada entrada:

- está presente e não é nula (`null`, NaN);
- é um número: texto (mesmo "20"), `true`/`false`, listas e objetos são recusados;
- é finito e está dentro da faixa aceita, a faixa vista no treino com uma margem documentada
  (ver `entrada_do_treino`), nunca além do que é fisicamente possível.

Uma entrada ruim levanta `MlflowException` com `INVALID_PARAMETER_VALUE`: o servidor do MLflow
responde 400 com uma mensagem em português que nomeia a coluna e a faixa aceita. Nada que o
modelo faz deixa um *stack trace* chegar à resposta. A saída tem a mesma forma da do sabor
statsmodels (uma série sem nome, que o servidor escreve como `{"predictions": [{"0": ...}]}`).

Entradas opcionais (reuso na aula 08): uma `Entrada` com `padrao` é opcional. Quando a coluna
falta, ou vem nula numa linha, o guarda usa o padrão; quando vem, ela é conferida como as
outras. Assim um modelo retreinado com `chuva` aceita os pedidos antigos, só com `distancia`.

Colunas extras (decisão documentada): são **ignoradas**, nunca repassadas ao modelo base. É o
que o MLflow faz com qualquer assinatura com nomes, e é o que deixa o app mandar uma coluna
nova (`chuva`) antes de o modelo em produção usá-la: o modelo antigo e o novo respondem ao
mesmo pedido. O preço: um nome de coluna opcional escrito errado (`chuvas`) também é ignorado
e vale o padrão; por isso os padrões precisam ser valores seguros e documentados.

Este arquivo viaja dentro do modelo registrado (`code_paths`, ver `codigo_para_o_modelo`):
o modelo servido não depende de o pacote do curso estar instalado. Por isso ele só importa
bibliotecas que o próprio modelo declara (mlflow, numpy, pandas), nunca outro módulo do curso.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel

# Nome do artefato, dentro do modelo guardado, que guarda a cópia do modelo base.
ARTEFATO_BASE = "modelo_base"
# Quantas linhas ruins a mensagem de erro descreve, no máximo.
_LINHAS_NA_MENSAGEM = 3


@dataclass(frozen=True)
class Entrada:
    """Uma coluna de entrada do modelo guardado e a faixa de valores que ele aceita.

    `padrao=None` torna a coluna obrigatória; um número a torna opcional, com esse valor quando
    ela falta. `minimo_exclusivo=True` quer dizer "maior que `minimo`" (a distância > 0).
    """

    nome: str
    minimo: float
    maximo: float
    unidade: str = ""
    padrao: float | None = None
    minimo_exclusivo: bool = False

    def __post_init__(self):
        if not self.nome or not isinstance(self.nome, str):
            raise ValueError("a entrada precisa de um nome (o nome da coluna).")
        if not (math.isfinite(self.minimo) and math.isfinite(self.maximo)) or self.minimo > self.maximo:
            raise ValueError(f"faixa inválida para {self.nome!r}: {self.minimo} a {self.maximo}.")
        if self.padrao is not None and self.motivo_da_recusa(self.padrao) is not None:
            raise ValueError(f"o padrão de {self.nome!r} ({self.padrao}) está fora da faixa "
                             f"{self.faixa()}.")

    @property
    def obrigatoria(self) -> bool:
        return self.padrao is None

    def faixa(self) -> str:
        """A faixa aceita, em palavras: "maior que 0 e até 31.58 km"."""
        unidade = f" {self.unidade}" if self.unidade else ""
        inicio = f"maior que {self.minimo:g}" if self.minimo_exclusivo else f"de {self.minimo:g}"
        return f"{inicio} {'e até' if self.minimo_exclusivo else 'a'} {self.maximo:g}{unidade}"

    def motivo_da_recusa(self, valor) -> str | None:
        """Por que `valor` não serve para esta coluna, ou None se serve."""
        valor = _escalar(valor)
        if _vazio(valor):
            return "o valor está faltando (null ou NaN)"
        if isinstance(valor, (bool, np.bool_)):
            return f"{str(bool(valor)).lower()} é um booleano, não um número"
        if isinstance(valor, (str, bytes)):
            return f"o texto {_curto(valor)} não é um número (envie 20, sem aspas)"
        if not isinstance(valor, (int, float, np.integer, np.floating)):
            return f"um valor do tipo {type(valor).__name__} não é um número"
        try:
            numero = float(valor)
        except OverflowError:
            return f"{_curto(valor)} é grande demais"
        if math.isinf(numero):
            return f"{numero} não é um número finito"
        abaixo = numero <= self.minimo if self.minimo_exclusivo else numero < self.minimo
        if abaixo or numero > self.maximo:
            return f"{numero:g} está fora da faixa"
        return None


def entrada_do_treino(nome: str, valores, margem: float = 0.2, unidade: str = "",
                      piso: float | None = None, piso_exclusivo: bool = False,
                      teto: float | None = None, padrao: float | None = None) -> Entrada:
    """Uma `Entrada` com a faixa vista no treino, alargada por uma margem.

    A faixa aceita vai de `min − margem × amplitude` a `max + margem × amplitude`, em que
    amplitude = max − min dos `valores` do treino (margem 0.2 = 20% da amplitude de cada lado),
    arredondada a 2 casas. Ela nunca passa dos limites do que é possível: `piso` (com
    `piso_exclusivo`, "maior que") e `teto`, em geral os do contrato de dados.
    """
    serie = pd.to_numeric(pd.Series(valores), errors="raise").dropna()
    if serie.empty:
        raise ValueError(f"não há valores de treino para {nome!r}.")
    if margem < 0:
        raise ValueError("a margem não pode ser negativa.")
    menor, maior = float(serie.min()), float(serie.max())
    folga = margem * (maior - menor)
    minimo, maximo, exclusivo = round(menor - folga, 2), round(maior + folga, 2), False
    if piso is not None and minimo <= piso:
        minimo, exclusivo = float(piso), bool(piso_exclusivo)
    if teto is not None and maximo > teto:
        maximo = float(teto)
    return Entrada(nome, minimo, maximo, unidade=unidade, padrao=padrao, minimo_exclusivo=exclusivo)


def _curto(valor, limite: int = 30) -> str:
    texto = repr(valor)
    return texto if len(texto) <= limite else texto[:limite - 3] + "..."


def _recusar(mensagem: str) -> MlflowException:
    return MlflowException(mensagem, error_code=INVALID_PARAMETER_VALUE)


class ModeloGuardado(PythonModel):
    """Embrulha um modelo (o artefato `modelo_base`) e só o deixa ver entradas válidas.

    Uso (o notebook 06 mostra tudo):

        guardado = ModeloGuardado([entrada_do_treino("distancia", treino["distancia"], ...)])
        mlflow.pyfunc.log_model(name="model", python_model=guardado,
                                artifacts={ARTEFATO_BASE: "models:/tempo_entrega/1"},
                                code_paths=[codigo_para_o_modelo(pasta)],
                                signature=guardado.assinatura(), ...)
    """

    def __init__(self, entradas):
        entradas = list(entradas)
        if not entradas or not all(isinstance(e, Entrada) for e in entradas):
            raise ValueError("ModeloGuardado precisa de uma lista de Entrada.")
        nomes = [e.nome for e in entradas]
        if len(set(nomes)) != len(nomes):
            raise ValueError(f"nomes de entrada repetidos: {nomes}")
        if all(not e.obrigatoria for e in entradas):
            raise ValueError("pelo menos uma entrada precisa ser obrigatória.")
        self.entradas = tuple(entradas)
        self._modelo = None

    # -- o contrato ----------------------------------------------------------------------
    def assinatura(self):
        """A assinatura do modelo guardado: só a saída (um número por linha), sem esquema de entrada.

        Sem esquema de entrada de propósito: com ele, o MLflow converteria "20" e `true` em
        números antes de o guarda vê-los, e recusaria CSV. Quem confere a entrada (nomes,
        tipos, faixas) é `validar`; a descrição da versão registrada diz o contrato.
        """
        from mlflow.models import ModelSignature
        from mlflow.types.schema import ColSpec, Schema

        return ModelSignature(inputs=None, outputs=Schema([ColSpec("double")]))

    def descrever(self) -> str:
        """Uma linha por entrada: nome, faixa e, se opcional, o padrão."""
        linhas = []
        for e in self.entradas:
            extra = "obrigatória" if e.obrigatoria else f"opcional, padrão {e.padrao:g}"
            linhas.append(f"{e.nome}: número {e.faixa()} ({extra})")
        return "\n".join(linhas)

    def validar(self, dados) -> pd.DataFrame:
        """As entradas conferidas, como DataFrame float64 na ordem declarada (o índice é o da entrada).

        Levanta `MlflowException` (INVALID_PARAMETER_VALUE, HTTP 400) com uma mensagem em
        português se alguma coluna obrigatória falta ou algum valor não serve.
        """
        tabela = _como_tabela(dados)
        if len(tabela) == 0:
            raise _recusar("Entrada inválida: a requisição não tem nenhuma linha para prever.")
        if tabela.columns.duplicated().any():
            repetidas = sorted({str(c) for c in tabela.columns[tabela.columns.duplicated()]})
            raise _recusar(f"Entrada inválida: colunas repetidas: {', '.join(repetidas)}.")
        faltando = [e.nome for e in self.entradas if e.obrigatoria and e.nome not in tabela.columns]
        if faltando:
            aceitas = "; ".join(f"'{e.nome}' ({e.faixa()})" for e in self.entradas)
            raise _recusar(f"Entrada inválida: falta a coluna {', '.join(map(repr, faltando))}. "
                           f"O modelo espera: {aceitas}.")
        colunas = {}
        for entrada in self.entradas:
            if entrada.nome in tabela.columns:
                colunas[entrada.nome] = _conferir_coluna(entrada, tabela[entrada.nome])
            else:
                colunas[entrada.nome] = np.full(len(tabela), float(entrada.padrao))
        return pd.DataFrame(colunas, index=tabela.index)

    # -- o pyfunc ------------------------------------------------------------------------
    @property
    def modelo_base(self):
        """O modelo embrulhado (um `PyFuncModel`), depois de `load_context`; None antes."""
        return self._modelo

    def load_context(self, context):
        import mlflow.pyfunc

        self._modelo = mlflow.pyfunc.load_model(context.artifacts[ARTEFATO_BASE])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.Series:
        try:
            validos = self.validar(model_input)
        except MlflowException:
            raise
        except Exception as erro:  # um caso que `validar` não previu: 400 sem stack trace
            raise _recusar(f"Entrada inválida: não foi possível ler a requisição "
                           f"({type(erro).__name__}).") from None
        if self._modelo is None:
            raise MlflowException("O modelo guardado foi usado sem o modelo base carregado.",
                                  error_code=INTERNAL_ERROR)
        try:
            previsto = np.asarray(self._modelo.predict(validos), dtype=float).reshape(-1)
        except Exception as erro:
            raise MlflowException(f"O modelo base falhou ao prever ({type(erro).__name__}).",
                                  error_code=INTERNAL_ERROR) from None
        if previsto.shape != (len(validos),) or not np.isfinite(previsto).all():
            raise MlflowException("O modelo base devolveu previsões inválidas (NaN ou infinito).",
                                  error_code=INTERNAL_ERROR)
        # Uma série sem nome, com o índice da entrada, como a do sabor statsmodels: o servidor a
        # escreve como [{"0": ...}], e no Python ela se alinha com a tabela que foi prevista.
        return pd.Series(previsto, index=validos.index)


def _como_tabela(dados) -> pd.DataFrame:
    if isinstance(dados, pd.DataFrame):
        return dados
    if isinstance(dados, pd.Series):
        return dados.to_frame()
    if isinstance(dados, dict):
        try:
            return pd.DataFrame(dados)
        except ValueError:
            return pd.DataFrame([dados])
    if isinstance(dados, list) and all(isinstance(d, dict) for d in dados):
        return pd.DataFrame(dados)
    raise _recusar(f"Entrada inválida: esperava uma tabela com colunas nomeadas, "
                   f"recebi {type(dados).__name__}.")


def _conferir_coluna(entrada: Entrada, serie: pd.Series) -> np.ndarray:
    """Os valores da coluna como float64, ou MlflowException que diz as primeiras linhas ruins."""
    if pd.api.types.is_numeric_dtype(serie.dtype) and not pd.api.types.is_bool_dtype(serie.dtype):
        # Caminho rápido (lotes grandes): a coluna inteira já é numérica.
        valores = serie.to_numpy(dtype=float, na_value=np.nan)
        if not entrada.obrigatoria:
            valores = np.where(np.isnan(valores), float(entrada.padrao), valores)
        abaixo = valores <= entrada.minimo if entrada.minimo_exclusivo else valores < entrada.minimo
        ruins = np.flatnonzero(~np.isfinite(valores) | abaixo | (valores > entrada.maximo))
        if len(ruins) == 0:
            return valores
        itens = list(serie.iloc[ruins[:_LINHAS_NA_MENSAGEM]].items())
        _erro_de_coluna(entrada, itens, len(ruins), len(serie))
    valores = np.empty(len(serie), dtype=float)
    ruins = []
    for i, valor in enumerate(serie.tolist()):
        valor = _escalar(valor)
        if not entrada.obrigatoria and _vazio(valor):
            valores[i] = float(entrada.padrao)
            continue
        if entrada.motivo_da_recusa(valor) is not None:
            ruins.append(i)
            continue
        valores[i] = float(valor)
    if ruins:
        itens = [(serie.index[i], serie.iloc[i]) for i in ruins[:_LINHAS_NA_MENSAGEM]]
        _erro_de_coluna(entrada, itens, len(ruins), len(serie))
    return valores


def _escalar(valor):
    """Um array do numpy de dimensão 0 (o formato `inputs` do MLflow os produz) vira o seu valor."""
    if isinstance(valor, np.ndarray) and valor.ndim == 0:
        return valor.item()
    return valor


def _vazio(valor) -> bool:
    if valor is None or valor is pd.NA or valor is pd.NaT:
        return True
    return isinstance(valor, (float, np.floating)) and math.isnan(valor)


def _erro_de_coluna(entrada: Entrada, itens, n_ruins: int, n_linhas: int):
    detalhes = "; ".join(f"linha {indice}: {entrada.motivo_da_recusa(valor)}" for indice, valor in itens)
    resto = n_ruins - len(itens)
    if resto > 0:
        detalhes += f"; e mais {resto} linha(s)"
    raise _recusar(f"Entrada inválida na coluna '{entrada.nome}': deve ser um número "
                   f"{entrada.faixa()}. {n_ruins} de {n_linhas} linha(s) recusada(s) ({detalhes}).")


def codigo_para_o_modelo(pasta: str | Path) -> str:
    """Monta em `pasta` o mínimo de código que o modelo guardado leva consigo (`code_paths`).

    Cria `pasta/curso_mlops/` com um `__init__.py` vazio e uma cópia deste arquivo, e devolve
    esse caminho para `log_model(code_paths=[...])`. O MLflow copia a pasta para dentro do
    modelo e a põe no `sys.path` ao carregá-lo: o modelo funciona (num `mlflow models serve`,
    numa imagem Docker) sem o pacote do curso instalado.
    """
    destino = Path(pasta) / "curso_mlops"
    destino.mkdir(parents=True, exist_ok=True)
    (destino / "__init__.py").write_text(
        '"""Só o guarda do curso (guarda.py), copiado para dentro do modelo registrado."""\n',
        encoding="utf-8")
    shutil.copyfile(Path(__file__), destino / "guarda.py")
    return str(destino)


# -- o modelo guardado com dois sabores ------------------------------------------------------------
# Um modelo do MLflow pode ter vários sabores no mesmo MLmodel. A versão guardada tem dois:
# - `python_function`: o `ModeloGuardado`, que confere a entrada. É o que `mlflow models serve`,
#   `mlflow.pyfunc.load_model` e `mlflow models predict` usam;
# - `statsmodels`: o modelo base, o mesmo arquivo que o guarda embrulha (em `artifacts/`). É o que
#   `mlflow.statsmodels.load_model("models:/tempo_entrega@champion")`, a chamada da aula, devolve:
#   o objeto nativo do statsmodels, com coeficientes, resumo e intervalos de predição.
# Assim o champion é servido sempre guardado, e a chamada da aula funciona em qualquer etapa.


def save_model(path, mlflow_model=None, python_model=None, artifacts=None, **kwargs):
    """Salva o modelo guardado em `path` com os dois sabores (chamada por `Model.log`).

    Recebe o mesmo que `mlflow.pyfunc.save_model`, com o modelo base em
    `artifacts={ARTEFATO_BASE: <uri do modelo statsmodels>}`.
    """
    import mlflow.pyfunc
    from mlflow.models import Model

    if not isinstance(python_model, ModeloGuardado):
        raise ValueError("python_model precisa ser um ModeloGuardado.")
    if not artifacts or ARTEFATO_BASE not in artifacts:
        raise ValueError(f"artifacts precisa de {ARTEFATO_BASE!r}: a URI do modelo base (statsmodels).")
    mlflow_model = Model() if mlflow_model is None else mlflow_model
    mlflow.pyfunc.save_model(path=path, python_model=python_model, artifacts=artifacts,
                             mlflow_model=mlflow_model, **kwargs)
    raiz = Path(path)
    base = raiz / mlflow_model.flavors["python_function"]["artifacts"][ARTEFATO_BASE]["path"]
    sabor = Model.load(base / "MLmodel").flavors.get("statsmodels")
    if sabor is None:
        raise ValueError(f"o modelo base {artifacts[ARTEFATO_BASE]!r} não tem o sabor statsmodels.")
    dados = (base / sabor["data"]).relative_to(raiz).as_posix()
    mlflow_model.add_flavor("statsmodels", **{**sabor, "data": dados})
    mlflow_model.save(str(raiz / "MLmodel"))


def log_model(name: str, python_model: ModeloGuardado, artifacts: dict, **kwargs):
    """Como `mlflow.pyfunc.log_model`, e o modelo salvo leva também o sabor statsmodels do base.

    É o que todo `mlflow.<sabor>.log_model` faz por dentro: `mlflow.models.Model.log` com o
    módulo do sabor (aqui, este). Devolve o `ModelInfo` (com `model_uri = models:/m-...`).
    """
    import sys

    from mlflow.models import Model

    # Ao logar, o MLflow carrega o modelo salvo para validar o exemplo de entrada, e o Python
    # compilaria o guarda.py copiado para dentro do modelo (code/curso_mlops/__pycache__/).
    # Sem bytecode, o modelo logado tem os mesmos arquivos em qualquer máquina e Python
    # (com ou sem PYTHONDONTWRITEBYTECODE no ambiente).
    antes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        return Model.log(artifact_path=None, name=name, flavor=sys.modules[__name__],
                         python_model=python_model, artifacts=artifacts,
                         flavor_name="python_function", **kwargs)
    finally:
        sys.dont_write_bytecode = antes
