"""Portas e processos (curso_mlops.processos): Linux de verdade, macOS e Windows simulados.

Só o Linux roda aqui. Os ramos do Windows e do macOS são exercitados trocando `os.name`,
`sys.platform` e o módulo `signal` (monkeypatch) e pondo processos falsos no lugar do psutil,
sem mandar sinal nenhum a processo de verdade.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import types

import psutil
import pytest

from curso_mlops import processos

DORMIR = [sys.executable, "-c", "import time; time.sleep(60)"]


# -- portas ----------------------------------------------------------------------------------------

def test_porta_em_uso_e_livre():
    with socket.socket() as ocupante:
        ocupante.bind(("127.0.0.1", 0))
        ocupante.listen()
        porta = ocupante.getsockname()[1]
        assert processos.porta_em_uso(porta)
        assert processos.porta_disponivel(porta) != porta
    livre = processos.porta_livre()
    assert not processos.porta_em_uso(livre)


def test_porta_disponivel_respeita_a_reserva_de_outro_processo():
    """Um segundo curso rodando ao mesmo tempo não recebe a porta que o primeiro reservou."""
    porta = processos.porta_livre()
    outro = subprocess.Popen(
        [sys.executable, "-c", "import sys; from curso_mlops import processos as p; "
                               f"print(p.porta_disponivel({porta}), flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert outro.stdout.readline().strip() == str(porta)  # o outro processo reservou a porta
        assert processos.porta_disponivel(porta) != porta  # aqui ela está reservada: vem outra
    finally:
        outro.communicate("", timeout=30)  # o outro termina e a reserva acaba
    assert processos.porta_disponivel(porta) == porta
    assert processos.porta_disponivel(porta) == porta  # quem reservou pode pedir de novo


@pytest.mark.parametrize("plataforma, airplay", [("darwin", True), ("linux", False), ("win32", False)])
def test_dica_de_porta_ocupada_nomeia_o_airplay_so_no_macos(plataforma, airplay):
    texto = processos.mensagem_de_porta_ocupada(5000, "PORTA_UI", "ui", plataforma=plataforma)
    assert texto.startswith("a porta 5000 já está em uso em 127.0.0.1")
    assert "`make ui PORTA_UI=5001`" in texto
    assert ("AirPlay" in texto) is airplay
    assert "\n" not in texto, "uma linha só"


def test_dica_no_macos_le_o_sys_platform(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "AirPlay" in processos.dica_de_porta_ocupada(5000, "PORTA_SERVIDOR", "server")
    assert "AirPlay" not in processos.dica_de_porta_ocupada(5299, "PORTA_API", "serve")
    monkeypatch.setattr(sys, "platform", "linux")
    assert "AirPlay" not in processos.dica_de_porta_ocupada(5000, "PORTA_SERVIDOR", "server")


# -- o MLflow do mesmo Python ----------------------------------------------------------------------

def test_comando_mlflow_e_o_do_mesmo_python():
    assert processos.comando_mlflow("ui", "--port", 5000) == [sys.executable, "-m", "mlflow", "ui",
                                                              "--port", "5000"]


def test_ambiente_poe_a_pasta_do_python_primeiro_no_path():
    ambiente = processos.ambiente_com_o_python_do_curso({"PATH": "/usr/bin", "X": "1"})
    assert ambiente["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert ambiente["X"] == "1"


# -- grupos de processos no POSIX (de verdade) --------------------------------------------------------

def test_iniciar_esperar_e_parar_um_grupo_sem_orfaos(tmp_path):
    log = tmp_path / "log.txt"
    # O líder cria um filho (o `uvicorn` de um servidor); parar o grupo para os dois.
    codigo = ("import subprocess, sys, time; "
              "f = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              "print('filho', f.pid, flush=True); time.sleep(60)")
    processo = processos.iniciar([sys.executable, "-c", codigo], log=log)
    processos.esperar(lambda: "filho" in log.read_text(), processo, prazo=30)
    filho = int(log.read_text().split()[1])
    assert processos.grupo_vivo(processo.pid) and processos.vivo(filho)
    assert os.getpgid(filho) == processo.pid, "o filho está no grupo do líder"
    assert processos.parar(processo.pid, prazo=10, processo=processo)
    assert not processos.grupo_vivo(processo.pid)
    assert not processos.vivo(filho)
    assert processo.returncode is not None, "o líder foi recolhido (sem zumbi)"


def test_parar_usa_sigkill_quando_o_gentil_e_ignorado(tmp_path):
    log = tmp_path / "log.txt"
    teimoso = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
               "print('pronto', flush=True); time.sleep(60)")
    processo = processos.iniciar([sys.executable, "-c", teimoso], log=log)
    processos.esperar(lambda: "pronto" in log.read_text(), processo, prazo=30)
    inicio = time.monotonic()
    assert processos.parar(processo.pid, prazo=0.5, processo=processo)
    assert time.monotonic() - inicio < 10
    assert processo.returncode == -signal.SIGKILL


def test_esperar_desiste_quando_o_processo_morre_ou_o_prazo_acaba():
    morto = processos.iniciar([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(processos.ProcessoMorreu) as erro:
        processos.esperar(lambda: False, morto, prazo=30)
    assert erro.value.codigo == 3
    with pytest.raises(processos.PrazoEsgotado):
        processos.esperar(lambda: False, prazo=0.2, intervalo=0.05)

    def rede_fora():
        raise ConnectionRefusedError

    with pytest.raises(processos.PrazoEsgotado):  # erro de rede conta como "ainda não"
        processos.esperar(rede_fora, prazo=0.2, intervalo=0.05)


def test_rodar_em_primeiro_plano_para_o_grupo_no_sigterm(tmp_path):
    """O `make serve`/`make ui` recebe SIGTERM: o servidor (e o filho dele) param juntos."""
    marca = tmp_path / "pids.json"
    servidor = tmp_path / "servidor.py"  # o "servidor": um líder com um filho
    servidor.write_text(
        "import json, os, subprocess, sys, time\n"
        "f = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marca)!r}, 'w').write(json.dumps([os.getpid(), f.pid]))\n"
        "time.sleep(60)\n", encoding="utf-8")
    script = tmp_path / "primeiro_plano.py"  # o `make serve`
    script.write_text(
        "import sys\n"
        "from curso_mlops import processos\n"
        f"codigo = processos.rodar_em_primeiro_plano([sys.executable, {str(servidor)!r}], prazo=5,\n"
        "                                           ao_parar=lambda: print('parando', flush=True))\n"
        "print('saiu com', codigo, flush=True)\n", encoding="utf-8")
    pai = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        processos.esperar(lambda: marca.exists() and marca.read_text(), pai, prazo=30)
        lider, neto = json.loads(marca.read_text())
        pai.send_signal(signal.SIGTERM)
        saida, _ = pai.communicate(timeout=30)
    finally:
        if pai.poll() is None:
            pai.kill()
    assert "parando" in saida and "saiu com 0" in saida
    assert pai.returncode == 0
    assert not processos.vivo(lider) and not processos.vivo(neto), "sobrou processo"


# -- "este PID é nosso?" --------------------------------------------------------------------------------

def test_identidade_e_o_mesmo(tmp_path):
    processo = subprocess.Popen([*DORMIR, "mlflow-de-mentira"])
    try:
        registro = processos.identidade(processo.pid)
        assert registro["pid"] == processo.pid
        assert "mlflow-de-mentira" in registro["comando"]
        assert processos.e_o_mesmo(registro, "mlflow")
        assert not processos.e_o_mesmo(registro, "postgres"), "outra linha de comando"
        # Depois de reiniciar a máquina, o mesmo PID é de um processo criado em outra hora.
        assert not processos.e_o_mesmo({**registro, "criado_em": registro["criado_em"] - 3600}, "mlflow")
        # Um registro antigo, sem a hora de criação, vale pela linha de comando.
        assert processos.e_o_mesmo({"pid": processo.pid}, "mlflow")
    finally:
        processo.kill()
        processo.wait()
    assert not processos.e_o_mesmo(registro, "mlflow"), "o processo terminou"
    assert not processos.e_o_mesmo({"pid": "lixo"}, "mlflow")


def test_identidade_esconde_o_que_for_pedido():
    processo = subprocess.Popen([*DORMIR, "postgresql://u:segredo@h/db"])
    try:
        registro = processos.identidade(processo.pid, esconder=lambda t: t.replace("segredo", "***"))
        assert "segredo" not in registro["comando"] and "u:***@h" in registro["comando"]
    finally:
        processo.kill()
        processo.wait()


# -- Windows e macOS, simulados --------------------------------------------------------------------------

class _ProcessoFalso:
    """Um psutil.Process de mentira que anota o que pediram a ele."""

    def __init__(self, pid, vivo=True, filhos=()):
        self.pid, self._vivo, self._filhos, self.pedidos = pid, vivo, list(filhos), []

    def is_running(self):
        return self._vivo

    def status(self):
        return psutil.STATUS_RUNNING if self._vivo else psutil.STATUS_DEAD

    def children(self, recursive=False):
        return list(self._filhos)

    def terminate(self):
        self.pedidos.append("terminate")

    def kill(self):
        self.pedidos.append("kill")
        self._vivo = False


class _OsDoWindows(types.ModuleType):
    """O `os` visto por `processos`: `name == "nt"`, sem `killpg`; o resto é o `os` de verdade.

    Trocar o `os.name` do processo inteiro quebraria o próprio pytest (o pathlib passa a criar
    WindowsPath); só o módulo testado vê o Windows.
    """

    name = "nt"

    def __init__(self):
        super().__init__("os")

    def __getattr__(self, atributo):
        if atributo in ("killpg", "getpgid"):
            raise AttributeError(atributo)  # não existem no Windows
        return getattr(os, atributo)


@pytest.fixture
def windows(monkeypatch):
    """Simula o Windows: `os.name == "nt"`, `signal` sem SIGKILL e com CTRL_BREAK_EVENT."""
    sinal = types.SimpleNamespace(SIGTERM=signal.SIGTERM, SIGINT=signal.SIGINT, CTRL_BREAK_EVENT=1)
    falso = _OsDoWindows()
    monkeypatch.setattr(processos, "signal", sinal)
    monkeypatch.setattr(processos, "os", falso)
    yield types.SimpleNamespace(signal=sinal, os=falso)


def test_windows_e_lido_do_os_name(windows):
    assert processos._windows() is True


def test_windows_sinais_sem_sigkill(windows):
    sinais = processos.sinais_de_parada()
    assert sinais == [(1, True), ("terminate", False), ("kill", False)]
    assert not hasattr(windows.signal, "SIGKILL")


def test_windows_grupo_novo_de_console(windows):
    assert processos.opcoes_de_grupo() == {"creationflags": 0x00000200}


def test_posix_sessao_nova():
    assert processos.opcoes_de_grupo() == {"start_new_session": True}
    assert processos.sinais_de_parada() == [(signal.SIGTERM, True), (signal.SIGKILL, False)]
    assert processos.sinais_de_parada(signal.SIGINT)[0] == (signal.SIGINT, True)


def test_windows_parar_manda_ctrl_break_e_depois_mata_lider_e_filhos(windows, monkeypatch):
    filho = _ProcessoFalso(101)
    lider = _ProcessoFalso(100, filhos=[filho])
    monkeypatch.setattr(processos.psutil, "Process", lambda pid: lider)
    enviados = []

    def kill(pid, sinal):  # o os.kill do Windows com CTRL_BREAK_EVENT: ninguém obedece aqui
        enviados.append((pid, sinal))

    windows.os.kill = kill
    assert processos.parar(100, prazo=0.2, prazo_forcado=0.2) is True
    assert enviados == [(100, 1)]
    assert lider.pedidos == ["terminate", "kill"] and filho.pedidos == ["terminate", "kill"]


def test_windows_filho_que_sobra_ao_lider_tambem_para(windows, monkeypatch):
    """O líder sai com o CTRL_BREAK, mas o filho não: ele foi anotado antes e é terminado."""
    filho = _ProcessoFalso(201)
    lider = _ProcessoFalso(200, filhos=[filho])

    def processo(pid):
        if not lider._vivo:
            raise psutil.NoSuchProcess(pid)
        return lider

    monkeypatch.setattr(processos.psutil, "Process", processo)

    def kill(pid, sinal):
        lider._vivo = False

    windows.os.kill = kill
    assert processos.parar(200, prazo=0.2, prazo_forcado=0.2) is True
    assert filho.pedidos == ["terminate", "kill"]


def test_windows_porta_sem_so_reuseaddr(windows, monkeypatch):
    opcoes = []

    class SocketFalso:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def setsockopt(self, *args):
            opcoes.append(args)

        def bind(self, endereco):
            pass

    monkeypatch.setattr(processos.socket, "socket", SocketFalso)
    assert processos.porta_em_uso(5000) is False
    assert opcoes == [], "no Windows, SO_REUSEADDR deixaria roubar uma porta em uso"


def test_windows_reserva_de_porta_com_msvcrt(tmp_path, windows, monkeypatch):
    travas = []
    msvcrt = types.SimpleNamespace(LK_NBLCK=2, locking=lambda fd, modo, n: travas.append((modo, n)))
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    monkeypatch.setattr(processos.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(processos, "_RESERVAS", {})
    assert processos._reservar(5299) is True
    assert travas == [(2, 1)]


def test_macos_grupo_pelo_psutil(monkeypatch):
    """No macOS não há /proc: os membros do grupo vêm do psutil e de os.getpgid."""
    monkeypatch.setattr(sys, "platform", "darwin")
    processo = processos.iniciar(DORMIR)
    try:
        assert [p.pid for p in processos._membros_do_grupo(processo.pid)] == [processo.pid]
    finally:
        assert processos.parar(processo.pid, prazo=5, processo=processo)


def test_sair_sem_a_ultima_coleta_congela_depois_dos_outros_atexit():
    """Os `atexit` registrados depois (servidores, logs, MLflow) rodam antes, sem nada congelado;
    no fim, os objetos vivos saem da coleta final."""
    codigo = (
        "import atexit, gc\n"
        "from curso_mlops import processos\n"
        "processos.sair_sem_a_ultima_coleta()\n"
        "vistos = []\n"
        "atexit.register(lambda: vistos.append(gc.get_freeze_count()))\n"
        "atexit._run_exitfuncs()\n"
        "print(vistos, gc.get_freeze_count() > 0)\n"
    )
    resultado = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True, timeout=60)
    assert resultado.returncode == 0, resultado.stderr
    assert resultado.stdout.split() == ["[0]", "True"]


def test_filhos_dos_testes_recebem_o_ctrl_c():
    """Os testes de Ctrl+C (make serve, make carga) mandam SIGINT a um filho: ele precisa do
    tratamento padrão do Python, mesmo quando o pytest nasceu com o SIGINT ignorado (o
    pytest_configure de tests/conftest.py o devolve)."""
    codigo = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    resultado = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True, timeout=60)
    assert resultado.stdout.strip() == "True", resultado.stdout + resultado.stderr
