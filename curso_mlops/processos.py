"""Portas e processos filhos do curso, num lugar só (encanamento, sobre o psutil).

Usado pelo servidor de modelo (`servidor.ServidorDeModelo`), pelo servidor de tracking da
turma (`servidor_tracking`), pelo `make serve` (`scripts/servir.py`), pelo `make ui`
(`scripts/mlflow_ui.py`) e pelo PostgreSQL descartável dos testes
(`tests/turma/postgres_temporario.py`). O mesmo código vale para Linux, macOS e Windows:

- **Portas.** `porta_em_uso`, `porta_livre` e `porta_disponivel` (a porta da aula, se está
  livre e nenhum outro processo do curso a reservou; senão, uma livre).
- **Iniciar num grupo próprio.** `iniciar` lança o comando com a saída num arquivo de log, num
  grupo de processos novo (POSIX: `start_new_session`; Windows: `CREATE_NEW_PROCESS_GROUP`).
  Assim, parar o servidor para também os filhos dele (o `uvicorn`, os *workers*).
- **Esperar até estar pronto.** `esperar` repete uma verificação (um `GET /ping`) até ela dar
  certo, com prazo, e desiste cedo se o processo morrer.
- **Parar o grupo.** `parar`: no POSIX, SIGTERM ao grupo, espera, SIGKILL no que sobrar; no
  Windows, `CTRL_BREAK_EVENT` ao grupo, espera, e `terminate`/`kill` no processo e nos filhos.
- **Em primeiro plano.** `rodar_em_primeiro_plano` é o `make ui` e o `make serve`: o servidor
  escreve no terminal, e Ctrl+C ou SIGTERM param o grupo inteiro, sem deixar órfãos.
- **"Este PID é nosso?"** `identidade` e `e_o_mesmo` guardam e conferem o PID, a hora de
  criação e a linha de comando de um processo. Depois de a máquina reiniciar, o PID de um
  arquivo pid velho pode ser de outro programa qualquer: a hora de criação não bate, e o
  curso não mexe nele.

Nada acontece na importação.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

HOST = "127.0.0.1"
HOSTS_LOCAIS = ("127.0.0.1", "localhost", "::1")


def _windows() -> bool:
    """Lido a cada chamada (e não na importação): os testes simulam o Windows trocando `os.name`."""
    return os.name == "nt"


def comando_mlflow(*argumentos: str) -> list[str]:
    """`mlflow ...` como o curso o executa: o MLflow do mesmo Python (`sys.executable -m mlflow`).

    Não depende do PATH nem de o .venv estar ativo (no Windows, a receita do README usa o
    `.venv\\Scripts\\python` sem ativar nada).
    """
    return [sys.executable, "-m", "mlflow", *map(str, argumentos)]


def ambiente_com_o_python_do_curso(base: dict[str, str] | None = None) -> dict[str, str]:
    """Uma cópia do ambiente com a pasta do `sys.executable` primeiro no PATH.

    O `mlflow models serve` e o `mlflow server` lançam o `uvicorn`/`gunicorn` pelo PATH; sem
    isso, um kernel cujo PATH não tem o .venv (um editor, o JupyterLab de outro ambiente)
    acharia outro programa, ou nenhum.
    """
    ambiente = dict(os.environ if base is None else base)
    pasta = str(Path(sys.executable).parent)
    ambiente["PATH"] = pasta + os.pathsep + ambiente.get("PATH", "")
    return ambiente

# -- portas ----------------------------------------------------------------------------------


def _host_de_bind(host: str) -> str:
    return HOST if host == "localhost" else host


def porta_em_uso(porta: int, host: str = HOST) -> bool:
    """True se algum processo escuta na porta (conexões em TIME_WAIT não contam)."""
    familia = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(familia, socket.SOCK_STREAM) as s:
        if not _windows():
            # No POSIX, SO_REUSEADDR deixa reusar portas em TIME_WAIT, mas nunca uma com
            # alguém escutando. No Windows ele faria o contrário (deixaria "roubar" a porta).
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((_host_de_bind(host), int(porta)))
        except OSError:
            return True
    return False


def porta_livre(host: str = HOST) -> int:
    """Uma porta TCP livre agora em `host` (o sistema escolhe)."""
    familia = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(familia, socket.SOCK_STREAM) as s:
        s.bind((_host_de_bind(host), 0))
        return s.getsockname()[1]


# Portas reservadas por este processo (porta -> arquivo travado), até ele terminar.
_RESERVAS: dict[int, object] = {}


def _reservar(porta: int) -> bool:
    """Reserva `porta` para este processo entre os processos do curso; False se outro a tem.

    Dois cursos rodando ao mesmo tempo na mesma máquina (dois terminais, testes em paralelo)
    pediriam a mesma porta da aula; entre a verificação e o servidor ocupá-la passam segundos.
    A reserva é uma trava (`flock` no POSIX, `msvcrt.locking` no Windows) num arquivo da pasta
    temporária, que o sistema solta quando o processo termina.
    """
    if porta in _RESERVAS:
        return True
    arquivo = open(os.path.join(tempfile.gettempdir(), f"curso-mlops-porta-{porta}.trava"), "a+b")
    try:
        if _windows():
            import msvcrt

            arquivo.seek(0)
            msvcrt.locking(arquivo.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(arquivo, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        arquivo.close()
        return False
    _RESERVAS[porta] = arquivo
    return True


def porta_disponivel(preferida: int | None = None, host: str = HOST) -> int:
    """`preferida` se ela está livre e nenhum outro processo do curso a reservou; senão, uma livre.

    Os notebooks pedem a porta da aula (5299) e não brigam com um `make serve` aberto em outro
    terminal, nem com outro curso executando ao mesmo tempo: nesses casos, o servidor do
    notebook sobe em outra porta. A reserva dura até o processo (o kernel) terminar.
    """
    if preferida is not None and not porta_em_uso(int(preferida), host) and _reservar(int(preferida)):
        return int(preferida)
    return porta_livre(host)


def dica_de_porta_ocupada(porta: int, variavel: str, alvo: str | None = None,
                          plataforma: str | None = None) -> str:
    """Como escolher outra porta (`make ui PORTA_UI=5001`), e o AirPlay no macOS.

    No macOS atual, o AirPlay Receiver escuta nas portas 5000 e 7000 (5000 é a da MLflow UI e
    do servidor da turma): quem roda o curso num Mac encontra a porta ocupada sem ter aberto
    nada. `alvo` é o alvo do make (`ui`, `serve`, `server`); sem ele, só a variável.
    """
    plataforma = sys.platform if plataforma is None else plataforma
    exemplo = f"{variavel}={int(porta) + 1}"
    if alvo:
        exemplo = f"make {alvo} {exemplo}"
    texto = f"escolha outra porta, por exemplo `{exemplo}`."
    if plataforma == "darwin" and int(porta) in (5000, 7000):
        texto += (f" No macOS, a porta {porta} costuma ser do AirPlay Receiver: desligue-o em "
                  "Ajustes do Sistema → Geral → AirDrop e Handoff, ou use outra porta.")
    return texto


def mensagem_de_porta_ocupada(porta: int, variavel: str, alvo: str | None = None,
                              host: str = HOST, plataforma: str | None = None) -> str:
    """Uma linha só: a porta ocupada e como escolher outra (com o AirPlay no macOS)."""
    return (f"a porta {porta} já está em uso em {host} (outro servidor?); "
            + dica_de_porta_ocupada(porta, variavel, alvo, plataforma))


# -- iniciar, esperar e parar ----------------------------------------------------------------


def opcoes_de_grupo() -> dict:
    """Os argumentos do `Popen` que põem o processo num grupo próprio, em cada sistema."""
    if _windows():
        # 0x200; a constante só existe no subprocess do Windows.
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x00000200)}
    return {"start_new_session": True}


TERMINAL = "terminal"  # `iniciar(..., log=TERMINAL)`: a saída vai para o terminal deste processo


def iniciar(comando: Sequence[str], log: str | Path | None = None, env: dict | None = None,
            cwd: str | Path | None = None, **popen) -> subprocess.Popen:
    """Lança `comando` num grupo de processos próprio, com stdout e stderr no arquivo `log`.

    Sem `log`, a saída vai para `os.devnull`; com `log=TERMINAL`, para o terminal deste
    processo. A entrada padrão é sempre fechada: um servidor nunca espera o teclado.
    """
    if log == TERMINAL:
        destino = None
    else:
        destino = open(log, "ab") if log is not None else open(os.devnull, "wb")
    try:
        return subprocess.Popen(list(map(str, comando)), stdout=destino,
                                stderr=None if destino is None else subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                **{**opcoes_de_grupo(), **popen})
    finally:
        if destino is not None:
            destino.close()  # o filho tem a própria cópia do descritor


class ProcessoMorreu(RuntimeError):
    """O processo terminou antes de ficar pronto."""

    def __init__(self, codigo: int | None):
        super().__init__(f"o processo terminou com o código {codigo}")
        self.codigo = codigo


class PrazoEsgotado(TimeoutError):
    """A verificação não deu certo dentro do prazo."""


def esperar(pronto: Callable[[], bool], processo: subprocess.Popen | None = None,
            prazo: float = 60.0, intervalo: float = 0.1) -> float:
    """Chama `pronto()` até ele devolver True; devolve os segundos que levou.

    Levanta `ProcessoMorreu` se `processo` terminar antes, e `PrazoEsgotado` depois de `prazo`
    segundos. Exceções de rede dentro de `pronto` contam como "ainda não".
    """
    inicio = time.monotonic()
    while True:
        if processo is not None and processo.poll() is not None:
            raise ProcessoMorreu(processo.returncode)
        try:
            if pronto():
                return time.monotonic() - inicio
        except (OSError, ConnectionError):
            pass
        if time.monotonic() - inicio > prazo:
            raise PrazoEsgotado(f"não ficou pronto em {prazo:.0f} s")
        time.sleep(intervalo)


def vivo(pid: int) -> bool:
    """True se o processo existe e não é um zumbi."""
    try:
        return psutil.Process(int(pid)).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.AccessDenied:
        return True


def _membros_do_grupo(pgid: int) -> list[psutil.Process]:
    """Os processos vivos do grupo `pgid` (POSIX) ou o líder e os descendentes (Windows)."""
    if _windows():
        try:
            lider = psutil.Process(int(pgid))
        except psutil.NoSuchProcess:
            return []
        try:
            return _vivos([lider, *lider.children(recursive=True)])
        except psutil.NoSuchProcess:
            return []
    try:
        os.killpg(int(pgid), 0)  # atalho: o grupo nem existe mais
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    membros = []
    for processo in psutil.process_iter(["status"]):
        try:
            if processo.info["status"] in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
                continue
            if os.getpgid(processo.pid) == int(pgid):
                membros.append(processo)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return membros


def grupo_vivo(pgid: int) -> bool:
    """True se algum processo (não zumbi) do grupo iniciado por `iniciar` ainda existe."""
    return bool(_membros_do_grupo(pgid))


def _vivos(processos: list[psutil.Process]) -> list[psutil.Process]:
    vivos = []
    for processo in processos:
        try:
            if processo.is_running() and processo.status() not in (psutil.STATUS_ZOMBIE,
                                                                   psutil.STATUS_DEAD):
                vivos.append(processo)
        except psutil.Error:
            continue
    return vivos


def _sinalizar_grupo(pgid: int, sinal, membros: list[psutil.Process] | None = None) -> None:
    """Manda `sinal` ao grupo. No Windows, "terminate"/"kill" vão a cada processo de `membros`."""
    try:
        if _windows():
            if sinal == getattr(signal, "CTRL_BREAK_EVENT", None):
                os.kill(int(pgid), sinal)  # chega ao grupo de console inteiro
            else:
                for processo in _vivos(membros if membros is not None else _membros_do_grupo(pgid)):
                    try:
                        processo.kill() if sinal == "kill" else processo.terminate()
                    except psutil.Error:
                        pass
        else:
            os.killpg(int(pgid), sinal)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def sinais_de_parada(gentil: int | None = None) -> list[tuple[object, bool]]:
    """A sequência de sinais de `parar` neste sistema: (sinal, é o pedido gentil?).

    No POSIX: SIGTERM (ou `gentil`), depois SIGKILL. No Windows não existe `signal.SIGKILL`:
    `CTRL_BREAK_EVENT` ao grupo de console, depois `terminate` e `kill` do psutil em cada
    processo (o líder e os descendentes).
    """
    if _windows():
        return [(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM), True), ("terminate", False),
                ("kill", False)]
    return [(signal.SIGTERM if gentil is None else gentil, True), (signal.SIGKILL, False)]


def parar(pgid: int, prazo: float = 15.0, gentil: int | None = None,
          processo: subprocess.Popen | None = None, prazo_forcado: float = 5.0) -> bool:
    """Para o grupo de processos iniciado por `iniciar` (o líder tem o PID `pgid`).

    Primeiro o pedido gentil (SIGTERM, ou `gentil`; no Windows, `CTRL_BREAK_EVENT`), e `prazo`
    segundos de espera; depois, à força, o que sobrou (`prazo_forcado` segundos por passo). Com `processo`, recolhe
    o líder (sem zumbi). Devolve True se nenhum processo do grupo sobrou.

    No Windows não há grupo para consultar depois que o líder sai: os membros são anotados
    antes do primeiro sinal (o líder e os descendentes), e são eles que precisam acabar.
    """
    membros = _membros_do_grupo(pgid) if _windows() else None

    def algum_vivo() -> bool:
        if processo is not None:
            processo.poll()
        if membros is not None:
            return bool(_vivos(membros)) or grupo_vivo(pgid)
        return grupo_vivo(pgid)

    for sinal, e_gentil in sinais_de_parada(gentil):
        if not algum_vivo():
            break
        _sinalizar_grupo(pgid, sinal, membros)
        limite = time.monotonic() + (prazo if e_gentil else prazo_forcado)
        while time.monotonic() < limite:
            if not algum_vivo():
                break
            time.sleep(0.05)
    if processo is not None:
        try:
            processo.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    return not algum_vivo()


# -- em primeiro plano -------------------------------------------------------------------------


def _sigterm_vira_ctrl_c(*_):
    raise KeyboardInterrupt


def rodar_em_primeiro_plano(comando: Sequence[str], env: dict | None = None,
                            cwd: str | Path | None = None, prazo: float = 15.0,
                            ao_parar: Callable[[], None] | None = None) -> int:
    """Roda `comando` num grupo próprio, com a saída no terminal, até ele sair ou Ctrl+C.

    É o `make ui` e o `make serve`. O filho não recebe o Ctrl+C do terminal (está noutro grupo):
    quem para o grupo inteiro é este processo, com `parar`, no Ctrl+C (KeyboardInterrupt) e no
    SIGTERM (um `kill` ou o fim da sessão). Devolve o código de saída do comando, ou 0 quando
    foi parado por Ctrl+C/SIGTERM. `ao_parar` é chamado antes de parar (uma mensagem).
    """
    anterior = None
    if hasattr(signal, "SIGTERM"):
        try:
            anterior = signal.signal(signal.SIGTERM, _sigterm_vira_ctrl_c)
        except ValueError:  # fora da thread principal
            anterior = None
    processo = None
    try:
        processo = iniciar(comando, log=TERMINAL, env=env, cwd=cwd)
        return processo.wait()
    except KeyboardInterrupt:
        if ao_parar is not None:
            ao_parar()
        return 0
    finally:
        if processo is not None:
            parar(processo.pid, prazo=prazo, processo=processo)
        if anterior is not None:
            signal.signal(signal.SIGTERM, anterior)


# -- "este PID é nosso?" ----------------------------------------------------------------------


def identidade(pid: int, esconder: Callable[[str], str] | None = None) -> dict:
    """O que identifica um processo vivo para depois: PID, hora de criação e linha de comando.

    `esconder` transforma a linha de comando antes de guardá-la (o URI de um banco pode ter
    senha, e o arquivo pid fica em disco).
    """
    processo = psutil.Process(int(pid))
    # Logo depois do Popen, o filho pode ainda estar trocando de programa (exec): a linha de
    # comando vem vazia por um instante.
    limite = time.monotonic() + 2.0
    comando = " ".join(processo.cmdline())
    while not comando and time.monotonic() < limite:
        time.sleep(0.01)
        comando = " ".join(processo.cmdline())
    return {"pid": processo.pid, "criado_em": processo.create_time(),
            "comando": esconder(comando) if esconder else comando}


def e_o_mesmo(registro: dict, marcador: str) -> bool:
    """O processo do `registro` (de `identidade`) ainda é o mesmo, vivo, e roda `marcador`?

    Confere a hora de criação (um PID reaproveitado depois de reiniciar a máquina tem outra)
    e a linha de comando (precisa conter `marcador`, como "mlflow"). Um registro antigo, sem a
    hora de criação, só vale se a linha de comando bater.
    """
    try:
        pid = int(registro.get("pid"))
        processo = psutil.Process(pid)
        if processo.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        criado = registro.get("criado_em")
        if criado is not None and abs(processo.create_time() - float(criado)) > 1.0:
            return False
        return marcador in " ".join(processo.cmdline())
    except (psutil.NoSuchProcess, TypeError, ValueError):
        return False
    except psutil.AccessDenied:
        # Outro usuário: não é um processo que este usuário iniciou.
        return False


# -- sair depressa ---------------------------------------------------------------------------------

def sair_sem_a_ultima_coleta() -> None:
    """Faz este processo acabar sem a última coleta de lixo do Python (o kernel, o servidor de produção).

    Ao terminar, o Python passa o coletor de lixo por todos os objetos vivos: num processo com o
    MLflow, o SQLAlchemy, o pandas e o statsmodels carregados, uns 0,7 s de CPU (0,8 s contra
    0,08 s, medidos num processo só com esses imports), só para devolver memória que o sistema
    devolve de qualquer jeito. `gc.freeze()` tira esses objetos da coleta final.

    Registra o `gc.freeze` no `atexit`. Chamada no começo do programa, antes de qualquer outro
    `atexit`, ela roda por último (o `atexit` roda na ordem inversa): o que para um servidor que
    uma aula deixou no ar (`servidor`), o que esvazia os logs, o do MLflow e os
    `weakref.finalize` das pastas temporárias rodam antes, normalmente. Chamada depois, os
    `atexit` de antes rodam depois dela, e também normalmente: congelar não apaga nem impede
    nada, só deixa os objetos de fora da coleta final.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)
