"""O nbval estrito pode falhar: uma saída guardada adulterada é acusada, e só ela.

Sem esta prova, um arquivo de sanitização largo demais (ou um nbval que não compara nada)
passaria despercebido. O notebook 01 roda uma vez, com UMA saída adulterada: exatamente essa
célula falha e todas as outras passam (a prova de que o intacto passa é o resto do notebook).
"""

import os
import subprocess
import sys

import pytest

from curso_mlops import notebooks as nbs

pytestmark = pytest.mark.lento


def _nbval(caminho, pasta_store, raiz):
    ambiente = dict(os.environ, MLFLOW_TRACKING_URI="sqlite:///" + (pasta_store / "mlflow.db").as_posix())
    comando = [sys.executable, "-m", "pytest", "--nbval", str(caminho),
               "--nbval-sanitize-with", str(raiz / "tests" / "nbval_sanitize.cfg"),
               "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(caminho.parent), "-q"]
    return subprocess.run(comando, capture_output=True, text=True, env=ambiente, timeout=600,
                          cwd=caminho.parent)


def _celula_com_numero(nb):
    """Primeira saída de texto com um número: o tipo de saída que o sanitize não mascara."""
    for celula in nb["cells"]:
        for saida in celula.get("outputs", []):
            if saida.get("output_type") == "stream" and saida.get("name") == "stdout":
                texto = saida["text"]
                if any(ch.isdigit() for ch in texto):
                    return saida
    raise AssertionError("nenhuma saída de texto com números para adulterar")


def test_saida_adulterada_faz_o_nbval_falhar(tmp_path, raiz):
    original = raiz / "notebooks" / "01_explorar_os_dados.ipynb"
    adulterado = tmp_path / "adulterado" / original.name
    adulterado.parent.mkdir()
    nb = nbs.ler(original)
    saida = _celula_com_numero(nb)
    texto = saida["text"]
    digito = next(ch for ch in texto if ch.isdigit())
    saida["text"] = texto.replace(digito, str((int(digito) + 1) % 10), 1)
    nbs.escrever(nb, adulterado)
    celulas = sum(1 for c in nb.cells if c.cell_type == "code")

    resultado = _nbval(adulterado, tmp_path / "store", raiz)
    assert resultado.returncode == 1, resultado.stdout[-3000:]
    assert f"1 failed, {celulas - 1} passed" in resultado.stdout, resultado.stdout[-3000:]
