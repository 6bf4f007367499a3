"""curso_mlops.molde sem kernel: a plataforma, o processo visto pelo jupyter_client e o que o
molde aceita criar. Os kernels de verdade estão em tests/notebooks/test_molde.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from curso_mlops import molde


@pytest.mark.parametrize("plataforma, esperado", [("linux", True), ("darwin", False), ("win32", False)])
def test_so_o_linux_tem_o_molde(monkeypatch, plataforma, esperado):
    monkeypatch.setattr(sys, "platform", plataforma)
    assert molde.disponivel() is (esperado and hasattr(os, "fork"))
    if not esperado:
        assert molde.Molde.tentar(Path("."), ()) is None


def test_o_processo_do_molde_responde_como_um_popen():
    dormindo = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        processo = molde.ProcessoDoMolde(dormindo.pid)
        assert processo.poll() is None and processo.returncode is None
        assert processo.stdin is processo.stdout is processo.stderr is None
        with pytest.raises(subprocess.TimeoutExpired):
            processo.wait(timeout=0.2)
        processo.send_signal(signal.SIGTERM)
        dormindo.wait(timeout=10)  # aqui o pai é o teste: ele recolhe, como o molde faria
        assert processo.poll() == 0 and processo.wait() == 0
        processo.kill()  # já acabou: não faz nada, nem levanta
    finally:
        if dormindo.poll() is None:
            dormindo.kill()
            dormindo.wait()


def _molde_sem_processo(pasta: Path) -> molde.Molde:
    m = object.__new__(molde.Molde)
    m.pasta = pasta.resolve()
    m.modulos = ()
    m.processo = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    return m


def test_o_molde_so_cria_o_kernel_do_curso_na_pasta_dele(tmp_path):
    m = _molde_sem_processo(tmp_path)
    kernel = [sys.executable, "-m", "curso_mlops.kernel", "-f", "conexao.json"]
    try:
        assert m.serve_para(kernel, tmp_path)
        assert m.serve_para(kernel, str(tmp_path) + "/.")
        assert not m.serve_para(kernel, tmp_path / "outra")
        assert not m.serve_para([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"], tmp_path)
        assert not m.serve_para(["/usr/bin/R", "-m", "curso_mlops.kernel", "-f", "c.json"], tmp_path)
        m.processo.kill()
        m.processo.wait()
        assert not m.serve_para(kernel, tmp_path), "um molde que morreu não cria kernel"
    finally:
        if m.processo.poll() is None:
            m.processo.kill()
            m.processo.wait()


def test_sem_molde_o_gerente_e_o_do_jupyter_client():
    from jupyter_client.manager import AsyncKernelManager

    assert type(molde.gerente(None, kernel_name="python3")) is AsyncKernelManager
    m = object.__new__(molde.Molde)
    gerente = molde.gerente(m, kernel_name="python3")
    assert isinstance(gerente, AsyncKernelManager) and type(gerente) is not AsyncKernelManager
