"""Portas e processos filhos do curso, num lugar só (encanamento, sobre o psutil).

Usado pelo servidor de modelo (`servidor.ServidorDeModelo`), pelo servidor de tracking da
turma (`servidor_tracking`), pelo `make serve` (`scripts/servir.py`), pelo `make ui` e pelo
PostgreSQL descartável dos testes. O mesmo código vale para Linux, macOS e Windows:

- **Portas.** `porta_em_uso`, `porta_livre` e `porta_disponivel` (a porta da aula, se está
  livre e nenhum outro processo do curso a reservou; senão, uma livre).
- **Iniciar num grupo próprio.** `iniciar` lança o comando com a saída num arquivo de log, num
  grupo de processos novo (POSIX: `start_new_session`; Windows: `CREATE_NEW_PROCESS_GROUP`).
  Assim, parar o servidor para também os filhos dele (o `uvicorn`, os *workers*).
- **Esperar até estar pronto.** `esperar` repete uma verificação (um `GET /ping`) até ela dar
  certo, com prazo, e desiste cedo se o processo morrer.
- **Parar o grupo.** `parar`: no POSIX, SIGTERM ao grupo, espera, SIGKILL no que sobrar; no
  Windows, `CTRL_BREAK_EVENT` ao grupo, espera, e `terminate`/`kill` no processo e nos filhos.
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
WINDOWS = os.name == "nt"

# -- portas ----------------------------------------------------------------------------------


def _host_de_bind(host: str) -> str:
    return HOST if host == "localhost" else host


def porta_em_uso(porta: int, host: str = HOST) -> bool:
    """True se algum processo escuta na porta (conexões em TIME_WAIT não contam)."""
    familia = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(familia, socket.SOCK_STREAM) as s:
        if not WINDOWS:
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
    arquivo = open(Path(tempfile.gettempdir()) / f"curso-mlops-porta-{porta}.trava", "a+b")
    try:
        if WINDOWS:
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


def dica_de_porta_ocupada(porta: int, variavel: str, plataforma: str | None = None) -> str:
    """A frase que diz como escolher outra porta (`make ui PORTA_UI=5001`), e o AirPlay no macOS.

    No macOS atual, o AirPlay Receiver escuta na porta 5000 (a da MLflow UI e do servidor da
    turma): quem roda o curso num Mac encontra a porta ocupada sem ter aberto nada.
    """
    plataforma = sys.platform if plataforma is None else plataforma
    texto = f"Escolha outra porta com {variavel}={porta + 1} (por exemplo)."
    if plataforma == "darwin" and int(porta) in (5000, 7000):
        texto += (f" No macOS, a porta {porta} costuma ser do AirPlay Receiver: desligue-o em "
                  "Ajustes do Sistema → Geral → AirDrop e Handoff, ou use outra porta.")
    return texto


# -- iniciar, esperar e parar ----------------------------------------------------------------


def opcoes_de_grupo() -> dict:
    """Os argumentos do `Popen` que põem o processo num grupo próprio, em cada sistema."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def iniciar(comando: Sequence[str], log: str | Path | None = None, env: dict | None = None,
            cwd: str | Path | None = None, **popen) -> subprocess.Popen:
    """Lança `comando` num grupo de processos próprio, com stdout e stderr no arquivo `log`.

    Sem `log`, a saída vai para `os.devnull`. A entrada padrão é sempre fechada: um servidor
    em segundo plano nunca espera o teclado.
    """
    destino = open(log, "ab") if log is not None else open(os.devnull, "wb")
    try:
        return subprocess.Popen(list(comando), stdout=destino, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                **{**opcoes_de_grupo(), **popen})
    finally:
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
    if WINDOWS:
        try:
            lider = psutil.Process(int(pgid))
        except psutil.NoSuchProcess:
            return []
        try:
            return [lider, *lider.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
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


def _sinalizar_grupo(pgid: int, sinal: int) -> None:
    try:
        if WINDOWS:
            if sinal == getattr(signal, "CTRL_BREAK_EVENT", None):
                os.kill(int(pgid), sinal)  # chega ao grupo de console inteiro
            else:
                for processo in _membros_do_grupo(pgid):
                    try:
                        processo.kill() if sinal == "kill" else processo.terminate()
                    except psutil.Error:
                        pass
        else:
            os.killpg(int(pgid), sinal)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def sinais_de_parada(gentil: int | None = None) -> list[tuple[object, float | None]]:
    """A sequência de sinais de `parar` neste sistema: (sinal, fração do prazo)."""
    if WINDOWS:
        return [(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM), 1.0), ("terminate", None),
                ("kill", None)]
    return [(signal.SIGTERM if gentil is None else gentil, 1.0), (signal.SIGKILL, None)]


def parar(pgid: int, prazo: float = 15.0, gentil: int | None = None,
          processo: subprocess.Popen | None = None) -> bool:
    """Para o grupo de processos iniciado por `iniciar` (o líder tem o PID `pgid`).

    Primeiro o pedido gentil (SIGTERM, ou `gentil`; no Windows, `CTRL_BREAK_EVENT`), e `prazo`
    segundos de espera; depois, à força, o que sobrou. Com `processo`, recolhe o líder (sem
    zumbi). Devolve True se nenhum processo do grupo sobrou.
    """
    for sinal, fracao in sinais_de_parada(gentil):
        if not grupo_vivo(pgid):
            break
        _sinalizar_grupo(pgid, sinal)
        limite = time.monotonic() + (prazo if fracao else 5.0)
        while time.monotonic() < limite:
            if processo is not None:
                processo.poll()
            if not grupo_vivo(pgid):
                break
            time.sleep(0.05)
    if processo is not None:
        try:
            processo.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    return not grupo_vivo(pgid)


# -- "este PID é nosso?" ----------------------------------------------------------------------


def identidade(pid: int) -> dict:
    """O que identifica um processo vivo para depois: PID, hora de criação e linha de comando."""
    processo = psutil.Process(int(pid))
    return {"pid": processo.pid, "criado_em": processo.create_time(),
            "comando": " ".join(processo.cmdline())}


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
