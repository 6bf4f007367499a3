"""O kernel Python dos notebooks do curso: o ipykernel, com um `language_info` igual em todo Python.

Quando o kernel inicia, o JupyterLab grava nos metadados do notebook o `language_info` que o
kernel informa, e marca a aba como modificada se ele for diferente do guardado. O ipykernel
informa a versão exata do Python (`"3.11.7"`): um notebook guardado no Python de quem gerou as
saídas ficaria "modificado" só de ser aberto num Python 3.13, e o salvamento automático o
regravaria (o `git status` acusaria). Este kernel informa `"version": "3"`, o mesmo em
qualquer Python de 3.11 a 3.14; todo o resto é o ipykernel, sem mudança.

O `make venv` instala a especificação deste kernel no `.venv` com o nome `python3` (a que os
notebooks pedem), no lugar da do ipykernel:

    python -m curso_mlops.kernel instalar      # .venv/share/jupyter/kernels/python3/kernel.json

O JupyterLab, o papermill e o nbval do `.venv` passam a usá-lo. Nada acontece na importação.

Ao sair (fechar o notebook, reiniciar o kernel, fim do papermill), o kernel não passa o coletor de
lixo, uma última vez, por tudo o que as aulas carregaram (MLflow, pandas, statsmodels, SciPy):
isso levava ~0,7 s de CPU por kernel, só para devolver memória que o sistema devolve de qualquer
jeito quando o processo acaba (`processos.sair_sem_a_ultima_coleta`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

VERSAO = "3"
NOME = "python3"


def especificacao() -> dict:
    """O kernel.json: o mesmo do ipykernel, com este módulo no lugar do `ipykernel_launcher`."""
    return {
        "argv": ["python", "-m", "curso_mlops.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        # As mesmas capacidades do kernel.json do ipykernel: com "curve", o jupyter_client cifra
        # a conexão com o kernel (sem o aviso "Kernel is running over TCP without encryption").
        "metadata": {"debugger": True, "supported_encryption": ["curve"]},
        "kernel_protocol_version": "5.5",
    }


def instalar(prefixo: str | Path | None = None) -> Path:
    """Grava a especificação em <prefixo>/share/jupyter/kernels/python3 e devolve o arquivo."""
    pasta = Path(sys.prefix if prefixo is None else prefixo) / "share" / "jupyter" / "kernels" / NOME
    pasta.mkdir(parents=True, exist_ok=True)
    arquivo = pasta / "kernel.json"
    arquivo.write_text(json.dumps(especificacao(), indent=1) + "\n", encoding="utf-8")
    return arquivo


def _classe_do_kernel():
    from ipykernel.ipkernel import IPythonKernel

    class KernelDoCurso(IPythonKernel):
        language_info = {**IPythonKernel.language_info, "version": VERSAO}

    return KernelDoCurso


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["instalar"]:
        print(f"kernel do curso instalado em {instalar()}")
        return 0
    from .processos import sair_sem_a_ultima_coleta

    sair_sem_a_ultima_coleta()  # antes de qualquer outro atexit: roda por último
    if argv[:1] == ["molde"]:
        # O molde dos kernels (curso_mlops.molde): faz os imports e bifurca um kernel por pedido.
        # No molde, `servir` devolve None quando o executor fecha a conexão; no filho, os
        # argumentos do kernel, que segue daqui como qualquer outro.
        from . import molde

        argv = molde.servir(int(argv[1]), tuple(argv[2:]))
        if argv is None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        sys.argv[1:] = argv
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=argv, kernel_class=_classe_do_kernel())
    return 0


if __name__ == "__main__":
    sys.exit(main())
