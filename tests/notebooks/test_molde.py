"""O molde dos kernels (curso_mlops.molde) com kernels de verdade.

Um kernel que nasce do molde é o que o jupyter_client teria iniciado: um grupo de processos
próprio, a pasta e o ambiente pedidos, o backend do matplotlib do ipykernel (a figura aparece
na saída), o Ctrl+C do Jupyter (interromper) e o parar de sempre; só que com os imports já
feitos. Quando o molde morre, o kernel sai sozinho; e o molde se recusa a bifurcar com uma
thread do Python rodando.
"""

from __future__ import annotations

import os
import time

import psutil
import pytest

from curso_mlops import executor, molde

pytestmark = [pytest.mark.lento,
              pytest.mark.skipif(not molde.disponivel(), reason="o molde é só do Linux")]

# O suficiente para o teste (o executor usa executor.MODULOS_DE_TODA_AULA).
MODULOS = ("matplotlib.pyplot",)


def _executar(cliente, codigo: str, prazo: float = 30) -> list[dict]:
    """As mensagens de saída (stream, display_data, error) de `codigo`."""
    saidas = []

    def guardar(mensagem):
        if mensagem["msg_type"] in ("stream", "display_data", "error"):
            saidas.append({"tipo": mensagem["msg_type"], **mensagem["content"]})

    cliente.execute_interactive(codigo, timeout=prazo, output_hook=guardar)
    return saidas


def _texto(saidas) -> str:
    return "".join(s.get("text", "") for s in saidas if s["tipo"] == "stream")


@pytest.fixture
def molde_de_teste(tmp_path):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    m = molde.Molde(pasta, MODULOS)
    yield m
    m.fechar()


def _iniciar(m, pasta, env=None):
    from jupyter_core.utils import run_sync

    km = molde.gerente(m, kernel_name=executor.KERNEL)
    run_sync(km.start_kernel)(extra_arguments=list(executor.ARGUMENTOS_DO_KERNEL), cwd=str(pasta),
                              **({"env": env} if env is not None else {}))
    cliente = km.blocking_client()
    cliente.start_channels()
    cliente.wait_for_ready(timeout=60)
    return km, cliente


def _parar(km, cliente):
    from jupyter_core.utils import run_sync

    cliente.stop_channels()
    if run_sync(km.is_alive)():
        run_sync(km.shutdown_kernel)(now=False)


def test_o_kernel_do_molde_e_o_que_o_jupyter_client_iniciaria(molde_de_teste, tmp_path):
    pasta = molde_de_teste.pasta
    ambiente = dict(os.environ, VARIAVEL_DO_TESTE="do pedido")
    km, cliente = _iniciar(molde_de_teste, pasta, ambiente)
    try:
        pid = km.provisioner.pid
        kernel = psutil.Process(pid)
        assert kernel.ppid() == molde_de_teste.processo.pid, "o kernel não nasceu do molde"
        assert os.getpgid(pid) == pid and os.getsid(pid) == pid, "o kernel não está num grupo próprio"
        texto = _texto(_executar(cliente, (
            "import os, sys\n"
            "print(os.getcwd())\n"
            "print(os.environ.get('VARIAVEL_DO_TESTE'), os.environ['JPY_PARENT_PID'])\n"
            f"print([m in sys.modules for m in {MODULOS!r}], 'mlflow' in sys.modules)\n"
            "print(sorted(n for n in globals() if not n.startswith('_')"
            " and n not in {'In', 'Out', 'exit', 'quit', 'get_ipython', 'open', 'os', 'sys'}))")))
        assert texto.splitlines() == [
            str(pasta), f"do pedido {molde_de_teste.processo.pid}", "[True] False", "[]"]
        # O backend do ipykernel: a figura sai como imagem na saída da célula, sem plt.show().
        figura = _executar(cliente, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);")
        assert [s["tipo"] for s in figura] == ["display_data"]
        assert "image/png" in figura[0]["data"]
        # Interromper (o botão ■ do JupyterLab): SIGINT no grupo do kernel.
        from jupyter_core.utils import run_sync

        cliente.execute("print('dormindo', flush=True)\nimport time\ntime.sleep(60)", stop_on_error=False)
        limite = time.monotonic() + 30
        while time.monotonic() < limite:
            mensagem = cliente.get_iopub_msg(timeout=30)
            if mensagem["msg_type"] == "stream" and "dormindo" in mensagem["content"]["text"]:
                break
        inicio = time.monotonic()
        run_sync(km.interrupt_kernel)()
        while True:
            mensagem = cliente.get_iopub_msg(timeout=30)
            if mensagem["msg_type"] == "error":
                assert mensagem["content"]["ename"] == "KeyboardInterrupt"
                break
        assert time.monotonic() - inicio < 20
        # E o kernel segue atendendo (o resultado vem na própria resposta, não num stream).
        resposta = cliente.execute_interactive("resultado = 6 * 7", timeout=30,
                                               user_expressions={"r": "resultado"})
        assert resposta["content"]["status"] == "ok"
        assert resposta["content"]["user_expressions"]["r"]["data"]["text/plain"] == "42"
    finally:
        _parar(km, cliente)
    # Parado, o kernel não fica como zumbi: o molde o recolhe.
    limite = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < limite:
        time.sleep(0.1)
    assert not psutil.pid_exists(pid), "o kernel parado ficou na tabela de processos"
    assert km.provisioner is None or km.provisioner.process is None


