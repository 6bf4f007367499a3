"""Leitura dos dados do curso com um contrato: colunas, tipos e faixas de valores.

Dois níveis, porque a aula de preparação precisa ver a sujeira antes de limpá-la:

- `ler_csv` confere a estrutura: o arquivo existe, é um CSV legível, tem as colunas do
  contrato e cada coluna tem o tipo certo (valores faltando são aceitos).
- `validar` confere as regras de conteúdo: sem valores faltando, faixas possíveis, valores
  permitidos e `pedido_id` sem repetição.

Toda violação levanta `ErroDeContrato`, com mensagem em português que nomeia o arquivo, a
coluna e a regra.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .store import raiz_do_repositorio


@dataclass(frozen=True)
class Coluna:
    nome: str
    tipo: str  # "texto", "data_hora", "inteiro" ou "real"
    descricao: str
    unidade: str = ""
    minimo: float | None = None
    maximo: float | None = None
    valores: tuple[str, ...] | None = None
    minimo_exclusivo: bool = False


DIAS_DA_SEMANA = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")

# O contrato dos pedidos: vale para o histórico (data/entregas.csv) e para as semanas de
# produção (data/producao/semana_XX.csv). As faixas dizem o que é *possível*, não o que é
# comum: uma entrega de 0 minutos ou a -3 km é impossível; uma de 25 km é só rara.
CONTRATO_ENTREGAS: tuple[Coluna, ...] = (
    Coluna("pedido_id", "texto", "identificador único do pedido"),
    Coluna("data_hora", "data_hora", "data e hora em que o pedido foi feito"),
    Coluna("dia_semana", "texto", "dia da semana do pedido", valores=DIAS_DA_SEMANA),
    Coluna("hora", "inteiro", "hora do dia do pedido", "h", 0, 23),
    Coluna("regiao", "texto", "região da cidade onde o cliente está"),
    Coluna("distancia", "real", "distância entre restaurante e cliente", "km", 0, 50,
           minimo_exclusivo=True),
    Coluna("chuva", "inteiro", "1 se chovia na hora do pedido, 0 se não", "", 0, 1),
    Coluna("itens", "inteiro", "quantidade de itens do pedido", "", 1, 30),
    Coluna("tempo_entrega", "real", "minutos entre o pedido e a entrega (o alvo)", "min", 1, 180),
)


class ErroDeDados(ValueError):
    """Um arquivo de dados não pode ser lido."""


class ErroDeContrato(ErroDeDados):
    """Os dados violam o contrato. A mensagem nomeia o arquivo, a coluna e a regra."""

    def __init__(self, arquivo: str, coluna: str, regra: str, detalhe: str):
        self.arquivo, self.coluna, self.regra, self.detalhe = arquivo, coluna, regra, detalhe
        super().__init__(f"{arquivo}: a coluna '{coluna}' viola a regra \"{regra}\": {detalhe}")


def caminho_dados(*partes: str) -> Path:
    """Caminho dentro de data/ do repositório, seja qual for a pasta de trabalho."""
    return raiz_do_repositorio().joinpath("data", *partes)


def _nome(caminho: Path) -> str:
    """Nome do arquivo para mensagens: relativo ao repositório quando possível, sem a máquina."""
    caminho = Path(caminho)
    try:
        return caminho.resolve().relative_to(raiz_do_repositorio()).as_posix()
    except ValueError:
        return caminho.name


def _linhas(mascara: pd.Series, limite: int = 5) -> str:
    """'linha 3' ou 'linhas 3, 7 e mais 2': onde a máscara é verdadeira (o cabeçalho é a 1)."""
    indices = [int(i) + 2 for i in mascara[mascara].index[:limite]]
    resto = int(mascara.sum()) - len(indices)
    texto = ", ".join(str(i) for i in indices) + (f" e mais {resto}" if resto > 0 else "")
    return ("linha " if int(mascara.sum()) == 1 else "linhas ") + texto


def _descrever_regra_de_faixa(col: Coluna) -> str:
    abre = "(" if col.minimo_exclusivo else "["
    unidade = f" {col.unidade}" if col.unidade else ""
    return f"valores em {abre}{col.minimo:g}, {col.maximo:g}]{unidade}"


def ler_csv(caminho: str | Path, contrato: tuple[Coluna, ...] = CONTRATO_ENTREGAS) -> pd.DataFrame:
    """Lê um CSV de pedidos conferindo a estrutura (colunas e tipos). Aceita valores faltando."""
    caminho = Path(caminho)
    nome = _nome(caminho)
    if not caminho.is_file():
        raise ErroDeDados(
            f"{nome}: arquivo não encontrado. Os dados do curso ficam em data/; "
            "para recriá-los, rode `python scripts/make_data.py` na raiz do repositório."
        )
    try:
        with warnings.catch_warnings():
            # Linha com colunas a mais: o pandas avisaria e descartaria dados; aqui é erro.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            bruto = pd.read_csv(caminho, dtype=str, keep_default_na=False, na_values=[""],
                                index_col=False)
    except pd.errors.EmptyDataError:
        raise ErroDeDados(f"{nome}: o arquivo está vazio, sem nem o cabeçalho.") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as erro:
        primeira = str(erro).strip().splitlines()[0]
        raise ErroDeDados(f"{nome}: não é um CSV legível ({primeira}).") from None

    esperadas = [c.nome for c in contrato]
    faltando = [c for c in esperadas if c not in bruto.columns]
    if faltando:
        sobrando = [c for c in bruto.columns if c not in esperadas]
        dica = f" Colunas que o contrato não conhece: {sobrando} (renomeadas?)." if sobrando else ""
        raise ErroDeContrato(nome, faltando[0], "coluna obrigatória",
                             f"não existe no arquivo (faltam {faltando}).{dica}")

    df = pd.DataFrame(index=bruto.index)
    for col in contrato:
        texto = bruto[col.nome]
        presentes = texto.notna()
        if col.tipo == "texto":
            df[col.nome] = texto
            continue
        if col.tipo == "data_hora":
            valores = pd.to_datetime(texto, format="%Y-%m-%d %H:%M", errors="coerce")
            regra = "data e hora no formato AAAA-MM-DD HH:MM"
        else:
            valores = pd.to_numeric(texto, errors="coerce")
            regra = "número inteiro" if col.tipo == "inteiro" else "número"
        invalidos = presentes & valores.isna()
        if col.tipo == "inteiro":
            invalidos |= presentes & valores.notna() & (valores % 1 != 0)
        if invalidos.any():
            exemplo = texto[invalidos].iloc[0]
            raise ErroDeContrato(nome, col.nome, f"tipo: {regra}",
                                 f"valor {exemplo!r} na {_linhas(invalidos)}.")
        if col.tipo == "inteiro" and not valores.isna().any():
            valores = valores.astype("int64")
        df[col.nome] = valores
    df.attrs["arquivo"] = nome
    return df


def _violacoes(df: pd.DataFrame, nome: str, contrato: tuple[Coluna, ...]):
    """Cada regra de conteúdo do contrato, em ordem: (coluna, regra, máscara, detalhe)."""
    for col in contrato:
        if col.nome not in df.columns:
            raise ErroDeContrato(nome, col.nome, "coluna obrigatória", "não existe nos dados.")
        serie = df[col.nome]
        faltando = serie.isna()
        yield (col.nome, "sem valores faltando", faltando,
               lambda m: f"{int(m.sum())} valor(es) faltando ({_linhas(m)}).")
        if col.minimo is not None:
            abaixo = serie <= col.minimo if col.minimo_exclusivo else serie < col.minimo
            fora = (abaixo | (serie > col.maximo)) & ~faltando
            yield (col.nome, _descrever_regra_de_faixa(col), fora,
                   lambda m, s=serie: f"{int(m.sum())} valor(es) impossível(is), como "
                                      f"{s[m].iloc[0]:g} ({_linhas(m)}).")
        if col.valores is not None:
            fora = ~serie.isin(col.valores) & ~faltando
            yield (col.nome, f"valores permitidos {list(col.valores)}", fora,
                   lambda m, s=serie: f"valor {s[m].iloc[0]!r} ({_linhas(m)}).")
    if "pedido_id" in df.columns:
        repetidos = df["pedido_id"].duplicated(keep="first")
        yield ("pedido_id", "identificador único", repetidos,
               lambda m: f"{int(m.sum())} pedido(s) repetido(s) ({_linhas(m)}).")


def validar(df: pd.DataFrame, arquivo: str | None = None,
            contrato: tuple[Coluna, ...] = CONTRATO_ENTREGAS) -> pd.DataFrame:
    """Confere as regras de conteúdo do contrato e devolve o próprio DataFrame."""
    nome = arquivo or df.attrs.get("arquivo", "dados")
    for coluna, regra, mascara, detalhe in _violacoes(df, nome, contrato):
        if mascara.any():
            raise ErroDeContrato(nome, coluna, regra, detalhe(mascara))
    return df


def filtrar_validos(df: pd.DataFrame, contrato: tuple[Coluna, ...] = CONTRATO_ENTREGAS
                    ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Tira as linhas que violam alguma regra do contrato (repetidos: fica a primeira).

    Devolve os dados restantes e quantas linhas cada regra tirou, na ordem do contrato (uma
    linha conta só na primeira regra que a tira). É a limpeza genérica, guiada só pelo
    contrato, usada pelo treino empacotado (MLproject); a aula 02 escreve as suas regras.
    """
    nome = df.attrs.get("arquivo", "dados")
    restantes = pd.Series(True, index=df.index)
    contagem: dict[str, int] = {}
    for coluna, regra, mascara, _ in _violacoes(df, nome, contrato):
        tirar = mascara & restantes
        if regra == "identificador único":  # repetidos entre as linhas que sobraram
            tirar = df["pedido_id"].where(restantes).duplicated(keep="first") & restantes
        if tirar.any():
            contagem[f"{coluna}: {regra}"] = int(tirar.sum())
        restantes &= ~tirar
    limpo = df[restantes]
    return validar(limpo, nome, contrato), contagem


