"""Os requisitos de pip dos modelos que o curso registra, de uma fonte única.

`mlflow.<flavor>.log_model` sem `pip_requirements` infere o ambiente importando o modelo
num processo à parte: custa segundos por chamada. O curso passa a lista explícita, tirada
das versões fixadas em requirements.txt (a mesma fonte do .venv). Um pacote que não estiver
fixado lá entra com a versão instalada (hoje todos os de PACOTES_DO_MODELO estão fixados).
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from .store import raiz_do_repositorio

# O que um modelo statsmodels de fórmula precisa para ser carregado e servido.
PACOTES_DO_MODELO = ("mlflow", "statsmodels", "pandas", "numpy", "scipy", "patsy", "formulaic")

_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)")


def _normalizar(nome: str) -> str:
    return re.sub(r"[-_.]+", "-", nome.split("[")[0]).lower()


def versoes_fixadas(arquivo: str | Path | None = None) -> dict[str, str]:
    """{pacote: versão} de cada linha `pacote==versão` do requirements.txt."""
    arquivo = Path(arquivo) if arquivo else raiz_do_repositorio() / "requirements.txt"
    versoes = {}
    for linha in arquivo.read_text(encoding="utf-8").splitlines():
        casamento = _PIN.match(linha)
        if casamento:
            versoes[_normalizar(casamento.group(1))] = casamento.group(2)
    return versoes


def requisitos_do_modelo(pacotes: tuple[str, ...] = PACOTES_DO_MODELO,
                         arquivo: str | Path | None = None) -> list[str]:
    """Lista `pacote==versão` para `pip_requirements` de `log_model`."""
    fixadas = versoes_fixadas(arquivo)
    requisitos = []
    for pacote in pacotes:
        versao = fixadas.get(_normalizar(pacote))
        if versao is None:
            try:
                versao = metadata.version(pacote)
            except metadata.PackageNotFoundError:
                raise RuntimeError(
                    f"O pacote {pacote!r} não está fixado em requirements.txt nem instalado; "
                    "rode `make venv` para recriar o ambiente.") from None
        requisitos.append(f"{pacote}=={versao}")
    return requisitos
