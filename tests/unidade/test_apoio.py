"""O apoio dos testes (tests/apoio.py): no fim da sessão, o que sobrou com a marca dela é parado."""

import os
import sys
import types

import pytest

from curso_mlops import processos
from tests import apoio


@pytest.mark.skipif(not hasattr(os, "getpgid"), reason="só POSIX: grupos de processos")
def test_para_so_o_que_tem_a_marca_da_sessao_ou_de_um_trabalhador_dela():
    dormir = [sys.executable, "-c", "import time; time.sleep(120)"]

    def com_marca(marca):
        return processos.iniciar(dormir, env=dict(os.environ, **{apoio.MARCA_DA_SESSAO: marca}))

    da_sessao, do_trabalhador = com_marca("sessao-x"), com_marca("sessao-x/gw1")
    de_outra, parecida = com_marca("sessao-y"), com_marca("sessao-x2")
    todos = (da_sessao, do_trabalhador, de_outra, parecida)
    try:
        assert apoio.parar_o_que_sobrou("sessao-x") == sorted([da_sessao.pid, do_trabalhador.pid])
        assert da_sessao.wait(timeout=20) is not None and do_trabalhador.wait(timeout=20) is not None
        assert de_outra.poll() is None and parecida.poll() is None, "outra sessão não é desta"
        assert apoio.parar_o_que_sobrou("sessao-x") == []
    finally:
        for processo in todos:
            processos.parar(processo.pid, processo=processo)


def test_a_marca_do_trabalhador_estende_a_da_sessao(monkeypatch):
    monkeypatch.setenv(apoio.MARCA_DA_SESSAO, "abc")
    trabalhador = types.SimpleNamespace(workerinput={"workerid": "gw0"})
    assert apoio.marcar_a_sessao(trabalhador) == "abc/gw0" == os.environ[apoio.MARCA_DA_SESSAO]
    monkeypatch.setenv(apoio.MARCA_DA_SESSAO, "herdada-de-outra-sessao")
    nova = apoio.marcar_a_sessao(types.SimpleNamespace())
    assert nova != "herdada-de-outra-sessao" and "/" not in nova
