"""`make painel` contra um servidor de tracking de verdade, com senha, e dois alunos em pontos
diferentes do curso.

O servidor e a turma vêm da fixture `turma_do_painel` (um `TurmaDoPainel`): a turma da sessão
(tests/turma/turma_compartilhada.py), a mesma dos testes do servidor da turma, sem outra
execução do curso. É um `mlflow server` com PostgreSQL e o app de senha em 127.0.0.1, os
alunos criados por `scripts/criar_alunos.py` com as permissões padrão, a Ana no curso inteiro e
a Bia de 00 a 04, ao mesmo tempo. O instrutor acrescenta três nomes incompletos, como numa
turma de verdade: um usuário sem experimento (caio), um experimento sem usuário (duda) e um
experimento na lixeira (eva).

O painel só lê: o `retrato()` do servidor inteiro (pela API, as tabelas do PostgreSQL e o
banco das senhas) é o mesmo antes e depois de cada execução dele.

O painel roda como o instrutor o roda (`scripts/painel_turma.py`, num processo próprio); a
página gerada é aberta num Chromium headless (Playwright, o Chromium do Debian).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sqlite3
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest

from curso_mlops import basic_auth, navegador, painel, processos
from curso_mlops import servidor_tracking as st
from tests import apoio
from tests.turma import turma_compartilhada as tc

pytestmark = [pytest.mark.lento, pytest.mark.servidor, pytest.mark.turma,
              pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")]

RAIZ = Path(__file__).resolve().parents[2]
SENHA_ADMIN = tc.SENHA_ADMIN
ALUNOS = tc.ALUNOS
SENHA_CAIO = "Rio-Doce-Verde-31"
COM_EXERCICIOS = importlib.util.find_spec("curso_mlops.exercicios") is not None


@dataclass
class TurmaDoPainel:
    """O que os testes do painel precisam de uma turma num servidor de verdade."""

    url: str
    usuario_admin: str
    senha_admin: str
    senhas: dict[str, str]                    # de cada aluno (nunca podem aparecer na saída)
    feitas: dict[str, set[str]]               # as aulas que cada aluno fez, como o painel as conta
    retrato: Callable[[], object]             # o servidor inteiro, para comparar antes e depois
    incompletos: dict[str, str] = field(default_factory=dict)  # aluno -> observação esperada

    def ambiente(self, **extra) -> dict[str, str]:
        ambiente = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
        ambiente.update(MLFLOW_TRACKING_URI=self.url, MLFLOW_TRACKING_USERNAME=self.usuario_admin,
                        MLFLOW_TRACKING_PASSWORD=self.senha_admin, TZ="America/Sao_Paulo")
        ambiente.update(extra)
        return {k: v for k, v in ambiente.items() if v is not None}

    @property
    def todas_as_senhas(self) -> list[str]:
        return [self.senha_admin, *self.senhas.values()]


# -- a turma barata (SQLite com senha) -----------------------------------------------------------------
@contextlib.contextmanager
def _como(usuario: str, senha: str):
    """As credenciais no ambiente deste processo, só dentro do bloco."""
    antes = {v: os.environ.get(v) for v in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    os.environ.update(MLFLOW_TRACKING_USERNAME=usuario, MLFLOW_TRACKING_PASSWORD=senha)
    try:
        yield
    finally:
        for variavel, valor in antes.items():
            if valor is None:
                os.environ.pop(variavel, None)
            else:
                os.environ[variavel] = valor


def _despejo_sqlite(banco: Path) -> list[str]:
    conexao = sqlite3.connect(f"file:{banco}?mode=ro", uri=True)
    try:
        return list(conexao.iterdump())
    finally:
        conexao.close()


def retrato_pela_api(url: str, usuario: str, senha: str) -> dict:
    """Tudo o que o servidor guarda e a API mostra: vale para qualquer banco (SQLite, PostgreSQL)."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    with _como(usuario, senha):
        cliente = MlflowClient(tracking_uri=url, registry_uri=url)
        experimentos = cliente.search_experiments(view_type=ViewType.ALL, max_results=1000)
        runs = []
        for e in experimentos:
            runs += cliente.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=5000)
        modelos = cliente.search_registered_models(max_results=1000)
        versoes = [v for m in modelos for v in cliente.search_model_versions(f"name = '{m.name}'")]
        usuarios = painel._pedir(url, "/api/2.0/mlflow/users/list").json()
    return {
        "experimentos": sorted((e.experiment_id, e.name, e.lifecycle_stage, e.last_update_time,
                                sorted(e.tags.items())) for e in experimentos),
        "runs": sorted((r.info.run_id, r.info.status, r.info.lifecycle_stage, r.info.end_time,
                        sorted(r.data.tags.items()), sorted(r.data.params.items()),
                        sorted(r.data.metrics.items())) for r in runs),
        "modelos": sorted((m.name, m.last_updated_timestamp, sorted(m.tags.items()),
                           sorted(m.aliases.items()) if isinstance(m.aliases, dict) else sorted(m.aliases))
                          for m in modelos),
        "versoes": sorted((v.name, v.version, v.last_updated_timestamp, sorted(v.tags.items()),
                           sorted(v.aliases)) for v in versoes),
        "usuarios": sorted(str(u) for u in usuarios.get("users", [])),
    }


