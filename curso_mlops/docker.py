"""O Dockerfile de um modelo, como `mlflow models generate-dockerfile`, sem abrir outro processo.

    from curso_mlops import docker
    docker.gerar_dockerfile("models:/tempo_entrega@champion", "pasta")

Equivale a

    mlflow models generate-dockerfile -m <modelo> -d <pasta> --env-manager local

e chama o mesmo código que esse comando chama (o *backend* do sabor `python_function`): a
pasta recebe o `Dockerfile` e o modelo em `model_dir/`. Subir o CLI do MLflow custaria alguns
segundos só para importar o MLflow de novo. Nada acontece na importação.
"""

from __future__ import annotations

import logging
from pathlib import Path


def gerar_dockerfile(model_uri: str, pasta: str | Path) -> Path:
    """Gera o Dockerfile de `model_uri` em `pasta` e devolve o caminho do arquivo."""
    from mlflow.models.flavor_backend_registry import get_flavor_backend

    pasta = Path(pasta)
    # O comando escreve no log qual *backend* escolheu ("Selected backend for flavor..."), com
    # data e hora; aqui isso não ensina nada.
    registro = logging.getLogger("mlflow.models.flavor_backend_registry")
    nivel = registro.level
    registro.setLevel(logging.WARNING)
    try:
        backend = get_flavor_backend(model_uri, docker_build=True, env_manager="local")
    finally:
        registro.setLevel(nivel)
    # Os mesmos padrões do comando: sem Java e sem instalar o MLflow de um diretório local.
    backend.generate_dockerfile(model_uri, str(pasta), mlflow_home=None, install_java=False,
                                install_mlflow=False)
    return pasta / "Dockerfile"
