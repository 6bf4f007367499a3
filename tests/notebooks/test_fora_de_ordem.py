"""Depois de o curso rodar uma vez, qualquer aula de 03 a 10 pode ser rodada de novo, em qualquer
ordem, e o registro continua consistente (issue 9, item 3; e a chamada da aula, item 4).

Cada sequência roda, aula por aula, numa cópia do store em que o curso já rodou; depois de
cada aula, o registro é conferido (`registro_consistente`). As sequências independentes rodam
duas de cada vez (a máquina de CI tem 2 núcleos), cada uma no seu store.

O portão de promoção da aula 08 reprova um challenger que não supera o champion: quando o
champion já é o modelo retreinado (o curso acabou de rodar), a 08 para ali, de propósito, com a
mensagem do portão, e nada muda no registro. A sequência "08 08" confere exatamente isso.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .registro_consistente import problemas_do_registro

pytestmark = pytest.mark.lento

# A aula que para no portão quando roda logo depois do curso (ou de outra 08), e a mensagem.
PARA_NO_PORTAO = "Portão de promoção: reprovado"

SEQUENCIAS = [
    ("05", "07"),
    ("06", "06"),
    ("08", "08"),
    ("07", "05", "06", "08"),
    ("10", "03", "04", "05"),
    ("05", "06", "07", "08", "09", "10"),
]


def _rodar_sequencia(copiar_store, rodar_aula, sequencia):
    uri, pasta = copiar_store(f"seq-{'-'.join(sequencia)}")
    passos = []
    for numero in sequencia:
        resultado = rodar_aula(numero, uri, pasta / "executados")
        passos.append({"aula": numero, "codigo": resultado.returncode,
                       "erro": (resultado.stderr.strip().splitlines() or [""])[-3:],
                       "problemas": problemas_do_registro(uri)})
    return sequencia, passos


@pytest.fixture(scope="module")
def sequencias_rodadas(copiar_store, rodar_aula):
    with ThreadPoolExecutor(max_workers=2) as paralelo:
        return list(paralelo.map(lambda s: _rodar_sequencia(copiar_store, rodar_aula, s), SEQUENCIAS))


@pytest.mark.parametrize("indice", range(len(SEQUENCIAS)), ids=[" ".join(s) for s in SEQUENCIAS])
def test_registro_consistente_depois_de_cada_aula(sequencias_rodadas, indice):
    sequencia, passos = sequencias_rodadas[indice]
    for passo in passos:
        assert not passo["problemas"], f"depois da aula {passo['aula']} em {' '.join(sequencia)}: {passo['problemas']}"
        if passo["codigo"] != 0:
            # Só a 08 pode parar, e só no portão (o champion já é o retreinado).
            assert passo["aula"] == "08", f"a aula {passo['aula']} falhou: {passo['erro']}"
            assert any(PARA_NO_PORTAO in linha for linha in passo["erro"]), passo["erro"]


def test_so_a_08_logo_depois_do_curso_para_no_portao(sequencias_rodadas):
    paradas = {(" ".join(seq), p["aula"]) for seq, passos in sequencias_rodadas for p in passos
               if p["codigo"] != 0}
    # Depois do curso, o champion é o retreinado: a 08 sozinha (duas vezes) para no portão.
    # Nas outras sequências, a 05 registra um champion novo (só a distância) antes da 08, e o
    # retreino é aprovado.
    assert paradas == {("08 08", "08")}, paradas
