"""O molde dos kernels das aulas: um processo com os imports feitos, de onde cada kernel nasce.

Cada kernel de aula gasta uns 4 s de CPU antes da primeira linha que ensina: iniciar o Python,
importar o ipykernel e o IPython e, depois, o MLflow, o pandas, o statsmodels, o matplotlib, o
SciPy e o store SQLite do MLflow (`executor.MODULOS_DE_TODA_AULA`). O curso inteiro tem onze
aulas, e o executor (`make run`, `make notebooks`, os testes) pagava isso onze vezes.

O molde é um processo do curso (`python -m curso_mlops.kernel molde FD`) que faz esses imports
uma vez e depois, a cada pedido do executor, se bifurca (`os.fork`): o filho vira o kernel da
aula, já com tudo importado, e o molde continua esperando o próximo pedido. O filho é o mesmo
kernel do curso (`curso_mlops.kernel`), com a mesma linha de comando, o mesmo ambiente e a
mesma pasta que o jupyter_client lhe daria; do lado do executor, `GerenteDoMolde` é o
`AsyncKernelManager` do jupyter_client com uma única troca: o kernel nasce do molde em vez de
um `Popen`. Interromper, parar e matar funcionam como antes, no grupo de processos do kernel.
Como o filho não executa outro programa, no `ps` ele tem a linha de comando do molde
(`python -m curso_mlops.kernel molde ...`), e é filho do molde, não do executor.

É o mesmo kernel aquecido de antes (o executor já importava esses módulos no kernel da aula
seguinte, antes de a aula começar); só que os imports são feitos uma vez por execução, e não
uma vez por aula. O teste "uma 2ª execução dá as mesmas saídas" e o nbval estrito (que roda
cada notebook num kernel novo) conferem que as saídas não mudam.

Só no Linux: `fork` num processo com o MLflow e o matplotlib carregados não é seguro no macOS, e
o Windows não tem `fork`. Lá, e se o molde não subir, o executor inicia cada kernel como
sempre. O molde também se recusa (e o executor volta ao caminho de sempre) se algum import
deixou uma thread rodando: bifurcar um processo com threads pode travar o filho.

Protocolo (uma linha JSON por mensagem, num socket herdado pelo molde):

    molde → executor   {"pronto": true}                    depois dos imports
    executor → molde   {"argv": [...], "env": {...}, "cwd": "..."}
    molde → executor   {"pid": 1234}                       o kernel já está no grupo dele

Fechar o socket encerra o molde (os kernels vivos seguem até o executor pará-los; se o
executor morrer, o molde acaba, e cada kernel percebe que o pai sumiu e sai, como sempre).

Nada acontece na importação.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

# O backend que o ipykernel escolhe ao iniciar (`IPKernelApp.init_gui_pylab`), quando a variável
# não está definida: o matplotlib o lê ao ser importado, e no molde o import vem antes do kernel.
BACKEND_DO_KERNEL = "module://matplotlib_inline.backend_inline"
# O que um kernel do curso importa antes de executar qualquer coisa.
MODULOS_DO_KERNEL = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython")
PRAZO_PARA_FICAR_PRONTO = 120.0


def disponivel() -> bool:
    """Se esta plataforma cria kernels pelo molde (só o Linux tem um `fork` seguro para isso)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _enviar(conexao: socket.socket, mensagem: dict) -> None:
    conexao.sendall(json.dumps(mensagem).encode("utf-8") + b"\n")


