"""Os nomes do curso com o espaço de cada aluno (curso_mlops.nomes): uma regra, um lugar."""

import pytest

from curso_mlops import nomes


@pytest.mark.parametrize("vazio", [None, "", "   "])
def test_aluno_vazio_da_os_nomes_da_aula(vazio):
    assert nomes.validar_aluno(vazio) == ""
    assert nomes.nomes_do_aluno(vazio) == {"experimento": "tempo-entrega",
                                           "monitoramento": "tempo-entrega-monitoramento",
                                           "modelo": "tempo_entrega"}


def test_nomes_de_um_aluno():
    assert nomes.nomes_do_aluno("ana") == {"experimento": "tempo-entrega-ana",
                                           "monitoramento": "tempo-entrega-monitoramento-ana",
                                           "modelo": "tempo_entrega_ana"}
    assert nomes.experimento("joao-silva") == "tempo-entrega-joao-silva"
    assert nomes.modelo("aluno07") == "tempo_entrega_aluno07"
    assert nomes.nome_com_aluno("qualquer", " ana ", "_") == "qualquer_ana"


@pytest.mark.parametrize("valor", ["ana", "joao-silva", "aluno07", "7", "a-b-c", "x" * 40])
def test_valores_aceitos(valor):
    assert nomes.validar_aluno(valor) == valor


@pytest.mark.parametrize("valor, trecho", [
    ("Ana", "Tente 'ana'"),
    ("joão", "Tente 'joao'"),
    ("João Silva", "Tente 'joao-silva'"),
    ("joao_silva", "Tente 'joao-silva'"),
    ("joao silva", "Tente 'joao-silva'"),
    ("-ana", "Tente 'ana'"),
    ("ana-", "Tente 'ana'"),
    ("ana--bia", "não é um nome válido"),
    ("ana/../bia", "não é um nome válido"),
    ("x" * 41, "longo demais"),
    ("monitoramento", "não pode começar por 'monitoramento'"),
    ("monitoramento-ana", "mesmo nome do experimento de monitoramento"),
])
def test_valores_recusados_com_mensagem_em_portugues(valor, trecho):
    with pytest.raises(nomes.ErroDeNome, match=trecho.replace("(", r"\(")):
        nomes.validar_aluno(valor)


def test_nenhum_par_de_alunos_colide():
    """Dois alunos diferentes nunca compartilham um nome (nem com os nomes da aula)."""
    alunos = ["", "ana", "bia", "ana-bia", "ana2", "m", "mon", "monitor"]
    todos = [n for a in alunos for n in nomes.nomes_do_aluno(a).values()]
    assert len(todos) == len(set(todos))


def test_tipo_e_separador_invalidos():
    with pytest.raises(nomes.ErroDeNome, match="texto"):
        nomes.validar_aluno(7)
    with pytest.raises(nomes.ErroDeNome, match="Separador"):
        nomes.nome_com_aluno("tempo-entrega", "ana", ".")
    with pytest.raises(nomes.ErroDeNome, match="vazio"):
        nomes.nome_com_aluno("", "ana")


def test_espacos_dos_exercicios_e_das_respostas():
    assert (nomes.experimento_exercicios(""), nomes.modelo_exercicios("")) == (
        "tempo-entrega-exercicios", "tempo_entrega_exercicios")
    assert (nomes.experimento_respostas("ana"), nomes.modelo_respostas("ana")) == (
        "tempo-entrega-respostas-ana", "tempo_entrega_respostas_ana")
    assert nomes.experimento_exercicios("ana") == "tempo-entrega-exercicios-ana"


@pytest.mark.parametrize("valor", ["exercicios", "exercicios-ana", "respostas", "respostas-bia"])
def test_aluno_nao_pode_tomar_o_espaco_dos_exercicios(valor):
    with pytest.raises(nomes.ErroDeNome, match="espaço de"):
        nomes.validar_aluno(valor)
    assert nomes.sugerir_aluno(valor.upper()) == ""


def test_nenhum_espaco_de_exercicio_colide_com_os_nomes_das_aulas():
    alunos = ["", "ana", "bia", "ana-bia", "e", "exer", "resp", "r"]
    todos = [n for a in alunos for n in (*nomes.nomes_do_aluno(a).values(),
                                         nomes.experimento_exercicios(a), nomes.modelo_exercicios(a),
                                         nomes.experimento_respostas(a), nomes.modelo_respostas(a))]
    assert len(todos) == len(set(todos))
