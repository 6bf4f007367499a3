"""Utilitários compartilhados pelos testes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parent.parent


@pytest.fixture
def raiz() -> Path:
    return RAIZ


def rodar(args, cwd=RAIZ, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Roda um comando Python do repositório e devolve o resultado com stdout/stderr em texto."""
    ambiente = dict(os.environ if env is None else env)
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=ambiente,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def rodar_script():
    return rodar


def _estado(caminho: Path):
    return caminho.stat().st_mtime_ns if caminho.exists() else None


@pytest.fixture(scope="session")
def curso_executado(tmp_path_factory, rodar_script):
    """O curso inteiro executado DUAS vezes, pelo executor, num mesmo store SQLite novo.

    Devolve um dicionário com `pasta`, `uri` (o store) e `resultados` (um CompletedProcess
    por execução; os notebooks executados ficam em pasta/executados1 e pasta/executados2).
    Os testes que conferem o que as aulas gravaram no store usam este, para não executar o
    curso de novo. Ao fim, o store do usuário (mlflow.db da raiz) não pode ter mudado.
    """
    banco_do_usuario = RAIZ / "mlflow.db"
    antes = _estado(banco_do_usuario)
    pasta = tmp_path_factory.mktemp("curso")
    (pasta / "store").mkdir()
    uri = "sqlite:///" + (pasta / "store" / "mlflow.db").as_posix()
    resultados = [rodar_script(["scripts/run_course.py", "--tracking-uri", uri,
                                "--saida", pasta / f"executados{vez}"], timeout=1500)
                  for vez in (1, 2)]
    assert _estado(banco_do_usuario) == antes, "o curso mexeu no store do usuário"
    return {"pasta": pasta, "uri": uri, "resultados": resultados}