def _colher_filhos() -> None:
    """Recolhe os kernels que já acabaram (não ficam como zumbis esperando o molde)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _ComoNumKernel:
    """O `get_ipython()` que as bibliotecas veem enquanto o molde as importa.

    Algumas decidem, na importação, como se comportar conforme rodem ou não num kernel do
    Jupyter; num kernel, o `get_ipython()` existe e tem `.kernel`. O pandas é uma delas: fora de
    um kernel, `display.max_columns` é 0 (a largura do terminal); num kernel, 20
    (pandas/core/config_init.py). Importado no molde, fora de um kernel, o pandas mostraria as
    tabelas de outro jeito. Este objeto responde ao `hasattr(ip, "kernel")` como um kernel, e
    anota qualquer outra pergunta: se houver alguma, uma biblioteca quis mais do IPython na
    importação, e o molde se recusa (o executor volta a iniciar cada kernel como sempre).
    """

    kernel = None

    def __init__(self):
        self.perguntas: list[str] = []

    def __getattr__(self, nome: str):
        self.perguntas.append(nome)
        raise AttributeError(nome)


def servir(fd: int, modulos: tuple[str, ...]) -> list[str] | None:
    """O laço do molde. Devolve, no filho, os argumentos do kernel; no molde, None ao acabar."""
    import gc
    import importlib
    import select
    import signal
    import threading
    import warnings

    conexao = socket.socket(fileno=fd)
    leitor = conexao.makefile("rb")
    # O Ctrl+C no terminal vai para o executor, que para os kernels; o molde acaba quando o
    # executor fecha o socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", BACKEND_DO_KERNEL)
    import builtins

    kernel = _ComoNumKernel()
    builtins.get_ipython = lambda: kernel
    try:
        for modulo in (*MODULOS_DO_KERNEL, *modulos):
            importlib.import_module(modulo)
    finally:
        del builtins.get_ipython  # no kernel, o IPython põe o dele
    # Nenhuma thread do Python pode estar rodando (uma delas poderia estar com uma trava na hora
    # do fork). As do sistema que sobram são as das bibliotecas em C, paradas à espera de
    # trabalho: a do OpenBLAS do NumPy e a do SciPy, e a do jemalloc do pyarrow (que o pandas
    # importa). As duas bibliotecas tratam o fork (`pthread_atfork`): é o mesmo que acontece a
    # cada `multiprocessing` com "fork" num processo com o pandas.
    threads = threading.active_count()
    sozinho = threads == 1 and not kernel.perguntas
    # Os objetos dos imports ficam fora das coletas de lixo: os filhos os herdam sem copiar as
    # páginas de memória que uma coleta tocaria.
    gc.collect()
    gc.freeze()
    try:
        _enviar(conexao, {"pronto": sozinho, "threads": threads, "perguntas": kernel.perguntas})
    except OSError:  # o executor já foi embora
        return None
    if not sozinho:
        return None
    while True:
        prontos, _, _ = select.select([conexao], [], [], 0.5)
        _colher_filhos()
        if not prontos:
            continue
        try:
            linha = leitor.readline()
        except OSError:
            linha = b""
        if not linha:  # o executor fechou a conexão (ou morreu)
            return None
        pedido = json.loads(linha)
        leitura, escrita = os.pipe()
        with warnings.catch_warnings():
            # O Python 3.12+ avisa de qualquer fork num processo com mais de uma thread do sistema;
            # as daqui são as das bibliotecas em C descritas acima, que tratam o fork.
            warnings.filterwarnings("ignore", r".*is multi-threaded, use of fork\(\)", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            try:
                _preparar_o_filho(pedido, leitor, conexao, leitura)
            except BaseException as erro:  # o filho não volta ao laço do molde
                print(f"erro ao criar o kernel a partir do molde: {erro!r}", file=sys.stderr, flush=True)
                os._exit(1)
            os.write(escrita, b"1")
            os.close(escrita)
            # O ipykernel lê o JPY_PARENT_PID na importação (o padrão de `parent_handle`), e a
            # importação foi no molde: o valor vai na linha de comando.
            return [*pedido["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        os.close(escrita)
        os.read(leitura, 1)  # o filho já está no grupo dele
        os.close(leitura)
        try:
            _enviar(conexao, {"pid": pid})
        except OSError:  # o executor já foi embora: o kernel também sai (o pai dele vai sumir)
            return None


def _preparar_o_filho(pedido: dict, leitor, conexao: socket.socket, leitura: int) -> None:
    """No filho recém-bifurcado: o processo que o jupyter_client teria criado com um `Popen`."""
    import signal

    os.close(leitura)
    leitor.close()
    conexao.close()
    # Como o jupyter_client (`start_new_session`): o kernel num grupo próprio, para que
    # interromper e parar alcancem também os processos que ele criar.
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    nulo = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nulo, 0)
    os.close(nulo)
    os.chdir(pedido["cwd"])
    os.environ.clear()
    os.environ.update(pedido["env"])
    # O pai de verdade é o molde: se ele sumir, o kernel sai (o ParentPoller do ipykernel).
    os.environ["JPY_PARENT_PID"] = str(os.getppid())


class ProcessoDoMolde:
    """O kernel que nasceu do molde, com a interface do `Popen` que o jupyter_client usa.

    O kernel é filho do molde, não do executor: quem o recolhe ao acabar é o molde, e o código
    de saída não chega ao executor (`poll` dá 0 quando o processo já não existe).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        import psutil

        self.pid = pid
        self._processo = psutil.Process(pid)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        import psutil

        if self.returncode is None:
            try:
                vivo = self._processo.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                vivo = False
            if not vivo:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import psutil

        try:
            self._processo.wait(timeout)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            raise subprocess.TimeoutExpired(str(self.pid), timeout) from None
        self.returncode = 0 if self.returncode is None else self.returncode
        return self.returncode

    def send_signal(self, sinal: int) -> None:
        if self.poll() is None:
            self._processo.send_signal(sinal)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)