def test_sem_o_molde_o_kernel_sai_sozinho(molde_de_teste):
    km, cliente = _iniciar(molde_de_teste, molde_de_teste.pasta)
    kernel = psutil.Process(km.provisioner.pid)
    try:
        molde_de_teste.processo.kill()
        molde_de_teste.processo.wait()
        kernel.wait(timeout=30)  # o ParentPoller do ipykernel percebe que o pai sumiu
    finally:
        cliente.stop_channels()
        if kernel.is_running():
            kernel.kill()


def test_outra_pasta_inicia_o_kernel_como_sempre(molde_de_teste, tmp_path):
    """Um kernel pedido noutra pasta não nasce do molde (o sys.path[0] dele seria o do molde)."""
    outra = tmp_path / "outra"
    outra.mkdir()
    km, cliente = _iniciar(molde_de_teste, outra)
    try:
        assert psutil.Process(km.provisioner.pid).ppid() == os.getpid()
        assert _texto(_executar(cliente, "import os, sys\nprint(os.getcwd(), 'matplotlib' in sys.modules)")) \
            == f"{outra} False\n"
    finally:
        _parar(km, cliente)


def test_o_molde_aceita_os_modulos_das_aulas(tmp_path):
    """Os imports de verdade das aulas (MODULOS_DE_TODA_AULA) não deixam thread nem pedem mais ao
    IPython: o molde sobe com eles. Se uma versão do MLflow ou do pandas mudasse isso, o
    executor cairia nos kernels de sempre sem avisar; este teste é o que avisa."""
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    m = molde.Molde(pasta, executor.MODULOS_DE_TODA_AULA)
    try:
        km, cliente = _iniciar(m, pasta)
        try:
            assert psutil.Process(km.provisioner.pid).ppid() == m.processo.pid
            texto = _texto(_executar(cliente, (
                "import sys\n"
                f"print([n for n in {executor.MODULOS_DE_TODA_AULA!r} if n not in sys.modules])")))
        finally:
            _parar(km, cliente)
    finally:
        m.fechar()
    assert texto == "[]\n"


def test_o_pandas_do_molde_mostra_as_tabelas_como_num_kernel_novo(tmp_path):
    """O pandas escolhe `display.max_columns` na importação, conforme esteja ou não num kernel
    (20 num kernel; 0, a largura do terminal, fora): importado no molde, vale o de um kernel."""
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    codigo = ("import pandas as pd\n"
              "print(pd.get_option('display.max_columns'), pd.get_option('display.width'))\n"
              "pd.reset_option('display.max_columns')\n"
              "print(pd.get_option('display.max_columns'))")
    m = molde.Molde(pasta, ("pandas",))
    try:
        km, cliente = _iniciar(m, pasta)
        try:
            assert psutil.Process(km.provisioner.pid).ppid() == m.processo.pid
            do_molde = _texto(_executar(cliente, codigo))
        finally:
            _parar(km, cliente)
    finally:
        m.fechar()
    km, cliente = _iniciar(None, pasta)  # um kernel novo, como o do nbval
    try:
        novo = _texto(_executar(cliente, codigo))
    finally:
        _parar(km, cliente)
    assert do_molde == novo == "20 80\n20\n"


def test_uma_biblioteca_que_pede_mais_ao_ipython_na_importacao_recusa_o_molde(tmp_path):
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    (pasta / "pede_ao_ipython.py").write_text(
        "ip = get_ipython()\ntry:\n    ip.events\nexcept AttributeError:\n    pass\n")
    with pytest.raises(RuntimeError, match=r"mais do que `get_ipython\(\).kernel`: \['events'\]"):
        molde.Molde(pasta, ("pede_ao_ipython",))


def test_molde_com_uma_thread_se_recusa(tmp_path):
    """Um import que deixa uma thread do Python rodando: bifurcar poderia travar o filho."""
    pasta = tmp_path / "notebooks"
    pasta.mkdir()
    (pasta / "abre_uma_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    with pytest.raises(RuntimeError, match="2 threads do Python"):
        molde.Molde(pasta, ("abre_uma_thread",))
    assert molde.Molde.tentar(pasta, ("abre_uma_thread",)) is None
    assert molde.Molde.tentar(pasta, ("modulo_que_nao_existe",)) is None


def test_o_molde_acaba_quando_o_executor_fecha(molde_de_teste):
    processo = molde_de_teste.processo
    molde_de_teste.fechar()
    assert processo.returncode == 0
