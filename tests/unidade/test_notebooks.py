"""Os notebooks como arquivos (curso_mlops.notebooks): ler, escrever, parâmetros, título e metadados."""

import nbformat
import pytest

from curso_mlops import notebooks as nbs


@pytest.mark.parametrize("caminho", nbs.listar(), ids=lambda p: p.stem)
def test_reescrever_um_notebook_guardado_da_os_mesmos_bytes(caminho, tmp_path):
    """nbformat com o formato guardado: indentação 1, UTF-8, chaves em ordem, quebra de linha final."""
    copia = tmp_path / caminho.name
    nbs.escrever(nbs.ler(caminho), copia)
    assert copia.read_bytes() == caminho.read_bytes()


def test_escrever_um_notebook_novo(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('olá')")]
    nb.cells[0].id = "c0"
    nbs.escrever(nb, tmp_path / "a.ipynb")
    texto = (tmp_path / "a.ipynb").read_text(encoding="utf-8")
    assert texto.endswith("}\n") and texto.startswith('{\n "cells": [\n  {')
    assert nbs.ler(tmp_path / "a.ipynb").cells[0].source == "print('olá')"


def _com_parametros(fonte: str) -> dict:
    nb = nbformat.v4.new_notebook()
    celula = nbformat.v4.new_code_cell(fonte)
    celula.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 00 · x"), celula]
    return nb


def test_parametros_lidos_com_o_ast():
    nb = _com_parametros('ALUNO = ""  # vazio = os nomes da aula\nN: int = 3\nA, B = 1, 2\n'
                         'CANDIDATOS = {"a": "y ~ x"}\nMODELO = nomes.modelo(ALUNO)\nimport os\n'
                         'for i in range(2):\n    INTERNO = i')
    valores = nbs.parametros(nb)
    assert list(valores) == ["ALUNO", "N", "A", "B", "CANDIDATOS", "MODELO"]
    assert valores["ALUNO"] == "" and valores["N"] == 3 and valores["CANDIDATOS"] == {"a": "y ~ x"}
    assert valores["MODELO"] is nbs.NAO_LITERAL and valores["A"] is nbs.NAO_LITERAL


def test_sem_celula_parameters_nao_ha_parametros():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("X = 1")]
    assert nbs.parametros(nb) == {}


def test_parametros_dos_notebooks_do_curso():
    """Cada notebook declara ALUNO (menos o 01) e o 06 declara a porta da aula."""
    todos = {p.name[:2]: nbs.parametros(p) for p in nbs.listar()}
    assert todos["06"]["PORTA"] == 5299
    assert all(p.get("ALUNO") == "" for n, p in todos.items() if n != "01")


def test_normalizar_tira_o_que_muda_a_cada_execucao():
    nb = {
        "metadata": {"papermill": {"start_time": "2026-01-01", "input_path": "/home/x/a.ipynb"},
                     "kernelspec": {"name": "python3"}, "widgets": {"estado": 1},
                     "language_info": {"name": "python", "version": "3.11.7"}},
        "cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"], "execution": {"x": 1},
                                                      "papermill": {"duration": 1.2}},
                   "outputs": [{"output_type": "stream", "name": "stdout", "text": "oi"}]}],
        "nbformat": 4, "nbformat_minor": 4,
    }
    limpo = nbs.normalizar(nb)
    # o language_info fica inteiro, como o kernel o informou (o JupyterLab compara com o dele)
    assert limpo["metadata"] == {"kernelspec": {"name": "python3"},
                                 "language_info": {"name": "python", "version": "3.11.7"}}
    assert limpo["cells"][0]["metadata"] == {"tags": ["parameters"]}
    assert limpo["cells"][0]["outputs"] == nb["cells"][0]["outputs"]
    assert limpo["nbformat_minor"] == 5 and nb["metadata"]["papermill"]  # o original não muda


def test_normalizar_junta_so_os_pedacos_seguidos_do_mesmo_stream():
    def stream(nome, texto):
        return {"output_type": "stream", "name": nome, "text": texto}

    imagem = {"output_type": "display_data", "data": {"image/png": "..."}, "metadata": {}}
    saidas = [stream("stdout", "a\n"), stream("stdout", ["b", "\n"]), stream("stderr", "aviso\n"),
              stream("stdout", "c"), imagem, stream("stdout", "d\n"), stream("stdout", "e\n")]
    nb = {"metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "outputs": saidas},
                                    {"cell_type": "markdown", "metadata": {}, "source": "x"}]}
    limpo = nbs.normalizar(nb)
    assert limpo["cells"][0]["outputs"] == [stream("stdout", "a\nb\n"), stream("stderr", "aviso\n"),
                                            stream("stdout", "c"), imagem, stream("stdout", "d\ne\n")]
    assert "outputs" not in limpo["cells"][1]
    assert len(nb["cells"][0]["outputs"]) == 7  # o original não muda


def test_titulo_le_numero_titulo_e_etapa():
    nb = {"cells": [{"cell_type": "markdown",
                     "source": "# 03 · Treinar e rastrear\n\n**Etapa do CRISP-DM:** modelagem\n"}]}
    assert nbs.titulo(nb) == ("03", "Treinar e rastrear", "modelagem")
    with pytest.raises(ValueError):
        nbs.titulo({"cells": [{"cell_type": "markdown", "source": "Sem título"}]})


