"""O executor do curso (curso_mlops.executor): escolhas, parâmetros, ALUNO e erros de uso.

Nada aqui executa um kernel: os casos que rodam notebooks de verdade estão em
tests/notebooks/test_executor_com_kernel.py.
"""

import pytest

from curso_mlops import executor
from tests import apoio


def test_escolher_por_numero_nome_ou_arquivo(tmp_path):
    disponiveis = [tmp_path / "00_a.ipynb", tmp_path / "01_b.ipynb", tmp_path / "02_c.ipynb"]
    assert executor.escolher([], disponiveis) == disponiveis
    assert executor.escolher(["2", "00_a", "notebooks/01_b.ipynb"], disponiveis) == disponiveis
    assert executor.escolher(["01", "01_b"], disponiveis) == [disponiveis[1]]
    with pytest.raises(executor.ErroDoExecutor, match="desconhecido: '07'.*00_a, 01_b, 02_c"):
        executor.escolher(["07"], disponiveis)


def test_escolher_na_ordem_dada_mantem_ordem_e_repeticoes(tmp_path):
    a, b, c = (tmp_path / n for n in ("00_a.ipynb", "01_b.ipynb", "02_c.ipynb"))
    assert executor.escolher(["02", "00", "02", "01_b"], [a, b, c], na_ordem_dada=True) == [c, a, c, b]
    with pytest.raises(executor.ErroDoExecutor, match="desconhecido: '07'"):
        executor.escolher(["00", "07"], [a, b, c], na_ordem_dada=True)


@pytest.mark.parametrize("resposta, segue", [("seguir\n", True), ("parar\n", False), ("", False)])
def test_proximo_passo_diz_a_aula_e_espera_a_ordem(tmp_path, capsys, resposta, segue):
    import io

    assert executor.proximo_passo(tmp_path / "05_x.ipynb", "ERRO", io.StringIO(resposta)) is segue
    assert capsys.readouterr().out == "passo: 05_x ERRO\n"


@pytest.mark.parametrize("extras", [["--in-place", "--fresh", "00"], []])
def test_passo_a_passo_precisa_dos_notebooks_e_nao_regrava(tmp_path, capsys, extras):
    apoio.notebook_de_teste(tmp_path, "00_a.ipynb", ["X = 1"])
    codigo, _, erro = _main(capsys, "--pasta-notebooks", tmp_path, "--passo-a-passo", *extras)
    assert codigo == 2
    assert erro == "erro: --passo-a-passo precisa dos notebooks, na ordem, e não aceita --in-place.\n"


def test_valores_de_parametros_como_o_papermill():
    assert [executor._valor(v) for v in ["3", "2.5", "True", "None", "abc"]] == [3, 2.5, True, None, "abc"]


def test_tabela_de_tempos():
    texto = executor.tabela([("00_a", 1.25, "ok"), ("01_b", None, "ERRO")])
    linhas = texto.splitlines()
    assert linhas[2].split() == ["00_a", "1.2s", "ok"]
    assert linhas[3].split() == ["01_b", "-", "ERRO"]
    assert linhas[-1].split() == ["total", "1.2s"]


def _main(capsys, *args):
    codigo = executor.main([str(a) for a in args])
    saida = capsys.readouterr()
    return codigo, saida.out, saida.err


def test_notebook_desconhecido_sai_com_2(capsys):
    codigo, _, erro = _main(capsys, "99_nao_existe")
    assert codigo == 2
    assert "notebook desconhecido: '99_nao_existe'" in erro
    assert "00_entender_o_negocio" in erro


def test_parametro_desconhecido_sai_com_2(capsys):
    codigo, _, erro = _main(capsys, "00", "-p", "NAO_EXISTE", "1")
    assert codigo == 2 and "parâmetro desconhecido: 'NAO_EXISTE'" in erro
    assert "Parâmetros dos notebooks escolhidos: ALUNO, " in erro


def test_in_place_nao_aceita_parametros(capsys):
    codigo, _, erro = _main(capsys, "--in-place", "-p", "X", "1")
    assert codigo == 2
    assert erro.startswith("erro: --in-place não aceita -p nem --aluno")


def test_fresh_e_tracking_uri_sao_exclusivos(capsys):
    codigo, _, erro = _main(capsys, "--fresh", "--tracking-uri", "sqlite:///x.db")
    assert codigo == 2
    assert erro.strip() == ("erro: use --fresh ou --tracking-uri, não os dois: --fresh já é um "
                            "store novo e temporário.")


def test_in_place_nao_aceita_aluno(capsys):
    codigo, _, erro = _main(capsys, "--in-place", "--aluno", "ana")
    assert codigo == 2 and "--aluno" in erro


