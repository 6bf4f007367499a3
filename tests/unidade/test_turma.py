"""O CSV da turma (curso_mlops.turma e scripts/criar_alunos.py): tudo conferido antes de criar."""

import pytest

from curso_mlops import turma

SENHA_A = "Vento-Azul-42-Mar"
SENHA_B = "Pedra.Lisa.Cinco.7"


def test_csv_valido():
    alunos = turma.ler_csv(f"aluno,senha\n# comentário\n\nana,{SENHA_A}\njoao-silva,\"{SENHA_B}\"\n")
    assert [(a.nome, a.senha, a.linha) for a in alunos] == [("ana", SENHA_A, 4),
                                                             ("joao-silva", SENHA_B, 5)]
    assert SENHA_A not in repr(alunos), "a senha não pode aparecer em mensagens"


def test_cabecalho_errado_ou_vazio():
    with pytest.raises(turma.ErroDaTurma, match="cabeçalho deve ser exatamente aluno,senha"):
        turma.ler_csv(f"nome,senha\nana,{SENHA_A}\n")
    with pytest.raises(turma.ErroDaTurma, match="está vazio"):
        turma.ler_csv("\n# nada\n")
    with pytest.raises(turma.ErroDaTurma, match="só tem o cabeçalho"):
        turma.ler_csv("aluno,senha\n")


@pytest.mark.parametrize("linha, trecho", [
    ("ana,", "a senha de 'ana' não serve: a senha está vazia"),
    ("ana,   ", "a senha está vazia"),
    ("ana,curta123", "o mínimo é 12"),
    ("ana,ana-Longa-Senha-9", "contém o nome do usuário"),
    ("ana,aaaaaaaaaaaaaaaa", "pelo menos 6 diferentes"),
    ("ana,Xy-123456789-Zk", "sequência óbvia"),
    ("ana,minhaSenhaLonga9", "palavra óbvia 'senha'"),
    ("ana,Qwerty-Longa-9", "sequência óbvia ('qwerty')"),
    ("Ana,Vento-Azul-42-Mar", "Tente 'ana'"),
    (",Vento-Azul-42-Mar", "o nome do aluno está vazio"),
    ("ana,Vento,Azul-42-Mar", "esperava 2 colunas"),
])
def test_linha_ruim_para_tudo_com_o_numero_da_linha(linha, trecho):
    with pytest.raises(turma.ErroDaTurma) as erro:
        turma.ler_csv(f"aluno,senha\nbia,{SENHA_B}\n{linha}\n")
    mensagem = str(erro.value)
    assert "nada foi criado" in mensagem and "linha 3" in mensagem
    assert trecho in mensagem


def test_nome_repetido():
    with pytest.raises(turma.ErroDaTurma, match=r"linha 3: o aluno 'ana' está repetido \(já aparece na linha 2\)"):
        turma.ler_csv(f"aluno,senha\nana,{SENHA_A}\nana,{SENHA_B}\n")


def test_todos_os_problemas_de_uma_vez():
    with pytest.raises(turma.ErroDaTurma) as erro:
        turma.ler_csv(f"aluno,senha\nana,\nbia,{SENHA_B}\nbia,{SENHA_A}\nCarla,{SENHA_A}\n")
    mensagem = str(erro.value)
    assert all(f"linha {n}" in mensagem for n in (2, 4, 5))


def test_credenciais_do_admin_vem_do_ambiente():
    assert turma.credenciais_do_admin({"MLFLOW_TRACKING_USERNAME": "admin",
                                       "MLFLOW_TRACKING_PASSWORD": "x"}) == ("admin", "x")
    with pytest.raises(turma.ErroDaTurma, match="MLFLOW_TRACKING_USERNAME"):
        turma.credenciais_do_admin({})


def _criar_alunos(capsys, *args):
    from scripts import criar_alunos

    codigo = criar_alunos.main([str(a) for a in args])
    saida = capsys.readouterr()
    return codigo, saida.out, saida.err


def test_script_confere_o_csv(tmp_path, capsys):
    bom = tmp_path / "turma.csv"
    bom.write_text(f"aluno,senha\nana,{SENHA_A}\nbia,{SENHA_B}\n", encoding="utf-8")
    codigo, saida, erro = _criar_alunos(capsys, bom, "--conferir")
    assert codigo == 0, erro
    assert saida.strip() == "turma.csv: 2 aluno(s), todos válidos: ana, bia"
    assert SENHA_A not in saida + erro

    ruim = tmp_path / "ruim.csv"
    ruim.write_text(f"aluno,senha\nana,{SENHA_A}\nana,{SENHA_B}\n", encoding="utf-8")
    codigo, _, erro = _criar_alunos(capsys, ruim, "--conferir")
    assert codigo == 1 and "está repetido" in erro
    assert SENHA_B not in erro

    codigo, _, erro = _criar_alunos(capsys, tmp_path / "nao-existe.csv")
    assert codigo == 1 and "arquivo não encontrado" in erro


def test_script_sem_servidor_ou_sem_credenciais(tmp_path, capsys, monkeypatch):
    from curso_mlops.processos import porta_livre

    csv = tmp_path / "turma.csv"
    csv.write_text(f"aluno,senha\nana,{SENHA_A}\n", encoding="utf-8")
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    url = f"http://127.0.0.1:{porta_livre()}"
    codigo, _, erro = _criar_alunos(capsys, csv, "--tracking-uri", url)
    assert codigo == 1 and "MLFLOW_TRACKING_USERNAME" in erro
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "Uma-Senha-Qualquer-9")
    codigo, _, erro = _criar_alunos(capsys, csv, "--tracking-uri", url)
    assert codigo == 1 and f"O servidor {url} não responde" in erro
    codigo, _, erro = _criar_alunos(capsys, csv, "--tracking-uri", "sqlite:///x.db")
    assert codigo == 1 and "servidor com senha" in erro


def test_regra_das_senhas():
    assert turma.problema_da_senha("Vento-Azul-42-Mar", "ana") is None
    assert turma.problema_da_senha(None) == "a senha está vazia"
    assert turma.problema_da_senha(" Vento-Azul-42-Mar") .startswith("a senha começa ou termina")
    assert turma.problema_da_senha("Ana-Vento-Azul-42", "ana") == "a senha contém o nome do usuário"
    assert "mlflow" in turma.problema_da_senha("Curso-do-MLflow-42")
