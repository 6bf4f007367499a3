"""Requisitos dos modelos: tirados de requirements.txt, sem inferência lenta."""

from importlib import metadata

import pytest

from curso_mlops import ambiente


def test_versoes_vem_do_requirements(tmp_path):
    arquivo = tmp_path / "requirements.txt"
    arquivo.write_text("# grupo\nmlflow==3.17.2  # motivo\nPandas==3.1.1\n-e .\nnumpy>=2\n", encoding="utf-8")
    assert ambiente.versoes_fixadas(arquivo) == {"mlflow": "3.17.2", "pandas": "3.1.1"}


def test_requisitos_usam_pin_e_depois_o_instalado(tmp_path):
    arquivo = tmp_path / "requirements.txt"
    arquivo.write_text("mlflow==9.9.9\n", encoding="utf-8")
    requisitos = ambiente.requisitos_do_modelo(("mlflow", "patsy"), arquivo)
    assert requisitos == ["mlflow==9.9.9", f"patsy=={metadata.version('patsy')}"]


def test_pacote_desconhecido_tem_mensagem(tmp_path):
    arquivo = tmp_path / "requirements.txt"
    arquivo.write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError, match="não está fixado"):
        ambiente.requisitos_do_modelo(("pacote-que-nao-existe-xyz",), arquivo)


def test_requisitos_do_curso_batem_com_o_instalado():
    """O .venv foi instalado do requirements.txt: as versões fixadas são as instaladas."""
    for requisito in ambiente.requisitos_do_modelo():
        nome, versao = requisito.split("==")
        assert metadata.version(nome) == versao, requisito


def test_cada_pacote_e_fixado_uma_vez_so():
    """Uma linha por pacote em requirements.txt (a aula 10 conta os pacotes fixados)."""
    import re

    linhas = (ambiente.raiz_do_repositorio() / "requirements.txt").read_text(encoding="utf-8").splitlines()
    nomes = [re.split(r"[\[=<>~!; ]", linha.strip(), maxsplit=1)[0].lower().replace("_", "-")
             for linha in linhas if linha.strip() and not linha.lstrip().startswith(("#", "-"))]
    repetidos = sorted({nome for nome in nomes if nomes.count(nome) > 1})
    assert not repetidos, f"fixados mais de uma vez: {repetidos}"
    assert len(nomes) == len(ambiente.versoes_fixadas())