# -- ALUNO: `--aluno NOME` = `-p ALUNO NOME`, conferido por curso_mlops.nomes ------------------

def test_pedido_do_aluno_vem_da_opcao_do_p_ou_da_variavel():
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
def test_aluno_invalido_sai_com_2(opcao, pedidos, ambiente, trecho):
    with pytest.raises(executor.ErroDoExecutor) as erro:
        executor.pedido_do_aluno(opcao, pedidos, ambiente)
    assert erro.value.codigo == 2 and trecho in str(erro.value)


def test_declarados_le_a_celula_como_python(tmp_path):
    """Um `=` no comentário não esconde o parâmetro (o inspect do papermill se perderia)."""
    caminho = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", [
        'ALUNO = ""  # o seu nome, ex.: ana; vazio = os nomes da aula\n'
        "N: int = 3\nA, B = 1, 2\nimport os\nfor i in range(2):\n    INTERNO = i",
        "print(ALUNO)"])
    assert executor.declarados(caminho) == {"ALUNO", "N", "A", "B"}
    sem_parametros = apoio.notebook_de_teste(tmp_path, "01_b.ipynb", [])
    assert executor.declarados(sem_parametros) == set()


def test_parametro_vai_so_para_quem_declara(tmp_path):
    a = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", ["NOME = 'x'\nN = 1", "print(NOME)"])
    b = apoio.notebook_de_teste(tmp_path, "01_b.ipynb", ["OUTRO = 1", "print(OUTRO)"])
    parametros = executor.parametros_por_notebook([a, b], [("NOME", "turma-b"), ("N", "2")])
    assert parametros == {a: {"NOME": "turma-b", "N": 2}, b: {}}


def test_aluno_e_sempre_texto(tmp_path):
    caminho = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", ["ALUNO = ''\nN = 1", "print(ALUNO)"])
    parametros = executor.parametros_por_notebook([caminho], [("ALUNO", "2025"), ("N", "2025")])
    assert parametros[caminho] == {"ALUNO": "2025", "N": 2025}


def test_aluno_sem_notebook_que_declare(tmp_path, capsys):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    apoio.notebook_de_teste(pasta, "00_a.ipynb", ["N = 1", "print(N)"])
    base = ["--pasta-notebooks", pasta, "--saida", tmp_path / "saida", "--fresh"]
    codigo, _, erro = _main(capsys, *base, "--aluno", "Ana Maria")
    assert codigo == 2 and "Tente 'ana-maria'" in erro
    codigo, _, erro = _main(capsys, *base, "--aluno", "ana")
    assert codigo == 2 and "nenhum notebook escolhido declara o parâmetro ALUNO" in erro


def test_substituir_guardado_e_atomico_e_normaliza(tmp_path):
    from curso_mlops import notebooks as nbs

    guardado = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", ["X = 1"])
    executado = tmp_path / "executado.ipynb"
    nb = nbs.ler(guardado)
    nb.metadata["papermill"] = {"duration": 1.0}
    nbs.escrever(nb, executado)
    executor.substituir_guardado(executado, guardado)
    assert "papermill" not in nbs.ler(guardado).metadata
    assert not list(tmp_path.glob(".*.tmp"))


def _executar_sem_kernel(motor, nb, saida, monkeypatch, falhar_na=None):
    """O motor do curso com as células "executadas" sem kernel: só o início e o fim de cada uma,
    como o papermill as anuncia ao gerente. Devolve quantas vezes o notebook foi gravado."""
    import papermill.engines as engines

    gravacoes = []
    original = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb_, caminho: (gravacoes.append(caminho),
                                                                      original(nb_, caminho)))

    def executar_celulas(gerente, kernel_name, **kwargs):
        for i, celula in enumerate(gerente.nb.cells):
            gerente.cell_start(celula, i)
            if i == falhar_na:
                raise RuntimeError("o kernel morreu")
            gerente.cell_complete(celula, i)

    monkeypatch.setattr(motor, "execute_managed_notebook", classmethod(
        lambda cls, gerente, kernel_name, **kwargs: executar_celulas(gerente, kernel_name)))
    try:
        motor.execute_notebook(nb, "python3", output_path=str(saida), progress_bar=False)
    finally:
        monkeypatch.undo()
    return len(gravacoes)


