"""Os grupos do xdist do `make test` (tests/grupos_do_xdist.py; o conftest.py da raiz anota cada
item coletado): o que depende do nbval ou da turma fica num processo só."""

import json
import subprocess
import sys

import pytest

from tests import grupos_do_xdist as grupos

NBVAL = "notebooks/06_servir_o_modelo_via_api.ipynb::Cell 3"


def test_o_nbval_e_quem_usa_as_execucoes_ou_a_turma_ficam_no_grupo_do_curso():
    assert grupos.grupo_do_xdist(NBVAL, [], notebook_do_curso=True) == grupos.GRUPO_DO_CURSO
    for fixture in ("execucoes", "curso_uma_vez", "curso_executado", "turma_da_sessao"):
        nodeid = f"tests/x/test_y.py::test_{fixture}"
        assert grupos.grupo_do_xdist(nodeid, ["request", fixture], ambiente={}) == grupos.GRUPO_DO_CURSO


def test_fixture_cara_de_varios_arquivos_tem_um_grupo_so():
    de_um = grupos.grupo_do_xdist("tests/servir/test_a.py::test_1", ["store_do_champion"], ambiente={})
    de_outro = grupos.grupo_do_xdist("tests/servir/test_b.py::test_2", ["servidor_mlflow", "store_do_champion"],
                                     ambiente={})
    assert de_um == de_outro == "champion"
    assert grupos.grupo_do_xdist("tests/servir/test_c.py::test_3", ["modelo_minimo"], ambiente={}) == "modelo-minimo"


@pytest.mark.parametrize("origens, grupo", [("rapido", "champion"), ("rapido, curso", grupos.GRUPO_DO_CURSO),
                                            ("curso", grupos.GRUPO_DO_CURSO), ("cursos", "champion")])
def test_o_champion_do_curso_vai_para_o_grupo_do_curso(origens, grupo):
    ambiente = {"CURSO_CHAMPION_DOS_TESTES": origens}
    assert grupos.grupo_do_xdist("tests/servir/test_a.py::test_1", ["store_do_champion"], ambiente=ambiente) == grupo


def test_o_resto_vai_por_arquivo(request):
    assert grupos.grupo_do_xdist("tests/unidade/test_drift.py::test_x[a-b]", ["tmp_path"], ambiente={}) == \
        "tests/unidade/test_drift.py"
    # Este item foi anotado na coleta, pelo conftest.py da raiz.
    assert request.node._grupo_do_xdist == "tests/notebooks/test_grupos_do_xdist.py"
    assert not grupos.eh_do_curso(request.node)


def test_o_escalonador_le_os_grupos_gravados_pelos_trabalhadores(tmp_path):
    grupos.gravar(tmp_path, "gw0", {NBVAL: "curso", "tests/a.py::t": "tests/a.py"})
    grupos.gravar(tmp_path, "gw1", {NBVAL: "curso", "tests/a.py::t": "tests/a.py"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gw0.json", "gw1.json"]
    lidos = grupos.ler(tmp_path)
    assert lidos == json.loads((tmp_path / "gw0.json").read_text()) == {NBVAL: "curso", "tests/a.py::t": "tests/a.py"}
    assert grupos.grupo_do_nodeid(lidos, NBVAL) == "curso"
    assert grupos.grupo_do_nodeid(lidos, NBVAL + "@curso") == "curso"  # um xdist que volte a pôr o sufixo
    assert grupos.grupo_do_nodeid(lidos, "tests/a.py::t") == "tests/a.py"
    with pytest.raises(KeyError):
        grupos.grupo_do_nodeid(lidos, "tests/b.py::t")  # um item que ninguém coletou não some calado
    (tmp_path / "vazia").mkdir()
    with pytest.raises(RuntimeError, match="nenhum trabalhador"):
        grupos.ler(tmp_path / "vazia")


def test_o_curso_primeiro_depois_os_lentos_e_os_rapidos_no_fim():
    itens = [("tests/a.py", False), ("tests/a.py", False), ("tests/a.py", False),  # 0-2 rápido, 3 testes
             ("tests/lab.py", True),                                            # 3 lento, 1 teste
             ("curso", True), ("tests/b.py", False),                            # 4 curso; 5 rápido
             ("curso", True),                                                   # 6 curso
             ("tests/srv.py", False), ("tests/srv.py", True)]                   # 7-8 um lento: o grupo é lento
    ordem = grupos.ordem_dos_grupos(itens)
    assert ordem == [4, 6, 7, 8, 3, 0, 1, 2, 5]
    assert sorted(ordem) == list(range(len(itens)))  # nenhum item some nem se repete
    assert grupos.ordem_dos_grupos([]) == []


def test_os_marcadores_lentos_sao_os_do_make_test_rapido(raiz):
    texto = (raiz / "Makefile").read_text(encoding="utf-8")
    (linha,) = [l for l in texto.splitlines() if l.startswith("MARCADORES_LENTOS")]
    assert linha.split(":=", 1)[1].split() == " or ".join(grupos.MARCADORES_LENTOS).split()


@pytest.mark.lento
def test_as_celulas_de_um_notebook_vao_para_o_mesmo_processo(raiz):
    """Com dois processos, o nbval de um notebook roda inteiro num deles: uma célula num processo
    sem o kernel das anteriores quebraria (NameError), como quebrava no xdist 3.8 com o pytest
    9.2 antes do escalonador próprio."""
    pytest.importorskip("xdist")
    resultado = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "-q",
         "notebooks/00_entender_o_negocio.ipynb"],
        cwd=raiz, capture_output=True, text=True, timeout=300)
    assert resultado.returncode == 0, resultado.stdout[-3000:]
    assert "passed" in resultado.stdout and "failed" not in resultado.stdout
