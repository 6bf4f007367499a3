# só-instrutor: este arquivo confere a cópia do aluno a partir do repositório com as respostas.
"""A cópia do aluno (`make aluno`) gerada a partir deste repositório.

Confere que nenhum texto de resposta está nela, que os notebooks são os do instrutor sem as
células de resposta, que os arquivos só do instrutor ficaram fora e que as conferências da
cópia funcionam contra um store de verdade (uma tentativa certa e uma errada).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from curso_mlops import copia_do_aluno as copia
from curso_mlops import notebooks as nbs

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="a cópia precisa do git")


@pytest.fixture(scope="module")
def copia_gerada(tmp_path_factory, raiz_do_repo):
    return copia.gerar(raiz_do_repo, tmp_path_factory.mktemp("aluno"), "curso-aluno")


@pytest.fixture(scope="module")
def raiz_do_repo():
    from curso_mlops import store

    return store.raiz_do_repositorio()


def test_nenhum_texto_de_resposta_na_copia(copia_gerada):
    textos = [t for p in nbs.listar() for t in copia.textos_das_respostas(nbs.ler(p))]
    assert len(textos) > 40, "os notebooks do instrutor têm as respostas"
    for arquivo in sorted(copia_gerada.pasta.rglob("*")):
        if not arquivo.is_file() or ".git" in arquivo.relative_to(copia_gerada.pasta).parts:
            continue
        try:
            conteudo = arquivo.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if arquivo.suffix == ".ipynb":
            nb = json.loads(conteudo)
            assert not [c for c in nb["cells"] if copia.e_resposta(c)]
            conteudo = "\n".join(nbs.fonte(c) for c in nb["cells"])
        achados = [t[:60] for t in textos if t in conteudo]
        assert not achados, f"{arquivo.name}: {achados}"


def test_notebooks_iguais_aos_do_instrutor_sem_as_respostas(copia_gerada):
    for caminho in nbs.listar():
        instrutor = nbs.ler(caminho)
        aluno = nbs.ler(copia_gerada.pasta / "notebooks" / caminho.name)
        assert aluno["metadata"] == instrutor["metadata"]
        esperado = [c for c in instrutor["cells"] if not copia.e_resposta(c)]
        assert aluno["cells"] == esperado, caminho.name
        assert len(aluno["cells"]) < len(instrutor["cells"]), f"{caminho.name} não tinha respostas?"


def test_arquivos_do_git_menos_os_do_instrutor(copia_gerada, raiz_do_repo):
    na_copia = {p.relative_to(copia_gerada.pasta).as_posix() for p in copia_gerada.pasta.rglob("*")
                if p.is_file() and ".git" not in p.relative_to(copia_gerada.pasta).parts}
    do_git = {r for r in copia.arquivos_do_git(raiz_do_repo) if (raiz_do_repo / r).is_file()}
    assert na_copia == (do_git - set(copia_gerada.fora)) | {copia.MARCA_DA_PASTA}
    assert "tests/notebooks/test_exercicios.py" in copia_gerada.fora
    assert "tests/notebooks/test_copia_do_aluno.py" in copia_gerada.fora
    assert copia_gerada.zip.exists()


def _conferir_na_copia(pasta, uri, conferencias):
    """Roda as `conferencias` ([(exercício, resposta em Python)]) num processo só, com o pacote da
    cópia no PYTHONPATH, e devolve o resultado e a saída de cada uma (separadas por um marcador)."""
    linhas = ["import curso_mlops.exercicios as e", "print('MODULO', e.__file__)"]
    for numero, (exercicio, resposta_py) in enumerate(conferencias):
        linhas += [f"print('### {numero}')",
                   f"print('OK', e.conferir({exercicio!r}, {resposta_py}).ok)"]
    ambiente = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(pasta)}
    ambiente.pop("ALUNO", None)
    resultado = subprocess.run([sys.executable, "-c", "\n".join(linhas)], cwd=pasta, env=ambiente,
                               capture_output=True, text=True, timeout=300)
    assert resultado.returncode == 0, resultado.stderr[-2000:]
    cabecalho, *partes = resultado.stdout.split("### ")
    assert cabecalho.startswith(f"MODULO {pasta}"), "o módulo veio da cópia"
    assert len(partes) == len(conferencias), resultado.stdout
    return partes


@pytest.mark.lento
def test_as_conferencias_funcionam_na_copia(copia_gerada, store_do_curso):
    """Uma tentativa errada e uma certa da 05.4 e a 03.1 contra o store do curso, pelo módulo da
    cópia (um processo só: importar o MLflow uma vez)."""
    pasta = copia_gerada.pasta
    errada, certa, do_store = _conferir_na_copia(pasta, store_do_curso.uri, [
        ("05.4", "'models:/tempo_entrega/Production'"), ("05.4", "'models:/tempo_entrega@champion'"),
        ("03.1", "None")])
    assert "OK False" in errada and "ainda não." in errada
    assert "OK True" in certa and "certo!" in certa
    assert "OK False" in do_store and "ols-distancia-itens" in do_store
