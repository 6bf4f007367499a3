"""Gera os dados simulados do curso de forma determinística (o `make data`).

    python scripts/make_data.py            # reescreve data/entregas.csv e data/producao/
    python scripts/make_data.py --saida X  # escreve em outra pasta (X/entregas.csv, X/producao/)

O script é só a porta de entrada; a simulação está aqui. Nada acontece na importação.

As regras da simulação estão documentadas em data/README.md. Mesma semente, mesmos bytes:
um teste regenera os arquivos numa pasta temporária e compara com os do repositório.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEMENTE = 20250303

# Histórico: 26 semanas da estação seca (segunda 03/03/2025 a domingo 31/08/2025).
INICIO_HISTORICO = pd.Timestamp("2025-03-03")
SEMANAS_HISTORICO = 26
PEDIDOS_HISTORICO = 2000

# Produção: 8 semanas depois do lançamento, a partir de segunda 01/09/2025.
INICIO_PRODUCAO = pd.Timestamp("2025-09-01")
SEMANAS_PRODUCAO = 8
PEDIDOS_POR_SEMANA = 240
# Na semana 5 (29/09/2025) começam as chuvas e a RapidoJá passa a atender a Zona Norte.
SEMANA_DA_MUDANCA = 5

DIAS = ["seg", "ter", "qua", "qui", "sex", "sab", "dom"]

# Regiões atendidas: participação nos pedidos e distância típica (km) até o restaurante.
REGIOES_HISTORICO = {"Centro": 0.30, "Zona Sul": 0.30, "Zona Oeste": 0.22, "Zona Leste": 0.18}
REGIOES_EXPANSAO = {"Centro": 0.20, "Zona Sul": 0.20, "Zona Oeste": 0.13, "Zona Leste": 0.08,
                    "Zona Norte": 0.39}
DISTANCIA_MEDIA = {"Centro": 3.0, "Zona Sul": 5.5, "Zona Oeste": 7.5, "Zona Leste": 9.5,
                   "Zona Norte": 15.0}

# Relação verdadeira (minutos). Só a simulação conhece estes números.
BASE = 7.8
MIN_POR_KM = 1.15
MIN_POR_KM_EXTRA_ZONA_NORTE = 0.35  # trânsito pior na região nova
EFEITO_CHUVA = 7.0
EFEITO_ITEM = 0.6                   # por item além do primeiro
EFEITO_PICO = 3.0                   # almoço (12h-13h) e jantar (19h-20h)
RUIDO_DP = 3.0

PROB_CHUVA_SECA = 0.10
PROB_CHUVA_CHUVOSA = 0.55

# Pesos das horas do dia: o app abre às 10h e fecha às 23h, com picos no almoço e no jantar.
PESO_HORA = {10: 2, 11: 6, 12: 12, 13: 10, 14: 5, 15: 3, 16: 3, 17: 5, 18: 9, 19: 13,
             20: 12, 21: 8, 22: 4}


def _pedidos(rng: np.random.Generator, inicio: pd.Timestamp, dias: int, n: int,
             regioes: dict[str, float], prob_chuva: float, primeiro_id: int) -> pd.DataFrame:
    """Sorteia n pedidos entre `inicio` e `inicio + dias`, já ordenados no tempo."""
    dia = rng.integers(0, dias, n)
    horas = np.array(list(PESO_HORA))
    pesos = np.array(list(PESO_HORA.values()), dtype=float)
    hora = rng.choice(horas, n, p=pesos / pesos.sum())
    minuto = rng.integers(0, 60, n)
    data_hora = inicio + pd.to_timedelta(dia, unit="D") + pd.to_timedelta(hora, unit="h") \
        + pd.to_timedelta(minuto, unit="min")
    nomes = list(regioes)
    regiao = rng.choice(nomes, n, p=np.array(list(regioes.values())))
    media = np.array([DISTANCIA_MEDIA[r] for r in regiao])
    distancia = np.clip(rng.gamma(shape=4.0, scale=media / 4.0), 0.5, 28.0)
    chuva = (rng.random(n) < prob_chuva).astype(int)
    itens = 1 + rng.poisson(1.5, n)
    pico = np.isin(hora, [12, 13, 19, 20]).astype(int)
    min_por_km = MIN_POR_KM + MIN_POR_KM_EXTRA_ZONA_NORTE * (regiao == "Zona Norte")
    tempo = (BASE + min_por_km * distancia + EFEITO_CHUVA * chuva + EFEITO_ITEM * (itens - 1)
             + EFEITO_PICO * pico + rng.normal(0.0, RUIDO_DP, n))
    df = pd.DataFrame({
        "data_hora": data_hora,
        "distancia": np.round(distancia, 1),
        "tempo_entrega": np.round(np.maximum(tempo, 4.0), 1),
        "chuva": chuva,
        "hora": hora,
        "itens": itens,
        "regiao": regiao,
    }).sort_values("data_hora", kind="stable").reset_index(drop=True)
    df["dia_semana"] = [DIAS[d] for d in df["data_hora"].dt.day_of_week]
    df.insert(0, "pedido_id", [f"P{primeiro_id + i:06d}" for i in range(n)])
    colunas = ["pedido_id", "data_hora", "dia_semana", "hora", "regiao", "distancia", "chuva",
               "itens", "tempo_entrega"]
    return df[colunas]


def _sujar(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """Acrescenta a sujeira que a aula de preparação limpa (ver data/README.md)."""
    df = df.copy()
    linhas = rng.permutation(len(df))
    faltando_dist, faltando_tempo = linhas[:8], linhas[8:14]
    negativa, absurda_dist, tempo_zero, tempo_sentinela = (linhas[14:18], linhas[18:20],
                                                          linhas[20:23], linhas[23:25])
    df.loc[faltando_dist, "distancia"] = np.nan
    df.loc[faltando_tempo, "tempo_entrega"] = np.nan
    df.loc[negativa, "distancia"] = -df.loc[negativa, "distancia"]
    df.loc[absurda_dist, "distancia"] = df.loc[absurda_dist, "distancia"] * 100  # vírgula perdida
    df.loc[tempo_zero, "tempo_entrega"] = 0.0
    df.loc[tempo_sentinela, "tempo_entrega"] = 999.0  # código de "não registrado"
    # Pedidos exportados duas vezes pelo sistema antigo: linhas repetidas, mesmo pedido_id.
    repetidas = df.loc[linhas[25:37]]
    df = pd.concat([df, repetidas]).sort_values(["data_hora", "pedido_id"], kind="stable")
    return df.reset_index(drop=True)


def _escrever(df: pd.DataFrame, caminho: Path) -> None:
    caminho.parent.mkdir(parents=True, exist_ok=True)
    texto = df.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d %H:%M")
    caminho.write_bytes(texto.encode("utf-8"))


def gerar(saida: Path) -> list[Path]:
    """Gera todos os arquivos em `saida` e devolve os caminhos escritos."""
    rng = np.random.default_rng(SEMENTE)
    historico = _pedidos(rng, INICIO_HISTORICO, 7 * SEMANAS_HISTORICO, PEDIDOS_HISTORICO,
                         REGIOES_HISTORICO, PROB_CHUVA_SECA, primeiro_id=1)
    historico = _sujar(rng, historico)
    escritos = [saida / "entregas.csv"]
    _escrever(historico, escritos[0])

    proximo_id = 100001
    for semana in range(1, SEMANAS_PRODUCAO + 1):
        mudou = semana >= SEMANA_DA_MUDANCA
        inicio = INICIO_PRODUCAO + pd.Timedelta(weeks=semana - 1)
        df = _pedidos(rng, inicio, 7, PEDIDOS_POR_SEMANA,
                      REGIOES_EXPANSAO if mudou else REGIOES_HISTORICO,
                      PROB_CHUVA_CHUVOSA if mudou else PROB_CHUVA_SECA, primeiro_id=proximo_id)
        proximo_id += PEDIDOS_POR_SEMANA
        caminho = saida / "producao" / f"semana_{semana:02d}.csv"
        _escrever(df, caminho)
        escritos.append(caminho)
    return escritos


def main(argv: list[str] | None = None) -> int:
    from .store import raiz_do_repositorio

    raiz = raiz_do_repositorio()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saida", type=Path, default=raiz / "data",
                        help="pasta de destino (padrão: data/ do repositório)")
    args = parser.parse_args(argv)
    for caminho in gerar(args.saida):
        relativo = caminho.relative_to(args.saida.parent) if caminho.is_relative_to(args.saida.parent) else caminho
        print(f"escrito: {relativo}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
