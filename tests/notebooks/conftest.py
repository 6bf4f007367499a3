"""Fixtures das aulas: um store em que o curso já rodou, e um jeito de rodar uma aula nele."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[2]


def _rodar(args, timeout=900):
    return subprocess.run([sys.executable, *map(str, args)], cwd=RAIZ, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def store_depois_do_curso(tmp_path_factory):
    """A pasta de um store SQLite novo em que o curso inteiro rodou uma vez."""
    pasta = tmp_path_factory.mktemp("curso-uma-vez")
    uri = "sqlite:///" + (pasta / "mlflow.db").as_posix()
    resultado = _rodar(["scripts/run_course.py", "--tracking-uri", uri, "--saida", pasta / "executados"],
                       timeout=1800)
    assert resultado.returncode == 0, resultado.stderr[-3000:]
    return pasta


@pytest.fixture(scope="session")
def copiar_store(store_depois_do_curso, tmp_path_factory):
    """copiar_store(nome) -> (uri, pasta): uma cópia do store em que o curso rodou."""
    def copiar(nome: str):
        destino = tmp_path_factory.mktemp(nome)
        shutil.copyfile(store_depois_do_curso / "mlflow.db", destino / "mlflow.db")
        shutil.copytree(store_depois_do_curso / "mlartifacts", destino / "mlartifacts")
        return "sqlite:///" + (destino / "mlflow.db").as_posix(), destino
    return copiar


@pytest.fixture(scope="session")
def rodar_aula():
    """rodar_aula(numero, uri, saida) -> CompletedProcess: uma aula pelo executor do curso."""
    def rodar(numero: str, uri: str, saida: Path):
        return _rodar(["scripts/run_course.py", numero, "--tracking-uri", uri, "--saida", saida])
    return rodar