def _despejo_postgres(uri: str) -> dict[str, list]:
    """Cada tabela do banco do servidor, linha a linha (em ordem), só lendo."""
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conexao:
        tabelas = [t for (t,) in conexao.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {t: sorted(map(repr, conexao.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tabelas}


def turma_de(url: str, senha_admin: str, senhas: dict[str, str], feitas: dict[str, set[str]],
             bancos_sqlite: tuple[Path, ...] = (), banco_postgres: str | None = None,
             incompletos: dict[str, str] | None = None, usuario_admin: str = "admin") -> TurmaDoPainel:
    """Um TurmaDoPainel para um servidor que já tem a turma. O retrato é o da API (qualquer
    banco) e também o conteúdo dos bancos: os arquivos SQLite (o das senhas) e o PostgreSQL."""

    def retrato():
        return {"bancos": [_despejo_sqlite(b) for b in bancos_sqlite],
                "postgres": _despejo_postgres(banco_postgres) if banco_postgres else None,
                "api": retrato_pela_api(url, usuario_admin, senha_admin)}

    return TurmaDoPainel(url=url, usuario_admin=usuario_admin, senha_admin=senha_admin,
                         senhas=senhas, feitas=feitas, retrato=retrato, incompletos=incompletos or {})


# As aulas que deixam rastro no store (o painel as conta pelo que cada uma grava): na turma da
# sessão, a Ana rodou o curso inteiro e a Bia, de 00 a 04. A 01, a 06 e a 09 não gravam nada.
FEITAS_NA_TURMA = {"ana": {"00", "02", "03", "04", "05", "07", "08", "10"},
                   "bia": {"00", "02", "03", "04"}}
INCOMPLETOS = {"caio": "sem experimentos nem modelo", "duda": "sem usuário no servidor",
               "eva": "experimento na lixeira (tempo-entrega-eva)"}


@pytest.fixture(scope="module")
def turma_do_painel(turma_da_sessao, aula_da_turma) -> TurmaDoPainel:
    """A turma da sessão (PostgreSQL com senha, tests/turma/turma_compartilhada.py) e mais três
    nomes incompletos, como numa turma de verdade, feitos pelo instrutor: um usuário sem
    experimento (caio), um experimento sem usuário (duda) e um experimento na lixeira (eva)."""
    for aluno, resultado in aula_da_turma.items():
        assert resultado.returncode == 0, (aluno, resultado.stdout[-2000:], resultado.stderr[-3000:])
    import mlflow.server
    from mlflow.tracking import MlflowClient

    url = turma_da_sessao.url
    with _como("admin", SENHA_ADMIN):
        mlflow.server.get_app_client("basic-auth", tracking_uri=url).create_user("caio", SENHA_CAIO)
        cliente = MlflowClient(tracking_uri=url, registry_uri=url)
        cliente.create_experiment("tempo-entrega-duda")
        cliente.delete_experiment(cliente.create_experiment("tempo-entrega-eva"))
    pasta_servidor = turma_da_sessao.servidor.config.pasta
    return turma_de(
        url, SENHA_ADMIN, {**ALUNOS, "caio": SENHA_CAIO},
        feitas={**FEITAS_NA_TURMA, "caio": set(), "duda": set(), "eva": set()},
        bancos_sqlite=(pasta_servidor / st.PASTA_AUTH / basic_auth.ARQUIVO_BANCO,),
        banco_postgres=turma_da_sessao.postgres.uri, incompletos=INCOMPLETOS)


# -- o painel, como o instrutor o roda ------------------------------------------------------------------
@dataclass
class Execucao:
    resultado: object
    html: Path
    antes: object
    depois: object


def _painel(turma: TurmaDoPainel, rodar_script, html: Path, *args, **ambiente) -> Execucao:
    antes = turma.retrato()
    resultado = rodar_script(["scripts/painel_turma.py", "--html", html, *args],
                             env=turma.ambiente(**ambiente), timeout=300)
    return Execucao(resultado, html, antes, turma.retrato())


def _painel_no_processo(turma: TurmaDoPainel, html: Path, capsys, **ambiente) -> Execucao:
    """O mesmo `main()` do script, neste processo: sem os ~4 s de importar o MLflow de novo.

    Durante a chamada, o ambiente é exatamente o que o script teria num processo próprio
    (`turma.ambiente`); depois, volta inteiro, com o que o painel pôs nele por conta própria.
    """
    from scripts import painel_turma

    antes = turma.retrato()
    capsys.readouterr()
    with mock.patch.dict(os.environ, turma.ambiente(**ambiente), clear=True):
        codigo = painel_turma.main(["--html", str(html)])
    capturado = capsys.readouterr()
    resultado = subprocess.CompletedProcess(["painel_turma.main"], codigo, capturado.out, capturado.err)
    return Execucao(resultado, html, antes, turma.retrato())


@pytest.fixture(scope="module")
def painel_gerado(turma_do_painel, rodar_script, tmp_path_factory) -> Execucao:
    return _painel(turma_do_painel, rodar_script, tmp_path_factory.mktemp("painel") / "painel.html")


def _linhas_da_tabela(saida: str) -> dict[str, list[str]]:
    linhas = saida.splitlines()
    cabecalho = next(i for i, linha in enumerate(linhas) if linha.startswith("aluno "))
    tabela = {}
    for linha in linhas[cabecalho + 1:]:
        if not linha.strip():
            break
        tabela[linha.split()[0]] = linha
    return tabela


def _sem_senhas(turma: TurmaDoPainel, *textos: str) -> None:
    for senha in turma.todas_as_senhas:
        for texto in textos:
            assert senha not in texto, "uma senha apareceu na saída do painel"


def test_painel_mostra_o_ponto_de_cada_aluno(painel_gerado, turma_do_painel):
    resultado = painel_gerado.resultado
    assert resultado.returncode == 0, resultado.stderr
    saida = resultado.stdout
    print("\n" + saida)  # com -s, a tabela como o instrutor a vê
    assert saida.startswith(f"Painel da turma · {turma_do_painel.url} · ")
    tabela = _linhas_da_tabela(saida)
    assert set(turma_do_painel.feitas) <= set(tabela), tabela.keys()
    for aluno, feitas in turma_do_painel.feitas.items():
        marcas = dict(zip(painel.AULAS, tabela[aluno].split()[1:12]))
        esperado = {a: "✓" if a in feitas else ("—" if a in ("01", "06", "09") else "·")
                    for a in painel.AULAS}
        assert marcas == esperado, (aluno, tabela[aluno])
        assert f" {len(feitas)}/8 " in tabela[aluno]
    # Quem rodou notebooks com runs trabalhou agora há pouco; quem só fez a 00 não tem run.
    for aluno, feitas in turma_do_painel.feitas.items():
        if feitas - {"00"}:
            assert re.search(r"(hoje|ontem) \d\d:\d\d \((agora há pouco|há \d+ (min|h))\)",
                             tabela[aluno]), tabela[aluno]
        else:
            assert "nenhuma run ainda" in tabela[aluno], tabela[aluno]
    for aluno, observacao in turma_do_painel.incompletos.items():
        assert observacao in tabela[aluno]
    if COM_EXERCICIOS:
        assert all(re.search(r" \d+/\d+ +(hoje|ontem|nenhuma|\d\d/)", tabela[a]) for a in turma_do_painel.feitas)
    else:
        assert "self-checks indisponíveis: curso_mlops.exercicios não pôde ser importado" in saida
    assert "turma" in tabela and tabela["turma"].split()[1] == str(
        sum("00" in f for f in turma_do_painel.feitas.values()))
    assert f"HTML: {painel_gerado.html}" in saida
    assert "admin" not in tabela, "o administrador não é aluno"


def test_painel_so_le_o_servidor(painel_gerado):
    assert painel_gerado.resultado.returncode == 0, painel_gerado.resultado.stderr
    api = painel_gerado.antes["api"]
    assert api["runs"] and api["experimentos"] and api["usuarios"], "o retrato não viu a turma"
    assert painel_gerado.antes == painel_gerado.depois, "o servidor mudou enquanto o painel lia"


def test_painel_nao_mostra_senhas(painel_gerado, turma_do_painel):
    resultado = painel_gerado.resultado
    assert resultado.returncode == 0, resultado.stderr
    _sem_senhas(turma_do_painel, resultado.stdout, resultado.stderr,
                painel_gerado.html.read_text(encoding="utf-8"))


def test_self_checks_com_um_modulo_de_exercicios(turma_do_painel, rodar_script, tmp_path):
    """Um módulo com o contrato de curso_mlops.exercicios, que lê o store de cada aluno (e um
    verificador que tenta gravar, recusado pelo cliente do painel)."""
    (tmp_path / "exercicios_do_teste.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Resultado:
            exercicio: str
            ok: bool
            mensagens: tuple
            dica: str = ""

        EXERCICIOS = {"00.1": None, "02.1": None, "03.1": None, "03.2": None, "06.1": None}
        VERIFICAVEIS_PELO_STORE = ("00.1", "02.1", "03.1", "03.2")

        def verificar(exercicio, cliente, nomes, resposta=None):
            experimento = cliente.get_experiment_by_name(nomes.experimento)
            if experimento is None or experimento.lifecycle_stage != "active":
                return Resultado(exercicio, False, ("rode antes a aula 00",))
            if exercicio == "00.1":
                ok = "kpi.mae_max" in experimento.tags
            elif exercicio == "02.1":
                ok = bool(cliente.search_runs([experimento.experiment_id], "tags.etapa = 'preparacao'"))
            elif exercicio == "03.1":
                ok = len(cliente.search_runs([experimento.experiment_id], "tags.etapa = 'treino'")) >= 2
            else:
                cliente.set_experiment_tag(experimento.experiment_id, "conferido", "sim")
                ok = True
            return Resultado(exercicio, ok, ())
    '''), encoding="utf-8")
    execucao = _painel(turma_do_painel, rodar_script, tmp_path / "painel.html", "--exercicios",
                       "exercicios_do_teste", PYTHONPATH=str(tmp_path))
    resultado = execucao.resultado
    assert resultado.returncode == 0, resultado.stderr
    tabela = _linhas_da_tabela(resultado.stdout)
    esperado = {aluno: sum((("00" in f), ("02" in f), ("03" in f))) for aluno, f in turma_do_painel.feitas.items()}
    for aluno, passaram in esperado.items():
        assert re.search(rf" {passaram}/4 ", tabela[aluno]), (aluno, tabela[aluno])
    assert "self-checks: quantos dos 4 exercícios" in resultado.stdout
    html = execucao.html.read_text(encoding="utf-8")
    assert "com erro: 03.2 (EscritaRecusada" in html
    assert execucao.antes == execucao.depois, "um verificador gravou no servidor pelo painel"


# -- entrada ruim: uma linha, código diferente de zero, nada escrito ------------------------------------
@pytest.mark.parametrize("caso", ["sem credenciais", "sem senha", "senha errada", "usuário não admin",
                                  "servidor fora do ar", "endereço com a senha"])
def test_entrada_ruim_sai_com_uma_linha(caso, turma_do_painel, rodar_script, tmp_path, capsys):
    """A senha errada roda o script num processo próprio, como o instrutor o roda (o código de
    saída e o stderr de verdade); os outros casos chamam o mesmo `main()` neste processo."""
    ambiente = {
        "sem credenciais": {"MLFLOW_TRACKING_USERNAME": None, "MLFLOW_TRACKING_PASSWORD": None},
        "sem senha": {"MLFLOW_TRACKING_PASSWORD": None},
        "senha errada": {"MLFLOW_TRACKING_PASSWORD": "Errada-Mas-Longa-88"},
        "usuário não admin": {"MLFLOW_TRACKING_USERNAME": "ana",
                              "MLFLOW_TRACKING_PASSWORD": turma_do_painel.senhas["ana"]},
        "servidor fora do ar": {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{processos.porta_livre()}"},
        "endereço com a senha": {"MLFLOW_TRACKING_URI": turma_do_painel.url.replace(
            "http://", f"http://admin:{turma_do_painel.senha_admin}@")},
    }[caso]
    esperado = {"sem credenciais": "faltam as credenciais do administrador",
                "sem senha": "faltam as credenciais do administrador",
                "senha errada": "recusou o usuário 'admin' e a senha (401)",
                "usuário não admin": "o usuário 'ana' não é administrador",
                "servidor fora do ar": "não responde",
                "endereço com a senha": "tire o usuário e a senha do endereço"}[caso]
    html = tmp_path / "painel.html"
    if caso == "senha errada":
        execucao = _painel(turma_do_painel, rodar_script, html, **ambiente)
    else:
        execucao = _painel_no_processo(turma_do_painel, html, capsys, **ambiente)
    resultado = execucao.resultado
    assert resultado.returncode == 1, (resultado.stdout, resultado.stderr)
    linhas = [linha for linha in resultado.stderr.splitlines() if linha.strip()]
    assert len(linhas) == 1 and linhas[0].startswith("erro: "), resultado.stderr
    assert esperado in linhas[0]
    assert "Traceback" not in resultado.stderr and resultado.stdout == ""
    assert not html.exists()
    _sem_senhas(turma_do_painel, resultado.stdout, resultado.stderr)
    assert execucao.antes == execucao.depois


# -- a página, num navegador de verdade ------------------------------------------------------------------
@pytest.mark.navegador
def test_pagina_no_chromium_headless(painel_gerado, turma_do_painel):
    assert painel_gerado.resultado.returncode == 0, painel_gerado.resultado.stderr
    executavel = apoio.chromium()
    pedidos = []
    with navegador.abrir(executavel, largura=1280, altura=800) as contexto:
        contexto.on("request", lambda pedido: pedidos.append(pedido.url))
        pagina = contexto.new_page()
        pagina.goto(painel_gerado.html.as_uri())
        captura = RAIZ / "build" / "painel-teste.png"   # para olhar depois (build/ não vai ao git)
        captura.parent.mkdir(exist_ok=True)
        pagina.screenshot(path=str(captura), full_page=True)
        assert pagina.title() == f"Painel da turma · {turma_do_painel.url}"
        linhas = pagina.eval_on_selector_all(
            "tr[data-aluno]", """linhas => linhas.map(l => [l.dataset.aluno,
                [...l.querySelectorAll('td.aula')].map(c => [c.dataset.aula, c.className.split(' ')[1]])])""")
        vistos = {aluno: dict(celulas) for aluno, celulas in linhas}
        for aluno, feitas in turma_do_painel.feitas.items():
            esperado = {a: "feita" if a in feitas else ("sem_rastro" if a in ("01", "06", "09") else "falta")
                        for a in painel.AULAS}
            assert vistos[aluno] == esperado, aluno
        # Legível do fundo da sala: as marcas grandes, o nome do aluno grande, e a tabela cabe na
        # largura de um projetor (1280 px) sem rolar para o lado.
        tamanho = pagina.eval_on_selector("td.aula", "c => parseFloat(getComputedStyle(c).fontSize)")
        nome = pagina.eval_on_selector("td.aluno", "c => parseFloat(getComputedStyle(c).fontSize)")
        assert tamanho >= 32 and nome >= 24, (tamanho, nome)
        assert pagina.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        texto = pagina.inner_text("body")
        assert "ainda não" in texto and "não grava nada no MLflow" in texto and "gerado em" in texto
        _sem_senhas(turma_do_painel, texto, pagina.content())
    # Só a própria página: nenhuma folha de estilo, fonte, script ou imagem de fora.
    assert pedidos == [painel_gerado.html.as_uri()], pedidos
