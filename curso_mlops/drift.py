"""Estatísticas de *drift* e a regra de alerta do monitoramento (aula 07).

Só encanamento com testes: o notebook mostra a fórmula, escolhe os limites e decide.

PSI (*Population Stability Index*), com as faixas fixadas na referência::

    PSI = Σ_i (a_i − r_i) · ln(a_i / r_i)

- `r_i` é a fração da **referência** (os dados de treino do modelo) na faixa i, e `a_i` a
  fração dos dados **atuais** (uma semana de produção) na mesma faixa;
- as faixas saem dos quantis da referência (por padrão 10, os decis), calculados uma vez e
  usados para todas as semanas. Assim cada semana é medida com a mesma régua;
- as faixas das pontas são abertas: a primeira vai de −∞ ao primeiro corte e a última do
  último corte a +∞. Um valor fora de tudo o que o treino viu (28 km quando o treino foi até
  26,4 km) cai na última faixa, em vez de sumir da conta;
- cada faixa é fechada à direita, (c_i, c_{i+1}]. Em variáveis discretas (como `chuva`, 0 ou
  1), quantis repetidos viram um corte só, e o número de faixas diminui: `chuva` fica com
  duas, "sem chuva" (≤ 0) e "com chuva" (> 0);
- uma faixa vazia teria fração 0 e o logaritmo explodiria. Toda fração menor que
  `EPSILON` (0,0001, ou 0,01%) é trocada por `EPSILON`, dos dois lados, antes da conta.
  Uma faixa vazia nas duas distribuições contribui com zero.

Distribuições iguais dão PSI = 0. A regra de bolso usada no mercado (e nos padrões daqui):
abaixo de 0,1 a população está estável; de 0,1 a 0,2, mudança moderada (atenção); acima de
0,2, mudança significativa (alerta).

A regra de alerta (`alertas`) transforma uma tabela com um número por semana e uma lista de
limites num alerta por semana, com os motivos escritos.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

FAIXAS = 10           # quantis da referência: 10 faixas (decis)
EPSILON = 1e-4        # fração mínima de uma faixa, para o logaritmo não explodir
LIMITE_PSI_ATENCAO = 0.1
LIMITE_PSI = 0.2      # acima disto, mudança significativa: alerta


def _valores(dados, nome: str) -> np.ndarray:
    valores = np.asarray(dados, dtype=float).ravel()
    if valores.size == 0:
        raise ValueError(f"{nome} está vazia: não há distribuição para comparar.")
    if np.isnan(valores).any():
        raise ValueError(f"{nome} tem valores faltando (NaN); trate-os antes de medir o drift.")
    return valores


def cortes_da_referencia(referencia, faixas: int = FAIXAS) -> np.ndarray:
    """Os cortes internos das faixas: os quantis 1/faixas, 2/faixas... da referência, sem repetição.

    Cada corte é um valor da referência: o menor x com pelo menos a fração q dos dados ≤ x.

    Com `faixas=10`, são os 9 decis internos (10%, 20% ... 90%), que definem 10 faixas. As
    pontas não entram: a primeira e a última faixa são abertas (−∞ e +∞).
    """
    if int(faixas) < 2:
        raise ValueError("são precisas pelo menos 2 faixas.")
    ref = _valores(referencia, "a referência")
    quantis = np.linspace(0.0, 1.0, int(faixas) + 1)[1:-1]
    # "inverted_cdf": o corte do quantil q é o menor valor x da referência com F(x) ≥ q, um
    # valor que existe nos dados (sem interpolar entre 0 e 1 numa variável como `chuva`).
    return np.unique(np.quantile(ref, quantis, method="inverted_cdf"))


def proporcoes(valores, cortes) -> np.ndarray:
    """Fração dos valores em cada faixa (−∞, c1], (c1, c2], ..., (ck, +∞). Soma 1."""
    valores = _valores(valores, "a amostra")
    cortes = np.asarray(cortes, dtype=float)
    faixa = np.searchsorted(cortes, valores, side="left")  # v ≤ c1 -> 0; c1 < v ≤ c2 -> 1 ...
    return np.bincount(faixa, minlength=len(cortes) + 1) / len(valores)


def tabela_psi(referencia, atual, faixas: int = FAIXAS, epsilon: float = EPSILON) -> pd.DataFrame:
    """A conta do PSI faixa a faixa: limites, frações (com o epsilon) e a contribuição de cada uma."""
    if not 0 < epsilon < 1:
        raise ValueError("epsilon precisa estar entre 0 e 1.")
    cortes = cortes_da_referencia(referencia, faixas)
    r = np.clip(proporcoes(referencia, cortes), epsilon, None)
    a = np.clip(proporcoes(atual, cortes), epsilon, None)
    bordas = np.concatenate([[-np.inf], cortes, [np.inf]])
    return pd.DataFrame({
        "de": bordas[:-1],          # exclusive
        "ate": bordas[1:],          # inclusive
        "referencia": r,
        "atual": a,
        "contribuicao": (a - r) * np.log(a / r),
    })


def psi(referencia, atual, faixas: int = FAIXAS, epsilon: float = EPSILON) -> float:
    """PSI da amostra `atual` contra a `referencia`, com as faixas fixadas na referência."""
    return float(tabela_psi(referencia, atual, faixas, epsilon)["contribuicao"].sum())


def nivel_psi(valor: float, atencao: float = LIMITE_PSI_ATENCAO, alerta: float = LIMITE_PSI) -> str:
    """'estável' (< atencao), 'atenção' (até `alerta`) ou 'alerta' (> alerta)."""
    if valor > alerta:
        return "alerta"
    if valor >= atencao:
        return "atenção"
    return "estável"


@dataclass(frozen=True)
class Limite:
    """Um limite da regra de alerta: alerta quando `tabela[coluna]` passa de `valor` no `sentido`.

    `sentido` é ">" (alerta se o número for maior que o limite: PSI, MAE) ou "<" (alerta se
    for menor: a % de entregas com erro até 5 min).
    """

    coluna: str
    sentido: str
    valor: float

    def __post_init__(self):
        if self.sentido not in (">", "<"):
            raise ValueError(f"sentido deve ser '>' ou '<', não {self.sentido!r}.")

    def violado(self, serie: pd.Series) -> pd.Series:
        return serie > self.valor if self.sentido == ">" else serie < self.valor

    def __str__(self) -> str:
        return f"{self.coluna} {self.sentido} {self.valor:g}"


def alertas(tabela: pd.DataFrame, limites) -> pd.DataFrame:
    """Aplica os limites a uma tabela com uma linha por semana.

    `limites` é uma lista de `Limite` ou um dicionário {coluna: (sentido, valor)}. Devolve,
    com o mesmo índice da tabela, uma coluna booleana por limite (nomeada pelo limite, como
    "psi_distancia > 0.2"), a coluna `alerta` (algum limite violado) e a coluna `motivos`,
    o texto com os valores que violaram ("mae = 6.23 > 5"), vazio quando não há alerta.
    Um valor faltando (NaN) nunca dispara alerta.
    """
    if isinstance(limites, Mapping):
        limites = [Limite(coluna, sentido, valor) for coluna, (sentido, valor) in limites.items()]
    limites = list(limites)
    if not limites:
        raise ValueError("a regra de alerta precisa de pelo menos um limite.")
    faltando = [l.coluna for l in limites if l.coluna not in tabela.columns]
    if faltando:
        raise ValueError(f"a tabela não tem as colunas {faltando} que os limites usam.")
    resultado = pd.DataFrame(index=tabela.index)
    for limite in limites:
        resultado[str(limite)] = limite.violado(tabela[limite.coluna]).fillna(False).astype(bool)
    resultado["alerta"] = resultado[[str(l) for l in limites]].any(axis=1)

    def motivos(indice) -> str:
        return "; ".join(f"{l.coluna} = {tabela.at[indice, l.coluna]:.2f} {l.sentido} {l.valor:g}"
                         for l in limites if resultado.at[indice, str(l)])

    resultado["motivos"] = [motivos(i) for i in tabela.index]
    return resultado


def inicio_persistente(alerta: pd.Series):
    """O primeiro índice a partir do qual **todas** as linhas têm alerta; None se a última não tem.

    Um alerta isolado que some na semana seguinte não marca o início de uma degradação;
    um que se repete até hoje, sim.
    """
    valores = alerta.astype(bool).to_numpy()
    if len(valores) == 0 or not valores[-1]:
        return None
    inicio = len(valores) - 1
    while inicio > 0 and valores[inicio - 1]:
        inicio -= 1
    return alerta.index[inicio]
