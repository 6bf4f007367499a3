"""O executor com o espaço do aluno: `--aluno NOME` = `-p ALUNO NOME`, conferido por curso_mlops.nomes."""

import importlib.util
import json
import os

import nbformat
import pytest

from curso_mlops import notebooks as nbs
from curso_mlops.store import raiz_do_repositorio


@pytest.fixture(scope="module")
def executor():
    caminho = raiz_do_repositorio() / "scripts" / "run_course.py"
    spec = importlib.util.spec_from_file_location("run_course_aluno", caminho)
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def _notebook(pasta, nome, celulas):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {nome[:2]} · Testar o aluno")]
    for i, codigo in enumerate(celulas):
        celula = nbformat.v4.new_code_cell(codigo)
        if i == 0:
            celula.metadata["tags"] = ["parameters"]
        nb.cells.append(celula)
    for i, celula in enumerate(nb.cells):
        celula.id = f"c{i}"
    nbformat.write(nb, pasta / nome)
    return pasta / nome


def test_pedido_do_aluno_vem_da_opcao_do_p_ou_da_variavel(executor):
    assert executor.pedido_do_aluno("ana", [], {}) == ("ana", "--aluno")
    assert executor.pedido_do_aluno(None, [("ALUNO", "bia")], {}) == ("bia", "-p")
    assert executor.pedido_do_aluno(None, [], {"ALUNO": "carla"}) == ("carla", "ALUNO")
    assert executor.pedido_do_aluno(None, [], {}) == ("", "")
    assert executor.pedido_do_aluno("", [], {"ALUNO": "carla"}) == ("", "")  # vazio explícito vence


@pytest.mark.parametrize("opcao, pedidos, ambiente, trecho", [
    ("Ana", [], {}, "--aluno: ALUNO='Ana' não é um nome válido"),
    (None, [("ALUNO", "a_b")], {}, "-p: ALUNO='a_b'"),
    (None, [], {"ALUNO": "joão"}, "a variável de ambiente ALUNO: ALUNO='joão'"),
    ("ana", [("ALUNO", "bia")], {}, "não os dois"),
    (None, [("ALUNO", "ana"), ("ALUNO", "bia")], {}, "mais de uma vez"),
])
def test_aluno_invalido_sai_com_2(executor, opcao, pedidos, ambiente, trecho):
    with pytest.raises(executor.ErroDoExecutor) as erro:
        executor.pedido_do_aluno(opcao, pedidos, ambiente)
    assert erro.value.codigo == 2 and trecho in str(erro.value)


def test_declarados_le_a_celula_como_python(executor, tmp_path):
    """Um `=` no comentário não esconde o parâmetro (o inspect do papermill se perderia)."""
    caminho = _notebook(tmp_path, "00_a.ipynb", [
        'ALUNO = ""  # o seu nome, ex.: ana; vazio = os nomes da aula\n'
        "N: int = 3\nA, B = 1, 2\nimport os\nfor i in range(2):\n    INTERNO = i",
        "print(ALUNO)"])
    assert executor._declarados(caminho) == {"ALUNO", "N", "A", "B"}
    sem_parametros = _notebook(tmp_path, "01_b.ipynb", [])
    assert executor._declarados(sem_parametros) == set()


def test_aluno_e_sempre_texto(executor, tmp_path):
    caminho = _notebook(tmp_path, "00_a.ipynb", ["ALUNO = ''\nN = 1", "print(ALUNO)"])
    parametros = executor.parametros_por_notebook([caminho], [("ALUNO", "2025"), ("N", "2025")])
    assert parametros[caminho] == {"ALUNO": "2025", "N": 2025}


def test_aluno_chega_so_a_quem_declara(tmp_path, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    _notebook(pasta, "00_a.ipynb", ["ALUNO = ''", "print('aluno:', repr(ALUNO))"])
    _notebook(pasta, "01_b.ipynb", ["OUTRO = 1", "import os; print('ambiente:', os.environ.get('ALUNO'))"])
    resultado = rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida",
                              tmp_path / "saida", "--fresh", "--aluno", "ana-2"])
    assert resultado.returncode == 0, resultado.stderr
    assert "aluno: ana-2 (experimentos tempo-entrega-ana-2 e tempo-entrega-monitoramento-ana-2, " \
           "modelo tempo_entrega_ana-2)" in resultado.stdout
    a = json.dumps(nbs.ler(tmp_path / "saida" / "00_a.ipynb"))
    b = json.dumps(nbs.ler(tmp_path / "saida" / "01_b.ipynb"))
    assert "aluno: 'ana-2'" in a
    assert "ALUNO = \\\"ana-2\\\"" in a  # a célula injetada pelo papermill
    # Quem não declara não recebe o parâmetro, mas o kernel vê o mesmo ALUNO no ambiente.
    assert "injected-parameters" not in b and "ambiente: ana-2" in b


def test_aluno_invalido_ou_sem_notebook_que_declare(tmp_path, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    _notebook(pasta, "00_a.ipynb", ["N = 1", "print(N)"])
    base = ["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida", tmp_path / "saida", "--fresh"]

    invalido = rodar_script([*base, "--aluno", "Ana Maria"])
    assert invalido.returncode == 2 and "Tente 'ana-maria'" in invalido.stderr

    sem_quem_declare = rodar_script([*base, "--aluno", "ana"])
    assert sem_quem_declare.returncode == 2
    assert "nenhum notebook escolhido declara o parâmetro ALUNO" in sem_quem_declare.stderr

    # Só a variável de ambiente: aviso, e o curso roda com os nomes da aula.
    ambiente = dict(os.environ, ALUNO="ana")
    so_variavel = rodar_script(base, env=ambiente)
    assert so_variavel.returncode == 0, so_variavel.stderr
    assert "aviso: ALUNO=ana ignorado" in so_variavel.stdout


def test_in_place_nao_aceita_aluno(rodar_script):
    resultado = rodar_script(["scripts/run_course.py", "--in-place", "--aluno", "ana"])
    assert resultado.returncode == 2 and "--aluno" in resultado.stderr
