"""Os grupos do pytest-xdist no `make test` (`-n ... --dist loadgroup`): o que roda num processo só.

O grupo `curso` roda inteiro num processo: o nbval dos notebooks (a 1ª execução, no store daquele
processo) e os testes que pedem uma de `FIXTURES_DO_CURSO`, que dependem dela (as execuções
compartilhadas de tests/conftest.py e a turma de tests/turma/conftest.py). Os testes de uma
fixture de sessão cara usada em vários arquivos vão juntos (`FIXTURES_DE_UM_PROCESSO`); o resto
vai por arquivo, e uma fixture de módulo é montada uma vez.

Quem decide o grupo é cada trabalhador, na coleta (o conftest.py da raiz chama `grupo_do_xdist`
para cada item, com o fecho das fixtures dele). O processo principal não coleta: ele lê os grupos
de um arquivo que os trabalhadores gravam (`gravar`) e distribui com `PorGrupo`. O `loadgroup`
do próprio xdist 3.8 lê o grupo de um sufixo `@grupo` que ele acrescenta ao nodeid, e esse
sufixo não pega mais no pytest 9.2 (pytest-dev/pytest-xdist#1386): sem isto, as células de um
notebook iriam para processos diferentes.

Os trabalhadores também ordenam a coleta (`ordem_dos_grupos`): o grupo `curso` primeiro, depois
os grupos lentos, e os rápidos no fim, para que os dois processos acabem juntos.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

GRUPO_DO_CURSO = "curso"
FIXTURES_DO_CURSO = frozenset({"execucoes", "curso_uma_vez", "curso_executado", "turma_da_sessao"})
# O champion e os seus dois servidores (tests/servir/conftest.py); o modelo mínimo.
FIXTURES_DE_UM_PROCESSO = (("store_do_champion", "champion"), ("modelo_minimo", "modelo-minimo"))
CHAVE = "pasta_dos_grupos_do_xdist"  # em workerinput: onde os trabalhadores gravam os grupos
# Os marcadores do que é lento ou sobe servidor: os mesmos que o `make test-rapido` deixa de fora
# (MARCADORES_LENTOS no Makefile).
MARCADORES_LENTOS = ("lento", "servidor", "turma", "navegador")


def grupo_do_xdist(nodeid: str, fixturenames, notebook_do_curso: bool = False,
                   ambiente: dict | None = None) -> str:
    """O grupo de um item coletado.

    `fixturenames` é o fecho das fixtures do item (as que ele pede e as que elas pedem). Com
    `CURSO_CHAMPION_DOS_TESTES=curso` (tests/servir/conftest.py), o champion vem do nbval, e os
    testes dele vão para o grupo `curso`.
    """
    if notebook_do_curso:
        return GRUPO_DO_CURSO
    fixtures = set(fixturenames)
    if fixtures & FIXTURES_DO_CURSO:
        return GRUPO_DO_CURSO
    origens = (os.environ if ambiente is None else ambiente).get("CURSO_CHAMPION_DOS_TESTES", "")
    for fixture, grupo in FIXTURES_DE_UM_PROCESSO:
        if fixture in fixtures:
            if fixture == "store_do_champion" and "curso" in [o.strip() for o in origens.split(",")]:
                return GRUPO_DO_CURSO
            return grupo
    return nodeid.split("::", 1)[0]


def ordem_dos_grupos(itens: list[tuple[str, bool]]) -> list[int]:
    """A ordem em que os itens (grupo, lento?), na ordem da coleta, vão para os trabalhadores.

    Primeiro o grupo `curso` (o nbval e o trabalho de fundo que começa com ele), depois os grupos
    que têm algum teste lento, e por último os rápidos, que preenchem o fim dos dois processos;
    dentro de cada faixa, os grupos com mais testes antes, e cada grupo na ordem da coleta. O
    xdist, sozinho, ordena só pelo número de testes: um arquivo de 3 testes de 10 s cada (o do
    JupyterLab) ficava para o fim, e um núcleo esperava parado enquanto o outro o rodava.
    """
    contagem: dict[str, int] = {}
    primeiro: dict[str, int] = {}
    lento: dict[str, bool] = {}
    for i, (grupo, eh_lento) in enumerate(itens):
        contagem[grupo] = contagem.get(grupo, 0) + 1
        primeiro.setdefault(grupo, i)
        lento[grupo] = lento.get(grupo, False) or eh_lento

    def chave(i):
        grupo = itens[i][0]
        faixa = 0 if grupo == GRUPO_DO_CURSO else 1 if lento[grupo] else 2
        return faixa, -contagem[grupo], primeiro[grupo], i

    return sorted(range(len(itens)), key=chave)


def eh_lento(item) -> bool:
    return any(item.get_closest_marker(m) is not None for m in MARCADORES_LENTOS)


def eh_do_curso(item) -> bool:
    """O item é do grupo `curso` (o conftest.py da raiz anota cada item na coleta)?"""
    return getattr(item, "_grupo_do_xdist", None) == GRUPO_DO_CURSO


def trabalhador(config) -> bool:
    """Este processo é um trabalhador do xdist (e não a sessão única nem o processo principal)?"""
    return hasattr(config, "workerinput")


def ao_comecar_o_curso(config, funcao) -> None:
    """Chama `funcao()` quando o primeiro item do grupo `curso` começar neste processo.

    Sem o xdist, é o processo único; com ele, só o processo que pegou o grupo começa o trabalho
    de fundo (a turma), e os outros não o repetem.
    """
    config._ao_comecar_o_curso.append(funcao)


def um_ctrl_c_so() -> None:
    """Num trabalhador, só o primeiro SIGINT interrompe; os seguintes são ignorados.

    Num Ctrl+C, o terminal manda SIGINT a todos (o principal e os trabalhadores), e cada
    trabalhador para o que subiu: o kernel do nbval (que para o servidor de modelo da aula), a
    turma com o PostgreSQL, as execuções de fundo. O principal, enquanto isso, manda o
    trabalhador sair; 5 s depois, o execnet manda um SEGUNDO SIGINT ao trabalhador, que
    interromperia essa limpeza no meio e deixaria os processos para trás. (Passados mais 10 s, o
    execnet encerra o trabalhador de qualquer jeito.) Os filhos não herdam este tratador: um
    programa novo começa com o tratamento padrão.
    """
    import signal

    visto = False

    def tratador(sinal, quadro):
        nonlocal visto
        if visto:
            return
        visto = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, tratador)


# -- o canal entre os trabalhadores e o processo principal ------------------------------------------

def criar_pasta() -> Path:
    return Path(tempfile.mkdtemp(prefix="curso-grupos-xdist-"))


def gravar(pasta: str | Path, trabalhador_id: str, grupos: dict[str, str]) -> None:
    """Grava os grupos (nodeid -> grupo) que este trabalhador coletou (troca o arquivo inteiro)."""
    destino = Path(pasta) / f"{trabalhador_id}.json"
    temporario = destino.with_suffix(".tmp")
    temporario.write_text(json.dumps(grupos), encoding="utf-8")
    os.replace(temporario, destino)


def ler(pasta: str | Path) -> dict[str, str]:
    grupos: dict[str, str] = {}
    for arquivo in sorted(Path(pasta).glob("*.json")):
        grupos.update(json.loads(arquivo.read_text(encoding="utf-8")))
    if not grupos:
        raise RuntimeError(f"nenhum trabalhador do xdist gravou os grupos em {pasta}")
    return grupos


def grupo_do_nodeid(grupos: dict[str, str], nodeid: str) -> str:
    """O grupo de um nodeid, também quando um xdist voltar a pôr o sufixo `@grupo` nele."""
    return grupos.get(nodeid) or grupos[nodeid.rsplit("@", 1)[0]]


def escalonador(config, log, pasta: str | Path):
    """O escalonador do `--dist loadgroup`: o do xdist, com o grupo lido de `pasta`, e os grupos na
    ordem em que os trabalhadores deixaram a coleta (`ordem_dos_grupos`), sem a do xdist."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class PorGrupo(LoadScopeScheduling):
        _grupos: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._grupos is None:
                self._grupos = ler(pasta)
            return grupo_do_nodeid(self._grupos, nodeid)

    return PorGrupo(config, log)
