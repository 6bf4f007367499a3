"""As regras de tests/nbval_sanitize.cfg mascaram só o volátil: números do modelo continuam
comparados (até a 10ª casa decimal), e IDs, portas e horários deixam de ser."""

from __future__ import annotations

import pytest

from tests.notebooks import comparacao

REGRAS = comparacao.regras()


def limpo(texto: str) -> str:
    return comparacao._sanitizar(texto, REGRAS)


def test_a_previsao_crua_no_3_11_e_no_3_13_fica_igual():
    assert (limpo('{"predictions": [{"0": 35.626885101751974}]}')
            == limpo('{"predictions": [{"0": 35.62688510175198}]}')
            == '{"predictions": [{"0": 35.6268851017…}]}')


@pytest.mark.parametrize(("guardado", "executado"), [
    ("35.626885101751974", "35.626885102751974"),   # a 9ª casa mudou: o modelo mudou
    ("mae = 3.9321", "mae = 3.9322"),                # números curtos são comparados inteiros
    ("16.564123071002918", "17.564123071002918"),
    ("pct 75.8 %", "pct 75.9 %"),
])
def test_numeros_do_modelo_continuam_comparados(guardado, executado):
    assert limpo(guardado) != limpo(executado)


@pytest.mark.parametrize(("a", "b"), [
    ("run 0123456789abcdef0123456789abcdef", "run fedcba9876543210fedcba9876543210"),
    ("http://127.0.0.1:40402/invocations", "http://127.0.0.1:5001/invocations"),
    ("2026/12/01 23:49:40 INFO", "2027/01/02 01:02:03 INFO"),
])
def test_o_volatil_e_mascarado(a, b):
    assert limpo(a) == limpo(b)
