"""O pacote curso_mlops inteiro: importar qualquer módulo não faz nada.

Nenhum arquivo criado, nenhuma variável de ambiente alterada, nenhum processo iniciado, seja
qual for o módulo (a lista vem do `pkgutil`: um módulo novo entra sozinho no teste).
"""

import json
import os
import pkgutil
import subprocess
import sys

import pytest

import curso_mlops

MODULOS = sorted(m.name for m in pkgutil.iter_modules(curso_mlops.__path__, "curso_mlops."))


def test_ha_modulos():
    assert {"curso_mlops.processos", "curso_mlops.executor", "curso_mlops.store"} <= set(MODULOS)


# Um processo só importa cada módulo, um depois do outro, e anota o que mudou depois de cada
# import (subir o Python e o MLflow uma vez por módulo custaria ~3 s cada).
_VERIFICADOR = """
import json, os, sys
import psutil, mlflow  # o próprio `import mlflow` grava _MLFLOW_TELEMETRY_SESSION_ID no ambiente
resultado = {}
for modulo in sys.argv[1:]:
    antes, filhos, arquivos = dict(os.environ), psutil.Process().children(), sorted(os.listdir("."))
    __import__(modulo)
    problemas = []
    if dict(os.environ) != antes:
        problemas.append("o ambiente mudou: " + ", ".join(sorted(
            k for k in set(antes) | set(os.environ) if antes.get(k) != os.environ.get(k))))
    if psutil.Process().children() != filhos:
        problemas.append("um processo foi iniciado")
    if sorted(os.listdir(".")) != arquivos:
        problemas.append("um arquivo foi criado na pasta de trabalho")
    resultado[modulo] = problemas
print(json.dumps(resultado))
"""


@pytest.fixture(scope="module")
def efeitos(tmp_path_factory):
    pasta = tmp_path_factory.mktemp("importar")
    ambiente = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    resultado = subprocess.run([sys.executable, "-c", _VERIFICADOR, "curso_mlops", *MODULOS],
                               capture_output=True, text=True, cwd=pasta, env=ambiente, timeout=300)
    assert resultado.returncode == 0, resultado.stderr
    return json.loads(resultado.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("modulo", ["curso_mlops", *MODULOS])
def test_importar_nao_faz_nada(modulo, efeitos):
    assert efeitos[modulo] == []


def test_o_indice_do_pacote_lista_cada_modulo():
    """O docstring de curso_mlops/__init__.py diz o que cada módulo faz."""
    for modulo in MODULOS:
        nome = modulo.removeprefix("curso_mlops.")
        assert f"\n    {nome} " in curso_mlops.__doc__, f"{nome} não está no índice do pacote"


def test_nenhum_script_mexe_no_sys_path():
    """Os scripts são portas de entrada: importam o `curso_mlops` instalado no .venv (`pip
    install -e .`), e os testes os importam como `from scripts import ...`, sem truques."""
    import ast
    from pathlib import Path

    pasta = Path(__file__).resolve().parents[2] / "scripts"
    scripts = sorted(pasta.glob("*.py"))
    assert len(scripts) > 5
    mexem = [p.name for p in scripts
             if any(isinstance(no, ast.Attribute) and no.attr == "path"
                    and isinstance(no.value, ast.Name) and no.value.id == "sys"
                    for no in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert mexem == []
