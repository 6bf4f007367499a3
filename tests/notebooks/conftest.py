"""O curso executado uma vez num store novo, e uma cópia desse store para cada teste.

    def test_algo(store_do_curso):            # uma cópia só deste teste: pode gravar à vontade
        cliente = store_do_curso.cliente()

`curso_uma_vez` roda o curso inteiro (com as respostas) uma vez por sessão, pelo executor
(`scripts/run_course.py --tracking-uri ... --saida ...`). `store_do_curso` copia o banco e os
artefatos para a pasta do teste e troca, no banco, os caminhos da pasta original pelos da cópia:
o que um teste grava não aparece em outro. Para usar outra execução do curso (a compartilhada
da suíte, por exemplo), troque só `curso_uma_vez`: ele devolve a pasta do store e a dos
notebooks executados.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class StoreDoCurso:
    pasta: Path

    @property
    def banco(self) -> Path:
        return self.pasta / "mlflow.db"

    @property
    def uri(self) -> str:
        return "sqlite:///" + self.banco.as_posix()

    def cliente(self):
        from mlflow import MlflowClient

        return MlflowClient(self.uri, registry_uri=self.uri)


@pytest.fixture(scope="session")
def curso_uma_vez(tmp_path_factory, rodar_script):
    """O curso inteiro, uma vez, num SQLite novo: {'store': pasta do store, 'executados': pasta}."""
    pasta = tmp_path_factory.mktemp("curso-uma-vez")
    (pasta / "store").mkdir()
    uri = "sqlite:///" + (pasta / "store" / "mlflow.db").as_posix()
    resultado = rodar_script(["scripts/run_course.py", "--tracking-uri", uri,
                              "--saida", pasta / "executados"], timeout=1500)
    assert resultado.returncode == 0, resultado.stdout[-3000:] + resultado.stderr[-3000:]
    return {"store": pasta / "store", "executados": pasta / "executados", "uri": uri}


def copiar_store(origem: Path, destino: Path) -> StoreDoCurso:
    """Copia mlflow.db e mlartifacts/ e troca, em todo texto do banco, o caminho da pasta."""
    shutil.copytree(origem, destino)
    antigo, novo = Path(origem).absolute().as_posix(), Path(destino).absolute().as_posix()
    with sqlite3.connect(destino / "mlflow.db") as conexao:
        tabelas = [t for (t,) in conexao.execute("select name from sqlite_master where type = 'table'")]
        for tabela in tabelas:
            for coluna in conexao.execute(f'pragma table_info("{tabela}")').fetchall():
                nome, tipo = coluna[1], (coluna[2] or "").upper()
                if "CHAR" in tipo or "TEXT" in tipo or tipo == "":
                    conexao.execute(f'update "{tabela}" set "{nome}" = replace("{nome}", ?, ?) '
                                    f'where "{nome}" like ?', (antigo, novo, f"%{antigo}%"))
    return StoreDoCurso(Path(destino))


@pytest.fixture
def store_do_curso(curso_uma_vez, tmp_path) -> StoreDoCurso:
    """Uma cópia do store do curso só para este teste."""
    return copiar_store(curso_uma_vez["store"], tmp_path / "store")