def carregar(caminho: str | Path, estrito: bool = True) -> pd.DataFrame:
    """Lê um CSV de pedidos; com `estrito=True` também aplica as regras de conteúdo."""
    df = ler_csv(caminho)
    return validar(df) if estrito else df


def carregar_entregas(estrito: bool = True) -> pd.DataFrame:
    """O histórico de pedidos, data/entregas.csv (ele tem sujeira: use estrito=False)."""
    return carregar(caminho_dados("entregas.csv"), estrito=estrito)


def semanas_de_producao() -> list[Path]:
    """Os arquivos data/producao/semana_XX.csv, em ordem."""
    return sorted(caminho_dados("producao").glob("semana_*.csv"))


def carregar_semana(numero: int) -> pd.DataFrame:
    """Uma semana de produção (já validada: o sistema novo exporta dados limpos)."""
    return carregar(caminho_dados("producao", f"semana_{int(numero):02d}.csv"))


def versao_dos_dados(caminho: str | Path) -> str:
    """Impressão digital curta de um arquivo (SHA-256, 12 dígitos): muda se um byte mudar."""
    return hashlib.sha256(Path(caminho).read_bytes()).hexdigest()[:12]


def baixar_preparados(run_id: str, tracking_uri: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """O treino e o teste que a run de preparação (aula 02) guardou, relidos com o contrato.

    Baixa `dados/treino.csv` e `dados/teste.csv` da run para uma pasta temporária, confere a
    estrutura e o conteúdo (`ler_csv` e `validar`) e devolve (treino, teste).
    """
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory() as pasta:
        baixados = Path(mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="dados", dst_path=pasta, tracking_uri=tracking_uri))
        return tuple(validar(ler_csv(baixados / f"{nome}.csv"), f"{nome}.csv da run de preparação")
                     for nome in ("treino", "teste"))