class Molde:
    """O lado do executor: inicia o molde numa pasta, pede kernels a ele e o encerra."""

    def __init__(self, pasta: Path, modulos: tuple[str, ...], prazo: float = PRAZO_PARA_FICAR_PRONTO):
        self.pasta = Path(pasta).resolve()
        self.modulos = tuple(modulos)
        nosso, dele = socket.socketpair()
        try:
            # A pasta dos notebooks é a pasta de trabalho do molde, como seria a de cada kernel:
            # com `-m`, ela é o sys.path[0] de quem nasce dele.
            self.processo = subprocess.Popen(
                [sys.executable, "-m", "curso_mlops.kernel", "molde", str(dele.fileno()), *self.modulos],
                pass_fds=[dele.fileno()], stdin=subprocess.DEVNULL, cwd=self.pasta)
        finally:
            dele.close()
        self._conexao = nosso
        self._leitor = nosso.makefile("rb")
        nosso.settimeout(prazo)
        try:
            resposta = self._receber()
        except BaseException:  # sem resposta, prazo esgotado, ou um Ctrl+C durante os imports
            self.fechar(esperar=False)
            raise
        nosso.settimeout(None)
        if not resposta.get("pronto"):
            self.fechar()
            if resposta.get("perguntas"):
                raise RuntimeError("na importação, uma biblioteca pediu ao IPython mais do que "
                                   f"`get_ipython().kernel`: {resposta['perguntas']}")
            raise RuntimeError(f"o molde ficou com {resposta.get('threads')} threads do Python depois dos imports")

    def _receber(self) -> dict:
        linha = self._leitor.readline()
        if not linha:
            raise RuntimeError("o molde dos kernels acabou")
        return json.loads(linha)

    def serve_para(self, cmd: list[str], cwd) -> bool:
        """Se o kernel `cmd`, na pasta `cwd`, pode nascer deste molde."""
        return (self.processo.poll() is None and Path(cwd or os.getcwd()).resolve() == self.pasta
                and cmd[1:3] == ["-m", "curso_mlops.kernel"] and Path(cmd[0]).name.startswith("python"))

    def criar(self, cmd: list[str], env: dict[str, str], cwd) -> int:
        """O PID do kernel `cmd` (a linha de comando que o jupyter_client executaria)."""
        pasta = str(Path(cwd or os.getcwd()).resolve())
        _enviar(self._conexao, {"argv": list(cmd[3:]), "env": dict(env), "cwd": pasta})
        return int(self._receber()["pid"])

    def fechar(self, esperar: bool = True) -> None:
        """Encerra o molde (não mexe nos kernels: quem os iniciou os para).

        Fechado o socket, o molde sai sozinho; sem `esperar` (ele nem acabou os imports), morre já.
        """
        for coisa in (self._leitor, self._conexao) if hasattr(self, "_leitor") else ():
            try:
                coisa.close()
            except OSError:
                pass
        if not esperar:
            self.processo.kill()
        try:
            self.processo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.processo.kill()
            self.processo.wait()

    @classmethod
    def tentar(cls, pasta: Path, modulos: tuple[str, ...]) -> Molde | None:
        """O molde, ou None se esta plataforma não o tem ou se ele não subir."""
        if not disponivel():
            return None
        try:
            return cls(pasta, modulos)
        except Exception:
            return None


def gerente(molde: Molde | None, **opcoes):
    """O `AsyncKernelManager` cujos kernels nascem de `molde` (sem molde, o de sempre)."""
    from jupyter_client.manager import AsyncKernelManager

    if molde is None:
        return AsyncKernelManager(**opcoes)

    class GerenteDoMolde(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            cwd = kw.get("cwd")
            if not molde.serve_para(kernel_cmd, cwd):
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            env = kw.get("env")
            pid = molde.criar(kernel_cmd, os.environ if env is None else env, cwd)
            provisionador = self.provisioner
            provisionador.process = ProcessoDoMolde(pid)
            provisionador.pid = provisionador.pgid = pid
            provisionador.cwd = cwd or os.getcwd()
            self._reconcile_connection_info(provisionador.connection_info)

    return GerenteDoMolde(**opcoes)
