"""Uma cópia do store da 1ª execução do curso para cada teste que grava nele.

    def test_algo(store_do_curso):            # uma cópia só deste teste: pode gravar à vontade
        cliente = store_do_curso.cliente()

A 1ª execução é a compartilhada da sessão (`curso_uma_vez`, tests/conftest.py: a do nbval, ou
uma pelo executor), com as células de resposta. A cópia troca, no banco, os caminhos da pasta
original pelos da cópia (`copiar_store`): o que um teste grava não aparece em outro.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import copiar_store


@dataclass
class StoreDoCurso:
    pasta: Path
    uri: str

    def cliente(self):
        from mlflow import MlflowClient

        return MlflowClient(self.uri, registry_uri=self.uri)


@pytest.fixture
def store_do_curso(curso_uma_vez, tmp_path) -> StoreDoCurso:
    """Uma cópia do store da 1ª execução do curso, só para este teste."""
    pasta = tmp_path / "store"
    return StoreDoCurso(pasta, copiar_store(curso_uma_vez.pasta, pasta))
