"""Depois de o curso rodar uma vez, qualquer aula de 03 a 10 pode ser rodada de novo, em qualquer
ordem, e o registro continua consistente (issue 9, item 3), com a chamada da aula funcionando
depois de cada passo (item 4).

As sequências estão em `tests/notebooks/sequencias.py`; o orquestrador de `tests/conftest.py`
roda cada uma, aula por aula, numa cópia do store em que o curso já rodou, e confere o registro
depois de cada aula (`registro_consistente`): o champion é guardado e tem os dois sabores, a
chamada da aula devolve o objeto nativo do statsmodels, o pedido da aula dá 32 a 37 min, -5 km
recebe 400, e o alias `anterior` e as depreciações contam a história.

O portão de promoção da aula 08 reprova um challenger que não supera o champion: quando o
champion já é o modelo retreinado (o curso acabou de rodar), a 08 para ali, de propósito, com a
mensagem do portão, e nada muda no registro.
"""

from __future__ import annotations

import pytest

from .sequencias import SEQUENCIAS

pytestmark = pytest.mark.lento

PARA_NO_PORTAO = "Portão de promoção: reprovado"


@pytest.mark.parametrize("nome", list(SEQUENCIAS))
def test_registro_consistente_depois_de_cada_aula(execucoes, nome):
    sequencia = execucoes.sequencias[nome]
    sequencia.resultado()
    assert [p.notebook for p in sequencia.passos] == SEQUENCIAS[nome], "a sequência não rodou inteira"
    for passo in sequencia.passos:
        assert not passo.problemas, f"depois da aula {passo.notebook} em {nome!r}: {passo.problemas}"
        if passo.resultado.returncode != 0:
            erro = passo.resultado.stderr
            # Só a 08 pode parar, e só no portão (o champion já é o retreinado).
            assert passo.notebook == "08" and PARA_NO_PORTAO in erro, erro[-2000:]


def test_so_a_08_logo_depois_do_curso_para_no_portao(execucoes):
    paradas = {(nome, passo.notebook) for nome in SEQUENCIAS
               for passo in (execucoes.sequencias[nome].resultado() and execucoes.sequencias[nome].passos)
               if passo.resultado.returncode != 0}
    # Depois do curso, o champion é o retreinado: a 08 sozinha (duas vezes) para no portão. Nas
    # outras sequências, a 05 registra um champion novo (só a distância) antes da 08, e o
    # retreino é aprovado.
    assert paradas == {("08-08", "08")}, paradas
