"""Configuração do pytest para o repositório inteiro (testes e nbval dos notebooks).

Toda a sessão de testes usa um store do MLflow novo e temporário: os testes nunca tocam no
store do usuário (mlflow.db da raiz ou MLFLOW_TRACKING_URI), e o nbval estrito compara as
saídas guardadas com uma execução num store vazio, como o `make notebooks` as gerou.
"""

import os
import shutil
import tempfile
from pathlib import Path

_PASTA_DO_STORE = None


def pytest_configure(config):
    global _PASTA_DO_STORE
    _PASTA_DO_STORE = Path(tempfile.mkdtemp(prefix="curso-testes-"))
    os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///" + (_PASTA_DO_STORE / "mlflow.db").as_posix()
    # O mesmo ambiente de kernel que o executor usa para gerar as saídas guardadas.
    from curso_mlops.notebooks import AMBIENTE_DE_EXECUCAO

    os.environ.update(AMBIENTE_DE_EXECUCAO)
    # Um ALUNO exportado no terminal (turma com servidor) não entra nos testes: eles conferem
    # os nomes da aula, e os que precisam de um aluno o passam explicitamente.
    os.environ.pop("ALUNO", None)


def pytest_unconfigure(config):
    if _PASTA_DO_STORE is not None:
        shutil.rmtree(_PASTA_DO_STORE, ignore_errors=True)
