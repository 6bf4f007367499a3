"""Depois de o curso rodar uma vez, qualquer aula de 03 a 10 pode ser rodada de novo, em qualquer
ordem, e o registro continua consistente (issue 9, item 3), com a chamada da aula funcionando
depois de cada passo (item 4).

As ordens e as duas cadeias que as contêm estão em `tests/notebooks/sequencias.py`; o
orquestrador de `tests/conftest.py` roda cada cadeia, aula por aula, numa cópia do store em que o
curso já rodou, e confere o registro depois de cada aula (`registro_consistente`): o champion é guardado e tem os
dois sabores, a chamada da aula devolve o objeto nativo do statsmodels, o pedido da aula dá 32 a
37 min, -5 km recebe 400, e o alias `anterior` e as depreciações contam a história.

O portão de promoção da aula 08 reprova um challenger que não supera o champion: quando o
champion já é o modelo retreinado (a 08 acabou de rodar), a 08 para ali, de propósito, com a
mensagem do portão, e nada muda no registro.
"""

from __future__ import annotations

import pytest

from .sequencias import CADEIAS, ORDENS, trecho

pytestmark = pytest.mark.lento

PARA_NO_PORTAO = "Portão de promoção: reprovado"


def test_cada_ordem_da_issue_e_um_trecho_de_uma_cadeia():
    pedidas = {"05 07", "06 06", "08 08", "07 05 06 08", "10 03 04 05", "05 06 07 08 09"}
    contidas = {" ".join(o) for o in ORDENS.values()}
    assert all(any(p in c for c in contidas) for p in pedidas), (pedidas, contidas)
    for nome, ordem in ORDENS.items():
        cadeia, indices = trecho(nome)
        assert [CADEIAS[cadeia][i] for i in indices] == ordem
    with pytest.raises(ValueError, match="não é um trecho"):
        trecho("06-06", {"x": ["06", "05", "06"]})
    # Nenhuma cadeia tem aula a mais: cada passo é de alguma ordem.
    for nome, cadeia in CADEIAS.items():
        usados = set().union(*(indices for c, indices in map(trecho, ORDENS) if c == nome))
        assert usados == set(range(len(cadeia))), nome


@pytest.fixture(scope="module")
def cadeias(execucoes):
    for nome, aulas in CADEIAS.items():
        sequencia = execucoes.sequencias[nome]
        sequencia.resultado()
        assert [p.notebook for p in sequencia.passos] == aulas, f"a cadeia {nome} não rodou inteira"
    return {nome: execucoes.sequencias[nome] for nome in CADEIAS}


@pytest.mark.parametrize("nome", list(ORDENS))
def test_registro_consistente_depois_de_cada_aula(cadeias, nome):
    cadeia, indices = trecho(nome)
    for indice in indices:
        passo = cadeias[cadeia].passos[indice]
        assert not passo.problemas, f"depois do passo {indice} (aula {passo.notebook}) de {nome!r}: {passo.problemas}"
        if passo.resultado.returncode != 0:
            erro = passo.resultado.stderr
            # Só a 08 pode parar, e só no portão (o champion já é o retreinado).
            assert passo.notebook == "08" and PARA_NO_PORTAO in erro, erro[-2000:]


def test_so_a_08_logo_depois_da_08_para_no_portao(cadeias):
    paradas = [(nome, i) for nome, sequencia in cadeias.items()
               for i, passo in enumerate(sequencia.passos) if passo.resultado.returncode != 0]
    # Antes de cada 08 das cadeias, menos a última da "08 08", a 05 registrou um champion novo
    # (só a distância), e o retreino é aprovado. A última 08 vem logo depois de outra 08: o
    # champion já é o retreinado, e ela para no portão.
    cadeia_do_08_08, indices = trecho("08-08")
    assert paradas == [(cadeia_do_08_08, indices[-1])], paradas
    for nome, aulas in CADEIAS.items():
        aprovadas = [i for i, n in enumerate(aulas) if n == "08" and (nome, i) not in paradas]
        assert aprovadas, f"a cadeia {nome} não tem uma 08 aprovada"
        for i in aprovadas:
            antes, depois = cadeias[nome].passos[i - 1].estado, cadeias[nome].passos[i].estado
            assert depois["aliases"]["champion"] != antes["aliases"]["champion"], \
                f"a 08 do passo {i} de {nome} não promoveu"
            assert depois["aliases"]["anterior"] == antes["aliases"]["champion"]
