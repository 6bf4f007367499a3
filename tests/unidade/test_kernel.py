"""curso_mlops.kernel: a especificação instalada, o language_info igual em todo Python e a saída
sem a última coleta de lixo."""

from __future__ import annotations

import json
import subprocess
import sys

from curso_mlops import kernel


def test_especificacao_e_a_do_ipykernel_com_este_modulo():
    especificacao = kernel.especificacao()
    assert especificacao["argv"] == ["python", "-m", "curso_mlops.kernel", "-f", "{connection_file}"]
    assert especificacao["language"] == "python"
    assert especificacao["display_name"] == "Python 3 (ipykernel)"


def test_instalar_grava_o_kernel_json_com_o_nome_que_os_notebooks_pedem(tmp_path):
    arquivo = kernel.instalar(tmp_path)
    assert arquivo == tmp_path / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    assert json.loads(arquivo.read_text(encoding="utf-8")) == kernel.especificacao()


def test_language_info_so_troca_a_versao():
    from ipykernel.ipkernel import IPythonKernel

    do_curso = kernel._classe_do_kernel().language_info
    assert do_curso["version"] == "3"
    assert {k: v for k, v in do_curso.items() if k != "version"} == \
        {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}


def test_o_congelamento_roda_depois_dos_outros_atexit():
    """Os `atexit` registrados depois (servidores, logs, MLflow) rodam antes, sem nada congelado;
    no fim, os objetos vivos saem da coleta final."""
    codigo = (
        "import atexit, gc\n"
        "from curso_mlops import kernel\n"
        "kernel._sair_sem_a_ultima_coleta()\n"
        "vistos = []\n"
        "atexit.register(lambda: vistos.append(gc.get_freeze_count()))\n"
        "atexit._run_exitfuncs()\n"
        "print(vistos, gc.get_freeze_count() > 0)\n"
    )
    resultado = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True, timeout=60)
    assert resultado.returncode == 0, resultado.stderr
    assert resultado.stdout.split() == ["[0]", "True"]
