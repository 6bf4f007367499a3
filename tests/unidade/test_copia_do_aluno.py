"""curso_mlops.copia_do_aluno, num repositório git de brinquedo (sem o curso)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest

from curso_mlops import copia_do_aluno as copia

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="a cópia precisa do git")


def _celula(tipo, fonte, *tags, **meta):
    celula = {"cell_type": tipo, "id": f"c{abs(hash(fonte)) % 10**6}", "metadata": {"tags": list(tags), **meta},
              "source": fonte}
    if tipo == "code":
        celula.update(outputs=[{"output_type": "stream", "name": "stdout", "text": "saída\n"}],
                      execution_count=1)
    return celula


EXPLICACAO = ("A resposta comentada, com um parágrafo longo o bastante para ser procurado em todos "
              "os arquivos da cópia do aluno.")


def _notebook():
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}},
            "cells": [_celula("markdown", "# 00 · Aula"), _celula("code", "conferir(\"00.2\")"),
                      _celula("markdown", "## Respostas", "resposta"),
                      _celula("code", "resposta_secreta = 42\nprint(resposta_secreta)", "resposta",
                              jupyter={"source_hidden": True, "outputs_hidden": True}),
                      _celula("markdown", EXPLICACAO + "\n\nCurto.", "resposta"),
                      _celula("markdown", "## Resumo")]}


@pytest.fixture
def repositorio(tmp_path):
    raiz = tmp_path / "repo"
    (raiz / "notebooks").mkdir(parents=True)
    (raiz / "tests").mkdir()
    copia._escrever_notebook(_notebook(), raiz / "notebooks" / "00_aula.ipynb")
    (raiz / "README.md").write_text("# Curso\n", encoding="utf-8")
    (raiz / "tests" / "test_gabarito.py").write_text(
        "# só-instrutor: carrega as respostas\nassert 42 == 42  # resposta_secreta = 42\n", encoding="utf-8")
    (raiz / "nao_acompanhado.txt").write_text("fora do git\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=raiz, check=True)
    subprocess.run(["git", "add", "notebooks", "README.md", "tests"], cwd=raiz, check=True)
    return raiz


def test_sem_respostas_tira_so_as_celulas_marcadas():
    nb = _notebook()
    limpo = copia.sem_respostas(nb)
    assert [c["source"] for c in limpo["cells"]] == ["# 00 · Aula", "conferir(\"00.2\")", "## Resumo"]
    assert limpo["cells"][1] == nb["cells"][1], "as outras células ficam idênticas, com as saídas"
    assert len(nb["cells"]) == 6, "o original não muda"


def test_textos_das_respostas():
    textos = copia.textos_das_respostas(_notebook())
    assert "resposta_secreta = 42\nprint(resposta_secreta)" in textos
    assert EXPLICACAO in textos and "Curto." not in textos and "## Respostas" not in textos


def test_gerar_monta_a_pasta_e_o_zip(repositorio, tmp_path):
    resumo = copia.gerar(repositorio, tmp_path / "saida", "turma")
    pasta = tmp_path / "saida" / "turma"
    assert resumo.pasta == pasta and resumo.respostas_tiradas == 3
    assert resumo.fora == ["tests/test_gabarito.py"]
    assert (pasta / "README.md").exists() and not (pasta / "tests" / "test_gabarito.py").exists()
    assert not (pasta / "nao_acompanhado.txt").exists(), "só o que o git acompanha"
    nb = json.loads((pasta / "notebooks" / "00_aula.ipynb").read_text(encoding="utf-8"))
    assert nb == copia.sem_respostas(_notebook())
    log = subprocess.run(["git", "log", "--oneline"], cwd=pasta, capture_output=True, text=True)
    assert log.returncode == 0 and len(log.stdout.splitlines()) == 1, "a cópia é um repositório git"
    with zipfile.ZipFile(resumo.zip) as arquivo_zip:
        nomes = arquivo_zip.namelist()
    assert "turma/README.md" in nomes and "turma/notebooks/00_aula.ipynb" in nomes
    assert any(n.startswith("turma/.git/") for n in nomes)
    # gerar de novo substitui a cópia anterior
    assert copia.gerar(repositorio, tmp_path / "saida", "turma").arquivos == resumo.arquivos


def test_recusa_apagar_uma_pasta_que_nao_e_copia(repositorio, tmp_path):
    (tmp_path / "saida" / "turma").mkdir(parents=True)
    (tmp_path / "saida" / "turma" / "importante.txt").write_text("não apague\n")
    with pytest.raises(copia.ErroDaCopia, match="não é uma cópia do aluno"):
        copia.gerar(repositorio, tmp_path / "saida", "turma")
    assert (tmp_path / "saida" / "turma" / "importante.txt").exists()


def test_resposta_vazada_em_outro_arquivo_para_a_copia(repositorio, tmp_path):
    (repositorio / "docs.md").write_text(f"Copiei a explicação: {EXPLICACAO}\n", encoding="utf-8")
    subprocess.run(["git", "add", "docs.md"], cwd=repositorio, check=True)
    with pytest.raises(copia.ErroDaCopia, match="docs.md"):
        copia.gerar(repositorio, tmp_path / "saida", "turma", com_git=False)


def test_destino_dentro_do_repositorio_fora_de_build(repositorio):
    with pytest.raises(copia.ErroDaCopia, match="fora de build"):
        copia.gerar(repositorio, repositorio / "notebooks", "turma")


def test_pasta_que_nao_e_git(tmp_path):
    with pytest.raises(copia.ErroDaCopia, match="não é um repositório git"):
        copia.gerar(tmp_path, tmp_path / "saida", "turma")


def test_so_do_instrutor(tmp_path):
    marcado = tmp_path / "a.py"
    marcado.write_text("# só-instrutor: gabarito\n")
    comum = tmp_path / "b.py"
    comum.write_text('"""# só-instrutor: só na 1ª linha conta"""\n')
    binario = tmp_path / "c.png"
    binario.write_bytes(b"\x89PNG\xff\xfe")
    assert copia.so_do_instrutor(marcado)
    assert not copia.so_do_instrutor(comum) and not copia.so_do_instrutor(binario)
