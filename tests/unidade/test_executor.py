"""O executor do curso (scripts/run_course.py): escolhas, erros claros e nada pela metade."""

import importlib.util
import json

import nbformat
import pytest

from curso_mlops import notebooks as nbs


def _carregar_executor(raiz):
    spec = importlib.util.spec_from_file_location("run_course", raiz / "scripts" / "run_course.py")
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


@pytest.fixture(scope="module")
def executor():
    from curso_mlops.store import raiz_do_repositorio
    return _carregar_executor(raiz_do_repositorio())


def _notebook(pasta, nome, celulas):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {nome[:2]} · Testar o executor")]
    for i, codigo in enumerate(celulas):
        celula = nbformat.v4.new_code_cell(codigo)
        if i == 0:
            celula.metadata["tags"] = ["parameters"]
        nb.cells.append(celula)
    for i, celula in enumerate(nb.cells):
        celula.id = f"c{i}"
    caminho = pasta / nome
    nbformat.write(nb, caminho)
    return caminho


def test_escolher_por_numero_nome_ou_arquivo(executor, tmp_path):
    disponiveis = [tmp_path / "00_a.ipynb", tmp_path / "01_b.ipynb", tmp_path / "02_c.ipynb"]
    assert executor.escolher([], disponiveis) == disponiveis
    assert executor.escolher(["2", "00_a", "notebooks/01_b.ipynb"], disponiveis) == disponiveis
    assert executor.escolher(["01", "01_b"], disponiveis) == [disponiveis[1]]
    with pytest.raises(executor.ErroDoExecutor, match="desconhecido: '07'.*00_a, 01_b, 02_c"):
        executor.escolher(["07"], disponiveis)


def test_valores_de_parametros_como_o_papermill(executor):
    assert [executor._valor(v) for v in ["3", "2.5", "True", "None", "abc"]] == [3, 2.5, True, None, "abc"]


def test_tabela_de_tempos(executor):
    texto = executor.tabela([("00_a", 1.25, "ok"), ("01_b", None, "ERRO")])
    assert "00_a" in texto and "1.2s" in texto and "ERRO" in texto and texto.splitlines()[-1].startswith("total")


def test_notebook_desconhecido_sai_com_2(rodar_script):
    resultado = rodar_script(["scripts/run_course.py", "99_nao_existe"])
    assert resultado.returncode == 2
    assert "notebook desconhecido: '99_nao_existe'" in resultado.stderr
    assert "00_entender_o_negocio" in resultado.stderr


def test_parametro_desconhecido_sai_com_2(rodar_script):
    resultado = rodar_script(["scripts/run_course.py", "00", "-p", "NAO_EXISTE", "1"])
    assert resultado.returncode == 2 and "parâmetro desconhecido: 'NAO_EXISTE'" in resultado.stderr


def test_in_place_nao_aceita_parametros(rodar_script):
    resultado = rodar_script(["scripts/run_course.py", "--in-place", "-p", "X", "1"])
    assert resultado.returncode == 2 and "--in-place" in resultado.stderr


def test_fresh_e_tracking_uri_sao_exclusivos(rodar_script):
    resultado = rodar_script(["scripts/run_course.py", "--fresh", "--tracking-uri", "sqlite:///x.db"])
    assert resultado.returncode == 2


def test_falha_diz_notebook_celula_e_erro_e_nao_estraga_o_guardado(tmp_path, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    bom = _notebook(pasta, "00_bom.ipynb", ["VALOR = 1", "print(VALOR * 2)"])
    ruim = _notebook(pasta, "01_ruim.ipynb", ["LIMITE = 3", "x = 1", "raise ValueError('quebrou de propósito')"])
    original = ruim.read_bytes()
    resultado = rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida",
                              tmp_path / "saida", "--in-place", "--fresh"])
    assert resultado.returncode == 1
    erros = [l for l in resultado.stderr.splitlines() if l.startswith("erro:")]
    assert len(erros) == 1
    assert "01_ruim.ipynb" in erros[0] and "[3]" in erros[0]
    assert "ValueError: quebrou de propósito" in erros[0]
    assert ruim.read_bytes() == original, "o notebook guardado foi alterado"
    assert not list(pasta.glob(".*.tmp")), "sobrou um arquivo temporário"
    assert (tmp_path / "saida" / "01_ruim.ipynb").exists()
    # O que rodou antes da falha foi atualizado, normalizado.
    executado = nbs.ler(bom)
    assert "".join(executado["cells"][2]["outputs"][0]["text"]) == "2\n"
    assert "papermill" not in executado["metadata"]
    assert "ERRO" in resultado.stdout and "atualizado" in resultado.stdout


def test_parametro_chega_so_a_quem_declara(tmp_path, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    _notebook(pasta, "00_a.ipynb", ["NOME = 'x'", "print('nome:', NOME)"])
    _notebook(pasta, "01_b.ipynb", ["OUTRO = 1", "print('outro:', OUTRO)"])
    resultado = rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida",
                              tmp_path / "saida", "--fresh", "-p", "NOME", "turma-b"])
    assert resultado.returncode == 0, resultado.stderr
    a, b = nbs.ler(tmp_path / "saida" / "00_a.ipynb"), nbs.ler(tmp_path / "saida" / "01_b.ipynb")
    assert "nome: turma-b" in json.dumps(a)
    assert "NOME" not in json.dumps(b) and "outro: 1" in json.dumps(b)


def test_erro_esperado_com_a_tag_raises_exception_nao_para_o_curso(tmp_path, rodar_script):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    caminho = _notebook(pasta, "00_esperado.ipynb", ["X = 1", "raise ValueError('de propósito')", "print('depois')"])
    nb = nbformat.read(caminho, as_version=4)
    nb.cells[2].metadata["tags"] = ["raises-exception"]
    nbformat.write(nb, caminho)
    resultado = rodar_script(["scripts/run_course.py", "--pasta-notebooks", pasta, "--saida",
                              tmp_path / "saida", "--fresh", "--in-place"])
    assert resultado.returncode == 0, resultado.stderr
    executado = nbs.ler(caminho)
    saidas = [c.get("outputs", []) for c in executado["cells"] if c["cell_type"] == "code"]
    assert saidas[1][0]["output_type"] == "error" and saidas[1][0]["ename"] == "ValueError"
    assert "".join(saidas[2][0]["text"]) == "depois\n"
    assert not [c for c in executado["cells"] if "papermill-error-cell-tag" in c["metadata"].get("tags", [])]
