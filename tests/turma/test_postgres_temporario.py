"""O PostgreSQL descartável dos testes (tests/turma/postgres_temporario.py): onde acha os programas,
quem o roda e que sobe e para sem deixar processo."""

import os

import pytest

from curso_mlops import processos
from tests.turma import postgres_temporario as pl


def _programas(pasta):
    pasta.mkdir(parents=True)
    for nome in ("initdb", "postgres"):
        (pasta / nome).write_text("#!/bin/sh\n")
        (pasta / nome).chmod(0o755)
    return pasta


def test_acha_no_path_ou_na_versao_mais_nova_do_debian(tmp_path):
    no_path = _programas(tmp_path / "path")
    debian = tmp_path / "debian"
    _programas(debian / "13" / "bin")
    _programas(debian / "15" / "bin")
    assert pl.localizar_binarios(path=str(no_path), raiz_debian=str(debian)) == no_path.resolve()
    vazio = tmp_path / "vazio"
    vazio.mkdir()
    assert pl.localizar_binarios(path=str(vazio), raiz_debian=str(debian)) == debian / "15" / "bin"
    assert pl.localizar_binarios(path=str(vazio), raiz_debian=str(tmp_path / "nada")) is None


def test_sem_postgres_a_mensagem_diz_o_pacote(monkeypatch):
    monkeypatch.setattr(pl, "localizar_binarios", lambda: None)
    with pytest.raises(pl.ErroDoPostgres, match="apt-get install -y postgresql"):
        pl.PostgresTemporario()


@pytest.mark.skipif(os.name != "posix", reason="só em sistemas POSIX")
def test_como_root_roda_como_usuario_sem_privilegios():
    usuario = pl.usuario_do_cluster()
    if os.geteuid() != 0:
        assert usuario is None
    else:
        assert usuario is not None and usuario.pw_uid != 0 and usuario.pw_name in ("postgres", "nobody")


@pytest.mark.servidor
def test_sobe_aceita_conexao_e_para_sem_sobrar_processo():
    if pl.localizar_binarios() is None:
        pytest.skip("PostgreSQL não instalado (apt-get install -y postgresql)")
    import psycopg

    with pl.PostgresTemporario() as banco:
        pid = banco.processo.pid
        with psycopg.connect(banco.uri, autocommit=True) as conexao:
            assert conexao.execute("SELECT current_database()").fetchone() == ("mlflow",)
        dono = processos.psutil.Process(pid).username()
        pasta = banco.pasta
    assert os.geteuid() != 0 or dono in ("postgres", "nobody"), "o cluster rodou como root"
    assert not processos.grupo_vivo(pid), "sobrou processo do PostgreSQL"
    assert not pasta.exists(), "a pasta do cluster ficou"