def test_o_motor_do_curso_grava_no_comeco_e_no_fim_e_nao_a_cada_celula(tmp_path, monkeypatch):
    """O papermill grava o executado duas vezes por célula (~150 vezes numa aula); o motor do
    curso, no começo, no fim e no máximo a cada GRAVAR_A_CADA segundos. O executado sai completo."""
    from papermill.engines import papermill_engines
    from papermill.iorw import load_notebook_node

    from curso_mlops import notebooks as nbs

    motor = papermill_engines.get_engine(executor._registrar_motor())
    caminho = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", [f"X = {i}" for i in range(40)])
    saida = tmp_path / "executado.ipynb"
    assert _executar_sem_kernel(motor, load_notebook_node(str(caminho)), saida, monkeypatch) == 2
    executado = nbs.ler(saida)
    assert all(c.metadata.papermill["status"] == "completed" for c in executado.cells)
    assert executado.metadata.papermill["end_time"] is not None


def test_o_motor_do_curso_grava_o_executado_ate_onde_o_kernel_morreu(tmp_path, monkeypatch):
    from papermill.engines import papermill_engines
    from papermill.iorw import load_notebook_node

    from curso_mlops import notebooks as nbs

    motor = papermill_engines.get_engine(executor._registrar_motor())
    caminho = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", ["X = 1", "Y = 2", "Z = 3"])
    saida = tmp_path / "executado.ipynb"
    with pytest.raises(RuntimeError, match="o kernel morreu"):
        _executar_sem_kernel(motor, load_notebook_node(str(caminho)), saida, monkeypatch, falhar_na=2)
    situacoes = [c.metadata.papermill["status"] for c in nbs.ler(saida).cells]
    assert situacoes[:2] == ["completed", "completed"] and situacoes[2] == "running"


def test_importar_ao_iniciar_importa_e_nao_deixa_nome():
    """O argumento do kernel aquecido é um `exec_lines` que o ipykernel lê como uma linha só;
    rodada num namespace vazio, ela importa os módulos e não deixa nome nenhum."""
    import sys

    from ipykernel.kernelapp import IPKernelApp

    aplicacao = IPKernelApp()  # só lê a linha de comando, como o kernel ao iniciar
    aplicacao.parse_command_line(executor.importar_ao_iniciar(("json", "colorsys")))
    (linha,) = aplicacao.exec_lines
    sys.modules.pop("colorsys", None)
    namespace: dict = {}
    exec(linha, namespace)
    assert set(namespace) == {"__builtins__"}
    assert "colorsys" in sys.modules
    # O padrão: as bibliotecas das aulas (o piso do bench) e o store SQLite que toda aula abre.
    assert executor.MODULOS_DE_TODA_AULA[:-1] == executor.BIBLIOTECAS_DAS_AULAS
    assert "mlflow.store.tracking.sqlalchemy_store" in executor.MODULOS_DE_TODA_AULA


def test_toda_aula_do_curso_recebe_o_kernel_com_todos_os_imports():
    """As aulas importam o `curso_mlops`: o kernel aquecido de cada uma é o de sempre."""
    from curso_mlops import notebooks as nbs

    aulas = nbs.listar()
    assert len(aulas) == 11
    assert {a.name: executor.modulos_a_aquecer(a) for a in aulas} == \
        {a.name: executor.MODULOS_DE_TODA_AULA for a in aulas}


@pytest.mark.parametrize(("celulas", "esperados"), [
    (["X = 1", "print(X)"], ()),
    (["X = 1", "import os, sys\nprint(os.getcwd())"], ()),
    (["X = 1", "import pandas as pd"], ("pandas",)),
    (["X = 1", "import matplotlib.pyplot as plt\nfrom scipy import stats"], ("matplotlib.pyplot", "scipy.stats")),
    (["X = 1", "%matplotlib inline\nimport statsmodels.formula.api as smf"], ("statsmodels.formula.api",)),
    (["X = 1", "def f():\n    import mlflow\n    return mlflow"],
     ("mlflow", "mlflow.store.tracking.sqlalchemy_store")),
    (["X = 1", "!pip list\nfrom . import nada\nfrom pandas import DataFrame"], ("pandas",)),
    (["X = 1", "import curso_mlops.aula"], executor.MODULOS_DE_TODA_AULA),
    # Uma célula que não é Python válido: os imports do começo das linhas ainda contam.
    (["X = 1", "import pandas\nisto não é python ("], ("pandas",)),
])
def test_o_kernel_aquecido_so_importa_o_que_o_notebook_importa(tmp_path, celulas, esperados):
    caminho = apoio.notebook_de_teste(tmp_path, "00_a.ipynb", celulas)
    assert executor.modulos_a_aquecer(caminho) == esperados


def test_notebook_ilegivel_recebe_o_kernel_com_todos_os_imports(tmp_path):
    caminho = tmp_path / "00_quebrado.ipynb"
    caminho.write_text("{ não é json", encoding="utf-8")
    assert executor.modulos_a_aquecer(caminho) == executor.MODULOS_DE_TODA_AULA
