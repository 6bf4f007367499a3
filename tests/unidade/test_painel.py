"""curso_mlops.painel: quem é aluno, quando uma aula conta como feita, a hora legível, o terminal,
o HTML, os self-checks (com um módulo de exercícios falso) e o cliente que só lê.

As regras das aulas são conferidas num store SQLite de verdade, montado à mão com o mínimo que
cada aula grava (sem notebook e sem servidor). O painel contra um servidor de verdade, com
senha, está em tests/turma/test_painel_turma.py.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from curso_mlops import aula, nomes, painel

FUSO = timezone(timedelta(hours=-3))
AGORA = datetime(2026, 12, 2, 14, 3, tzinfo=FUSO)
ENDERECO = "http://127.0.0.1:5000"
# As runs sem hora dada começam e terminam antes de AGORA, e não na hora do relógio: o "há quanto
# tempo" do painel não pode depender do dia em que o teste roda (depois de AGORA, o relógio
# daria um instante no futuro do painel).
INICIO_PADRAO = int((AGORA - timedelta(minutes=5)).timestamp() * 1000)
FIM_PADRAO = int((AGORA - timedelta(minutes=4)).timestamp() * 1000)


def _nomes(aluno):
    return aula.Nomes(aluno, **nomes.nomes_do_aluno(aluno))


def _como_o_instrutor(cliente, aluno):
    """O que o criar_alunos.py cria para cada aluno: os dois experimentos e o modelo, vazios."""
    n = _nomes(aluno)
    ids = (cliente.create_experiment(n.experimento), cliente.create_experiment(n.monitoramento))
    cliente.create_registered_model(n.modelo)
    return ids


def _run(cliente, experimento_id, status="FINISHED", inicio=INICIO_PADRAO, fim=FIM_PADRAO, **tags):
    run = cliente.create_run(experimento_id, tags=tags, start_time=inicio)
    if status != "RUNNING":
        cliente.set_terminated(run.info.run_id, status=status, end_time=fim)
    return run


def _versao(cliente, n, run, **tags):
    return cliente.create_model_version(n.modelo, f"runs:/{run.info.run_id}/model", run.info.run_id,
                                        tags=tags)


def _fazer(cliente, aluno, ate: str):
    """Grava, para `aluno`, o mínimo que as aulas 00 até `ate` deixam no store."""
    n = _nomes(aluno)
    exp = cliente.get_experiment_by_name(n.experimento).experiment_id
    mon = cliente.get_experiment_by_name(n.monitoramento).experiment_id
    passos = {
        "00": lambda: cliente.set_experiment_tag(exp, "kpi.mae_max", "5.0"),
        "02": lambda: _run(cliente, exp, etapa="preparacao"),
        "03": lambda: _run(cliente, exp, etapa="treino"),
        "04": lambda: _run(cliente, exp, etapa="treino", candidato_producao="true"),
        "05": lambda: cliente.set_registered_model_alias(
            n.modelo, "champion", _versao(cliente, n, _run(cliente, exp, etapa="guarda"),
                                          tipo="guardado", origem="candidato").version),
        "07": lambda: _run(cliente, mon, etapa="monitoramento", decisao="retreinar"),
        "08": lambda: cliente.set_registered_model_alias(
            n.modelo, "champion", _versao(cliente, n, _run(cliente, exp, etapa="retreino"),
                                          tipo="guardado", origem="retreino",
                                          substitui_versao="1").version),
        "10": lambda: _run(cliente, exp, etapa="projeto", **{"mlflow.source.type": "PROJECT"}),
    }
    for numero, passo in passos.items():
        if numero <= ate:
            passo()


def _feitas(linha) -> set[str]:
    return {e.aula for e in linha.aulas if e.estado == painel.FEITA}


def _montar(cliente, usuarios=None, exercicios=None):
    return painel.montar(cliente, usuarios, ENDERECO, exercicios, agora=AGORA, paralelo=1)


# -- as regras das aulas ------------------------------------------------------------------------------
def test_a_tabela_cobre_todas_as_aulas_e_so_01_06_09_nao_gravam():
    assert list(aula.RASTROS) == list(aula.NOTEBOOKS) == list(painel.AULAS)
    assert [a for a, r in aula.RASTROS.items() if not r.grava] == ["01", "06", "09"]
    assert all(r.descricao for r in aula.RASTROS.values())
    with pytest.raises(ValueError, match="não grava nada"):
        aula.o_que_falta("06", None, _nomes("ana"))


@pytest.mark.parametrize("ate, esperadas", [
    ("00", {"00"}),
    ("02", {"00", "02"}),
    ("04", {"00", "02", "03", "04"}),
    ("05", {"00", "02", "03", "04", "05"}),
    ("10", {"00", "02", "03", "04", "05", "07", "08", "10"}),
])
def test_cada_aula_conta_pelo_que_ela_grava(cliente, ate, esperadas):
    _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", ate)
    (linha,) = _montar(cliente).alunos
    assert _feitas(linha) == esperadas
    assert {e.aula for e in linha.aulas if e.estado == painel.SEM_RASTRO} == {"01", "06", "09"}
    faltam = {e.aula: e.detalhe for e in linha.aulas if e.estado == painel.FALTA}
    assert all(texto.startswith("falta ") for texto in faltam.values())


def test_recem_criado_pelo_instrutor_nao_fez_nada(cliente):
    _como_o_instrutor(cliente, "ana")
    (linha,) = _montar(cliente).alunos
    assert _feitas(linha) == set()
    assert linha.ultimo_ms is None and linha.observacoes == ()


def test_runs_que_nao_terminaram_nao_contam(cliente):
    exp, _ = _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "00")
    _run(cliente, exp, status="FAILED", etapa="preparacao")
    _run(cliente, exp, status="RUNNING", etapa="treino")
    _run(cliente, exp, status="FAILED", etapa="projeto", **{"mlflow.source.type": "PROJECT"})
    _run(cliente, exp, etapa="projeto")  # terminada, mas não veio do `mlflow run`
    assert _feitas(_montar(cliente).alunos[0]) == {"00"}


def test_champion_que_nao_e_guardado_nao_conta_para_a_05(cliente):
    exp, _ = _como_o_instrutor(cliente, "ana")
    n = _nomes("ana")
    versao = _versao(cliente, n, _run(cliente, exp, etapa="treino"), tipo="base")
    cliente.set_registered_model_alias(n.modelo, "champion", versao.version)
    (linha,) = _montar(cliente).alunos
    assert "05" not in _feitas(linha)
    assert "guardado" in next(e.detalhe for e in linha.aulas if e.aula == "05")


def test_a_08_continua_feita_depois_de_refazer_a_05(cliente):
    """Rodar a 05 de novo depois da 08 põe um candidato no champion; a promoção fica na versão."""
    exp, _ = _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "08")
    n = _nomes("ana")
    de_novo = _versao(cliente, n, _run(cliente, exp, etapa="guarda"), tipo="guardado", origem="candidato")
    cliente.set_registered_model_alias(n.modelo, "champion", de_novo.version)
    assert {"05", "08"} <= _feitas(_montar(cliente).alunos[0])


def test_retreino_reprovado_no_portao_nao_conta_para_a_08(cliente):
    exp, _ = _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "07")
    n = _nomes("ana")
    desafiante = _versao(cliente, n, _run(cliente, exp, etapa="retreino"), tipo="guardado",
                         origem="retreino", portao_de_promocao="reprovado")
    cliente.set_registered_model_alias(n.modelo, "challenger", desafiante.version)
    assert "08" not in _feitas(_montar(cliente).alunos[0])


def test_monitoramento_sem_decisao_nao_conta_para_a_07(cliente):
    _, mon = _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "05")
    _run(cliente, mon, etapa="monitoramento")
    assert "07" not in _feitas(_montar(cliente).alunos[0])


# -- quem é aluno ------------------------------------------------------------------------------------
def test_alunos_de_todas_as_fontes_e_os_nomes_que_faltam(cliente):
    _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "03")
    _como_o_instrutor(cliente, "bia")
    cliente.create_experiment("tempo-entrega-duda")                   # experimento sem usuário
    apagado = cliente.create_experiment("tempo-entrega-eva")          # experimento na lixeira
    _run(cliente, apagado, etapa="preparacao")
    cliente.set_experiment_tag(apagado, "kpi.mae_max", "5.0")
    cliente.delete_experiment(apagado)
    cliente.create_registered_model("tempo_entrega_fabio")           # só o modelo
    cliente.create_experiment("tempo-entrega")                        # o curso sem ALUNO: fora
    cliente.create_experiment("tempo-entrega-monitoramento")
    cliente.create_experiment("tempo-entrega-Zé")                     # não é nome de ALUNO: fora
    usuarios = [{"username": "admin", "is_admin": True},
                {"username": "ana", "is_admin": False}, {"username": "bia", "is_admin": False},
                {"username": "caio", "is_admin": False},              # usuário sem experimento
                {"username": "Professor 2", "is_admin": False}]       # não é nome de ALUNO
    resultado = _montar(cliente, usuarios)
    linhas = {linha.aluno: linha for linha in resultado.alunos}
    assert list(linhas) == ["ana", "bia", "caio", "duda", "eva", "fabio"]
    assert _feitas(linhas["ana"]) == {"00", "02", "03"}
    assert linhas["ana"].observacoes == linhas["bia"].observacoes == ()
    assert linhas["caio"].observacoes == ("sem experimentos nem modelo (o criar_alunos.py os cria)",)
    assert linhas["duda"].observacoes == ("sem usuário no servidor",
                                          "sem monitoramento nem modelo registrado (o criar_alunos.py cria)")
    assert linhas["eva"].observacoes[1] == "experimento na lixeira (tempo-entrega-eva)"
    assert _feitas(linhas["eva"]) == set(), "o que está na lixeira não conta"
    assert linhas["fabio"].observacoes[0] == "sem usuário no servidor"
    assert any("Professor 2" in aviso for aviso in resultado.avisos)


def test_sem_o_app_de_senha_os_alunos_vem_dos_experimentos(cliente):
    _como_o_instrutor(cliente, "ana")
    resultado = _montar(cliente, usuarios=None)
    assert [linha.aluno for linha in resultado.alunos] == ["ana"]
    assert "sem usuário no servidor" not in resultado.alunos[0].observacoes
    assert any("basic-auth" in aviso for aviso in resultado.avisos)


def test_servidor_sem_alunos(cliente):
    resultado = _montar(cliente, usuarios=[{"username": "admin", "is_admin": True}])
    assert resultado.alunos == ()
    assert "nenhum aluno" in painel.texto(resultado)
    assert "Nenhum aluno no servidor" in painel.pagina(resultado)


# -- último trabalho e a hora legível ---------------------------------------------------------------
def test_ultimo_trabalho_e_a_run_ou_versao_mais_recente(cliente):
    exp, mon = _como_o_instrutor(cliente, "ana")
    n = _nomes("ana")
    _run(cliente, exp, inicio=1_000_000, fim=2_000_000, etapa="treino")
    _run(cliente, mon, status="RUNNING", inicio=1_500_000)
    assert painel.ultimo_trabalho(cliente, n) == 2_000_000
    _run(cliente, mon, inicio=2_500_000, fim=3_000_000)
    assert painel.ultimo_trabalho(cliente, n) == 3_000_000
    versao = _versao(cliente, n, _run(cliente, exp, inicio=10, fim=20))
    assert painel.ultimo_trabalho(cliente, n) == versao.last_updated_timestamp


@pytest.mark.parametrize("instante, esperado", [
    (AGORA - timedelta(seconds=20), ("hoje 14:02", "agora há pouco")),
    (AGORA - timedelta(minutes=5), ("hoje 13:58", "há 5 min")),
    (AGORA - timedelta(hours=3), ("hoje 11:03", "há 3 h")),
    (AGORA - timedelta(hours=20), ("ontem 18:03", "há 20 h")),
    (AGORA - timedelta(days=1, hours=1), ("ontem 13:03", "há 1 dia")),
    (AGORA - timedelta(days=30), ("02/11 14:03", "há 30 dias")),
    (AGORA - timedelta(days=400), ("28/10/2025 14:03", "há 400 dias")),
])
def test_hora_legivel_na_hora_local(instante, esperado):
    assert painel.quando(int(instante.timestamp() * 1000), AGORA) == esperado


def test_hora_e_a_do_fuso_do_instrutor_e_nao_utc():
    meio_dia_utc = int(datetime(2026, 12, 2, 15, 0, tzinfo=UTC).timestamp() * 1000)
    assert painel.quando(meio_dia_utc, AGORA)[0] == "hoje 12:00"
    assert painel.quando(None, AGORA) == ("nenhuma run ainda", "")
    assert painel.descrever_fuso(AGORA) == "UTC-03:00"


# -- o terminal e o HTML -----------------------------------------------------------------------------
def _painel_de_exemplo(cliente, exercicios=None):
    _como_o_instrutor(cliente, "ana")
    _fazer(cliente, "ana", "03")
    _como_o_instrutor(cliente, "bia")
    _fazer(cliente, "bia", "00")
    usuarios = [{"username": u, "is_admin": u == "admin"} for u in ("admin", "ana", "bia", "caio")]
    return _montar(cliente, usuarios, exercicios)


def test_terminal_tem_uma_linha_por_aluno_e_a_legenda(cliente):
    resultado = _painel_de_exemplo(cliente)
    linhas = painel.texto(resultado).splitlines()
    assert linhas[0].startswith(f"Painel da turma · {ENDERECO} · 3 alunos · gerado em 02/12/2026 14:03")
    cabecalho = linhas[2]
    assert cabecalho.split()[:12] == ["aluno", *painel.AULAS]
    ana = next(linha for linha in linhas if linha.startswith("ana "))
    assert ana.split()[1:12] == ["✓", "—", "✓", "✓", "·", "·", "—", "·", "·", "—", "·"]
    assert " 3/8 " in ana and "indisponíveis" in ana and "hoje 13:59 (há 4 min)" in ana
    bia = next(linha for linha in linhas if linha.startswith("bia "))
    assert bia.split()[1:12] == ["✓", "—", "·", "·", "·", "·", "—", "·", "·", "—", "·"]
    assert "nenhuma run ainda" in bia
    caio = next(linha for linha in linhas if linha.startswith("caio "))
    assert "sem experimentos nem modelo" in caio
    turma = next(linha for linha in linhas if linha.startswith("turma "))
    assert turma.split()[1:12] == ["2", "—", "1", "1", "0", "0", "—", "0", "0", "—", "0"]
    assert any(linha.startswith("✓ feita") for linha in linhas)
    assert any(linha.startswith(painel.INDISPONIVEIS) for linha in linhas)
    # As colunas das aulas alinham: cada marca fica embaixo do seu número.
    for numero in ("00", "05", "10"):
        coluna = cabecalho.index(numero) + 1
        assert ana[coluna] in "✓·—" and bia[coluna] in "✓·—"


def test_terminal_sem_unicode_usa_ascii(cliente):
    resultado = _painel_de_exemplo(cliente)
    assert painel.simbolos_para("utf-8") is painel.SIMBOLOS
    simbolos = painel.simbolos_para("cp1252")
    assert simbolos is painel.SIMBOLOS_ASCII
    saida = painel.texto(resultado, simbolos)
    ana = next(linha for linha in saida.splitlines() if linha.startswith("ana "))
    assert ana.split()[1:5] == ["x", "-", "x", "x"]


def test_html_autocontido_legivel_e_com_legenda(cliente):
    resultado = _painel_de_exemplo(cliente)
    html = painel.pagina(resultado)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="pt-BR">' in html
    # Offline: nada de fora (nem CSS, nem JS, nem fontes, nem imagens).
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "url(" not in html
    assert ENDERECO in html and "02/12/2026 14:03" in html
    assert 'data-aluno="ana"' in html and 'data-aluno="caio"' in html
    assert html.count('class="aula feita"') == 3 + 1           # ana: 00 02 03; bia: 00
    assert "ainda não" in html and "não grava nada no MLflow" in html
    assert painel.INDISPONIVEIS in html
    for rastro in aula.RASTROS.values():                           # os critérios, no rodapé
        assert painel._e(rastro.descricao) in html


def test_html_escapa_o_que_vem_do_servidor():
    linha = painel.LinhaDoAluno("ana", tuple(painel.EstadoDaAula(a, painel.FALTA, "<b>x</b>")
                                             for a in painel.AULAS), None, None,
                                ("<script>alert(1)</script>",))
    resultado = painel.Painel('http://h:1/"><script>', AGORA, (linha,), None, "motivo <i>")
    html = painel.pagina(resultado)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html


def test_gravar_html_cria_a_pasta_e_troca_o_arquivo_inteiro(tmp_path):
    destino = tmp_path / "build" / "painel.html"
    painel.gravar("um", destino)
    painel.gravar("dois", destino)
    assert destino.read_text(encoding="utf-8") == "dois"
    assert [p.name for p in destino.parent.iterdir()] == ["painel.html"]


# -- os self-checks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resultado:
    exercicio: str
    ok: bool
    mensagens: tuple[str, ...]
    dica: str = ""


def _modulo_falso(monkeypatch, nome="exercicios_falso_painel"):
    """Um módulo com o contrato de curso_mlops.exercicios: 00.1 e 03.1 leem o store de verdade."""
    modulo = types.ModuleType(nome)

    def verificar(exercicio, cliente, n, resposta=None):
        if exercicio == "00.1":
            experimento = cliente.get_experiment_by_name(n.experimento)
            ok = experimento is not None and "kpi.mae_max" in experimento.tags
        elif exercicio == "03.1":
            experimento = cliente.get_experiment_by_name(n.experimento)
            ok = len(cliente.search_runs([experimento.experiment_id], "tags.etapa = 'treino'")) >= 1
        elif exercicio == "03.2":
            raise RuntimeError("verificador quebrado")
        elif exercicio == "04.1":
            experimento = cliente.get_experiment_by_name(n.experimento)
            cliente.set_experiment_tag(experimento.experiment_id, "painel", "gravou")  # recusado
            ok = True
        else:
            raise AssertionError(f"o painel pediu {exercicio}, que não é verificável pelo store")
        return Resultado(exercicio, ok, ("ok" if ok else "falta",))

    modulo.Resultado = Resultado
    modulo.EXERCICIOS = {e: None for e in ("00.1", "00.2", "03.1", "03.2", "04.1", "06.1")}
    modulo.VERIFICAVEIS_PELO_STORE = ("04.1", "03.2", "03.1", "00.1")  # fora de ordem, de propósito
    modulo.verificar = verificar
    monkeypatch.setitem(sys.modules, nome, modulo)
    return nome


def test_self_checks_pelo_contrato_do_modulo(cliente, monkeypatch):
    exercicios = painel.carregar_exercicios(_modulo_falso(monkeypatch))
    assert exercicios.ids == ("00.1", "03.1", "03.2", "04.1")   # na ordem de EXERCICIOS
    resultado = _painel_de_exemplo(cliente, exercicios)
    linhas = {linha.aluno: linha for linha in resultado.alunos}
    ana = {c.exercicio: c for c in linhas["ana"].conferencias}
    assert ana["00.1"].ok and ana["03.1"].ok
    assert not ana["03.2"].ok and "verificador quebrado" in ana["03.2"].erro
    assert not ana["04.1"].ok and "EscritaRecusada" in ana["04.1"].erro
    assert linhas["ana"].passaram == 2 and linhas["bia"].passaram == 1
    experimento = cliente.get_experiment_by_name("tempo-entrega-ana")
    assert "painel" not in experimento.tags, "o verificador conseguiu gravar pelo painel"
    saida = painel.texto(resultado)
    assert re.search(r"^ana .* 2/4 ", saida, flags=re.M)
    html = painel.pagina(resultado)
    assert "2/4" in html and "com erro: 03.2" in html
    assert '<small title="self-checks da aula 03">1/2</small>' in html


def test_sem_o_modulo_de_exercicios_a_coluna_avisa(cliente):
    motivo = painel.carregar_exercicios("curso_mlops.exercicios_que_nao_existe")
    assert isinstance(motivo, str) and "não pôde ser importado" in motivo
    resultado = _painel_de_exemplo(cliente, motivo)
    assert all(linha.conferencias is None for linha in resultado.alunos)
    assert painel.INDISPONIVEIS in painel.texto(resultado)
    assert painel.INDISPONIVEIS in painel.pagina(resultado)


def test_modulo_de_exercicios_incompleto_ou_quebrado(monkeypatch):
    incompleto = types.ModuleType("exercicios_incompleto_painel")
    incompleto.EXERCICIOS = {}
    monkeypatch.setitem(sys.modules, incompleto.__name__, incompleto)
    assert "não tem o que o painel usa" in painel.carregar_exercicios(incompleto.__name__)
    monkeypatch.setitem(sys.modules, "exercicios_quebrado_painel", None)  # import falha
    assert "não pôde ser importado" in painel.carregar_exercicios("exercicios_quebrado_painel")


# -- só leitura --------------------------------------------------------------------------------------------
def test_cliente_so_leitura_recusa_toda_escrita(cliente):
    so_leitura = painel.SoLeitura(cliente)
    assert [e.name for e in so_leitura.search_experiments()] == ["Default"]
    assert so_leitura.tracking_uri == cliente.tracking_uri
    for metodo in ("create_experiment", "create_run", "set_tag", "log_metric", "delete_experiment",
                   "set_registered_model_alias", "delete_registered_model_alias",
                   "update_model_version", "rename_registered_model", "set_terminated",
                   "create_model_version", "transition_model_version_stage"):
        with pytest.raises(painel.EscritaRecusada, match="só lê"):
            getattr(so_leitura, metodo)("x")
    with pytest.raises(painel.EscritaRecusada):
        so_leitura.tracking_uri = "sqlite:///outro.db"
    assert cliente.search_experiments()[0].name == "Default"  # nada foi criado


def test_o_painel_nao_grava_no_store(cliente, monkeypatch):
    _painel_de_exemplo(cliente)
    antes = _tudo(cliente)
    _painel_de_exemplo_sem_criar = painel.montar(
        cliente, [{"username": "ana", "is_admin": False}], ENDERECO,
        painel.carregar_exercicios(_modulo_falso(monkeypatch)), agora=AGORA)
    assert _painel_de_exemplo_sem_criar.alunos
    assert _tudo(cliente) == antes


def _tudo(cliente):
    from mlflow.entities import ViewType

    experimentos = cliente.search_experiments(view_type=ViewType.ALL)
    runs = cliente.search_runs([e.experiment_id for e in experimentos], run_view_type=ViewType.ALL)
    versoes = cliente.search_model_versions()
    return ([(e.name, e.lifecycle_stage, e.last_update_time, sorted(e.tags.items())) for e in experimentos],
            sorted((r.info.run_id, r.info.status, r.info.end_time, sorted(r.data.tags.items())) for r in runs),
            sorted((v.name, v.version, v.last_updated_timestamp, sorted(v.tags.items()), sorted(v.aliases))
                   for v in versoes))


# -- a entrada: endereço, credenciais e servidor -----------------------------------------------------------
CREDENCIAIS = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "Senha-Secreta-77"}


def test_endereco_publico_sem_credenciais():
    assert painel.endereco_publico("http://admin:Senha-Secreta-77@127.0.0.1:5000/?x=1#y") == \
        "http://127.0.0.1:5000"
    assert painel.endereco_publico("https://mlflow.escola.br/turma/") == "https://mlflow.escola.br/turma"


@pytest.mark.parametrize("uri, ambiente, trecho", [
    ("", CREDENCIAIS, "MLFLOW_TRACKING_URI"),
    ("sqlite:///mlflow.db", CREDENCIAIS, "http://"),
    ("http://admin:Senha-Secreta-77@127.0.0.1:5000", CREDENCIAIS, "tire o usuário e a senha"),
    ("http://127.0.0.1:5000", {}, "faltam as credenciais"),
    ("http://127.0.0.1:5000", {"MLFLOW_TRACKING_USERNAME": "admin"}, "faltam as credenciais"),
    ("http://127.0.0.1:5000", {"MLFLOW_TRACKING_PASSWORD": "Senha-Secreta-77"}, "faltam as credenciais"),
])
def test_entrada_ruim_da_uma_linha_sem_a_senha(uri, ambiente, trecho):
    with pytest.raises(painel.ErroDoPainel) as erro:
        painel.conferir_entrada(uri, ambiente)
    mensagem = str(erro.value)
    assert trecho in mensagem and "\n" not in mensagem and "Senha-Secreta-77" not in mensagem
    assert painel.conferir_entrada("http://127.0.0.1:5000/", CREDENCIAIS) == \
        ("http://127.0.0.1:5000", "admin")


def test_servidor_fora_do_ar_em_uma_linha():
    from curso_mlops.processos import porta_livre

    endereco = f"http://127.0.0.1:{porta_livre()}"
    with pytest.raises(painel.ErroDoPainel, match="não responde") as erro:
        painel.responde(endereco, timeout=2)
    assert "\n" not in str(erro.value)


def _rota(rota: str) -> str:
    return rota.split("/mlflow/", 1)[1]


class _Resposta:
    def __init__(self, status, corpo=None):
        self.status_code, self._corpo = status, corpo or {}

    def json(self):
        return self._corpo


@pytest.mark.parametrize("respostas, trecho", [
    ({"users/current": _Resposta(401)}, "recusou o usuário 'admin' e a senha (401)"),
    ({"users/current": _Resposta(200, {"user": {"username": "ana", "is_admin": False}})},
     "não é administrador"),
    ({"users/current": _Resposta(500)}, "respondeu 500"),
])
def test_credenciais_recusadas_ou_sem_admin(monkeypatch, respostas, trecho):
    monkeypatch.setattr(painel, "_pedir", lambda uri, rota, params=None: respostas[_rota(rota)])
    with pytest.raises(painel.ErroDoPainel, match=re.escape(trecho)) as erro:
        painel.usuarios_do_servidor(ENDERECO, "admin")
    assert "\n" not in str(erro.value)


def test_lista_de_usuarios_e_servidor_sem_o_app_de_senha(monkeypatch):
    respostas = {"users/current": _Resposta(200, {"user": {"username": "admin", "is_admin": True}}),
                 "users/list": _Resposta(200, {"users": [{"username": "ana", "is_admin": False}]})}
    monkeypatch.setattr(painel, "_pedir", lambda uri, rota, params=None: respostas[_rota(rota)])
    assert painel.usuarios_do_servidor(ENDERECO, "admin") == [{"username": "ana", "is_admin": False}]
    monkeypatch.setattr(painel, "_pedir", lambda uri, rota, params=None: _Resposta(404))
    assert painel.usuarios_do_servidor(ENDERECO, "admin") is None


def test_segredos_nunca_saem():
    assert painel.sem_segredos("a Senha-Secreta-77 b", ["Senha-Secreta-77", ""]) == "a *** b"


def test_executar_escreve_tabela_e_html_sem_segredos_nem_barulho(monkeypatch, tmp_path):
    """O `make painel` de ponta a ponta, sem servidor: um terminal cp1252 (Windows), um
    verificador que imprime e uma senha que escapou para o texto de uma observação."""
    import io

    linha = painel.LinhaDoAluno("ana", tuple(painel.EstadoDaAula(a, painel.FEITA) for a in painel.AULAS),
                                (), None, ("a senha Senha-Secreta-77 vazou",))
    resultado = painel.Painel(ENDERECO, AGORA, (linha,), (), "")

    def ler_servidor(uri, exercicios, agora):
        print("um verificador que imprime")
        return resultado

    monkeypatch.setattr(painel, "ler_servidor", ler_servidor)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "Senha-Secreta-77")
    for variavel in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
                     "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        monkeypatch.setenv(variavel, "1")  # restaurados no fim do teste
    saida = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    destino = tmp_path / "build" / "painel.html"
    assert painel.executar(ENDERECO, destino, saida=saida) == destino
    escrito = saida.buffer.getvalue().decode("cp1252")
    assert escrito.startswith(f"Painel da turma · {ENDERECO}")
    assert "um verificador que imprime" not in escrito
    ana = next(l for l in escrito.splitlines() if l.startswith("ana "))
    assert ana.split()[1:4] == ["x", "x", "x"] and "✓" not in escrito
    pagina = destino.read_text(encoding="utf-8")
    for texto in (escrito, pagina):
        assert "Senha-Secreta-77" not in texto and "a senha *** vazou" in texto
