"""Os testes estatísticos do monitoramento (aula 07) e a incerteza do portão de promoção (aula 08).

Só encanamento com testes: os notebooks escolhem os testes, os limites e decidem.

**Drift nas entradas: um teste para cada tipo de variável.** O teste de Kolmogorov-Smirnov
(`scipy.stats.ks_2samp`) compara distribuições **contínuas**: com valores repetidos (uma
variável binária, contagens, horas inteiras) a distribuição do KS sob a hipótese nula não vale
mais, e o p-valor sai errado (conservador demais, em geral). Para as outras:

- **binária** (`chuva`, 0 ou 1): o **teste de duas proporções** (z com a proporção combinada):
  a fração de pedidos com chuva mudou?
- **discreta ou categórica** (`itens`, `hora`, `regiao`): o **qui-quadrado de homogeneidade**
  na tabela de contagens (referência × atual, uma coluna por categoria): as frações de cada
  categoria mudaram? Categorias com contagem esperada abaixo de 5 (a regra de Cochran) são
  juntadas numa só, "outras", para a aproximação do qui-quadrado valer.

`teste_de_deriva` escolhe pelo tipo.

**Incerteza de uma comparação: o bootstrap pareado.** Com 480 pedidos de teste, 75,8% de
entregas com erro de até 5 min está a cerca de 2 pontos (um erro padrão) da meta de 75%.
`bootstrap_pareado` reamostra os **mesmos pedidos** para os dois modelos (com reposição,
`reamostras` vezes, com semente fixa) e devolve o intervalo de percentis da diferença de uma
métrica: quanto o challenger melhora o champion, com a incerteza de ter só 480 pedidos.
`bootstrap` faz o mesmo para a métrica de um modelo só.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TIPOS = ("continua", "binaria", "discreta", "categorica")
MINIMO_ESPERADO = 5.0
LIMITE_ERRO_MIN = 5.0
REAMOSTRAS = 2000
SEMENTE = 0


@dataclass(frozen=True)
class Teste:
    """O resultado de um teste de duas amostras: nome, estatística, p-valor e graus de liberdade."""

    nome: str
    estatistica: float
    p_valor: float
    graus_de_liberdade: int | None = None


def _vetor(valores, nome: str) -> np.ndarray:
    vetor = np.asarray(valores).ravel()
    if vetor.size == 0:
        raise ValueError(f"{nome} está vazia: não há o que testar.")
    if vetor.dtype.kind in "fc" and np.isnan(vetor).any():
        raise ValueError(f"{nome} tem valores faltando (NaN); trate-os antes do teste.")
    return vetor


def duas_proporcoes(referencia, atual) -> Teste:
    """Teste z de duas proporções (bilateral) para uma variável 0/1.

    z = (p_a − p_r) / √(p (1 − p) (1/n_r + 1/n_a)), com p a proporção das duas amostras
    juntas. É o mesmo que o qui-quadrado 2×2 sem correção de continuidade (z² = χ²).
    """
    r, a = _vetor(referencia, "a referência"), _vetor(atual, "a amostra atual")
    for vetor, nome in ((r, "a referência"), (a, "a amostra atual")):
        if not np.isin(vetor, (0, 1)).all():
            raise ValueError(f"{nome} precisa ter só 0 e 1 para o teste de duas proporções.")
    n_r, n_a = len(r), len(a)
    p_r, p_a = r.mean(), a.mean()
    p = (r.sum() + a.sum()) / (n_r + n_a)
    if p in (0.0, 1.0):  # as duas amostras são toda 0 (ou toda 1): nada mudou
        return Teste("duas proporções", 0.0, 1.0)
    z = (p_a - p_r) / math.sqrt(p * (1 - p) * (1 / n_r + 1 / n_a))
    p_valor = math.erfc(abs(z) / math.sqrt(2))  # = 2 × (1 − Φ(|z|))
    return Teste("duas proporções", float(z), float(p_valor))


def tabela_de_contagens(referencia, atual, minimo_esperado: float = MINIMO_ESPERADO):
    """(categorias, tabela 2×k) das contagens, com as categorias raras juntadas em "outras".

    Uma categoria é rara quando a contagem esperada dela, em alguma das duas linhas, fica
    abaixo de `minimo_esperado`. As raras viram uma coluna só; se essa coluna ainda for rara,
    ela é somada à categoria mais frequente.
    """
    r, a = _vetor(referencia, "a referência"), _vetor(atual, "a amostra atual")
    categorias = sorted(set(r.tolist()) | set(a.tolist()), key=lambda c: (str(type(c)), c))
    tabela = np.array([[np.sum(r == c) for c in categorias],
                       [np.sum(a == c) for c in categorias]], dtype=float)
    esperado = np.outer(tabela.sum(1), tabela.sum(0)) / tabela.sum()
    raras = (esperado < minimo_esperado).any(axis=0)
    if raras.any() and (~raras).sum() >= 1:
        outras = tabela[:, raras].sum(axis=1, keepdims=True)
        tabela = np.hstack([tabela[:, ~raras], outras])
        categorias = [c for c, rara in zip(categorias, raras) if not rara] + ["outras"]
        esperado = np.outer(tabela.sum(1), tabela.sum(0)) / tabela.sum()
        if (esperado[:, -1] < minimo_esperado).any() and tabela.shape[1] > 2:
            maior = int(np.argmax(tabela[:, :-1].sum(axis=0)))
            tabela[:, maior] += tabela[:, -1]
            tabela = tabela[:, :-1]
            categorias = categorias[:-1]
    return categorias, tabela


def qui_quadrado(referencia, atual, minimo_esperado: float = MINIMO_ESPERADO) -> Teste:
    """Qui-quadrado de homogeneidade (sem correção) nas contagens por categoria.

    χ² = Σ (observado − esperado)² / esperado, com esperado = total da linha × total da coluna
    / total, e (k − 1) graus de liberdade para k categorias (depois de juntar as raras).
    """
    from scipy import stats

    _, tabela = tabela_de_contagens(referencia, atual, minimo_esperado)
    if tabela.shape[1] < 2:  # uma categoria só, nas duas amostras: nada a comparar
        return Teste("qui-quadrado", 0.0, 1.0, 0)
    esperado = np.outer(tabela.sum(1), tabela.sum(0)) / tabela.sum()
    qui2 = float(((tabela - esperado) ** 2 / esperado).sum())
    graus = tabela.shape[1] - 1
    return Teste("qui-quadrado", qui2, float(stats.chi2.sf(qui2, graus)), graus)


def ks(referencia, atual) -> Teste:
    """Kolmogorov-Smirnov de duas amostras (`scipy.stats.ks_2samp`), para variáveis contínuas."""
    from scipy import stats

    resultado = stats.ks_2samp(_vetor(referencia, "a referência").astype(float),
                               _vetor(atual, "a amostra atual").astype(float))
    return Teste("KS", float(resultado.statistic), float(resultado.pvalue))


def teste_de_deriva(referencia, atual, tipo: str) -> Teste:
    """O teste certo para o tipo da variável: KS, duas proporções ou qui-quadrado."""
    if tipo == "continua":
        return ks(referencia, atual)
    if tipo == "binaria":
        return duas_proporcoes(referencia, atual)
    if tipo in ("discreta", "categorica"):
        return qui_quadrado(referencia, atual)
    raise ValueError(f"tipo {tipo!r} desconhecido: use um de {', '.join(TIPOS)}.")


# -- incerteza das métricas de um modelo ------------------------------------------------------


@dataclass(frozen=True)
class Intervalo:
    """Uma estimativa com o seu intervalo de confiança (percentis do bootstrap)."""

    estimativa: float
    inferior: float
    superior: float
    nivel: float = 0.95

    def contem(self, valor: float) -> bool:
        return self.inferior <= valor <= self.superior

    def __str__(self) -> str:
        return (f"{self.estimativa:.2f} (IC {self.nivel:.0%}: {self.inferior:.2f} a "
                f"{self.superior:.2f})")


def _erros(observado, previsto) -> np.ndarray:
    y = np.asarray(observado, dtype=float).ravel()
    p = np.asarray(previsto, dtype=float).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError(f"observado e previsto precisam ter o mesmo tamanho, e não vazio "
                         f"(recebi {y.shape} e {p.shape}).")
    if np.isnan(y).any() or np.isnan(p).any():
        raise ValueError("há valores faltando (NaN) no observado ou no previsto.")
    return np.abs(y - p)


def _metrica(erros_abs: np.ndarray, metrica: str, limite: float) -> np.ndarray:
    """A métrica em cada linha de `erros_abs` (uma linha por reamostra)."""
    if metrica == "mae":
        return erros_abs.mean(axis=-1)
    if metrica == "pct_erro_ate_5min":
        return 100.0 * (erros_abs <= limite).mean(axis=-1)
    raise ValueError(f"métrica {metrica!r} desconhecida: use 'mae' ou 'pct_erro_ate_5min'.")


def _indices(n: int, reamostras: int, semente: int) -> np.ndarray:
    if reamostras < 100:
        raise ValueError("use pelo menos 100 reamostras no bootstrap.")
    return np.random.default_rng(semente).integers(0, n, size=(int(reamostras), n))


def _intervalo(estimativa: float, amostras: np.ndarray, nivel: float) -> Intervalo:
    if not 0 < nivel < 1:
        raise ValueError("o nível de confiança precisa estar entre 0 e 1.")
    alfa = (1 - nivel) / 2
    inferior, superior = np.quantile(amostras, [alfa, 1 - alfa])
    return Intervalo(float(estimativa), float(inferior), float(superior), nivel)


def bootstrap(observado, previsto, metrica: str = "mae", reamostras: int = REAMOSTRAS,
              semente: int = SEMENTE, nivel: float = 0.95, limite: float = LIMITE_ERRO_MIN) -> Intervalo:
    """A métrica de um modelo com o seu intervalo bootstrap (percentis)."""
    erros = _erros(observado, previsto)
    indices = _indices(len(erros), reamostras, semente)
    return _intervalo(float(_metrica(erros, metrica, limite)), _metrica(erros[indices], metrica, limite),
                      nivel)


def bootstrap_pareado(observado, previsto_a, previsto_b, metrica: str = "mae",
                      reamostras: int = REAMOSTRAS, semente: int = SEMENTE, nivel: float = 0.95,
                      limite: float = LIMITE_ERRO_MIN) -> Intervalo:
    """A diferença métrica(a) − métrica(b) nos mesmos pedidos, com o intervalo bootstrap.

    Cada reamostra sorteia os mesmos pedidos para os dois modelos (pareado): a variação que
    sobra é a da diferença entre eles, não a de cada um. Para "quanto o challenger erra a menos
    que o champion", passe o champion como `a` e o challenger como `b` na MAE.
    """
    erros_a = _erros(observado, previsto_a)
    erros_b = _erros(observado, previsto_b)
    indices = _indices(len(erros_a), reamostras, semente)
    estimativa = float(_metrica(erros_a, metrica, limite) - _metrica(erros_b, metrica, limite))
    amostras = _metrica(erros_a[indices], metrica, limite) - _metrica(erros_b[indices], metrica, limite)
    return _intervalo(estimativa, amostras, nivel)


# O nome do teste que `teste_de_deriva` usa para cada tipo (para tabelas e textos).
NOME_DO_TESTE = {"continua": "KS", "binaria": "duas proporções", "discreta": "qui-quadrado",
                 "categorica": "qui-quadrado"}
