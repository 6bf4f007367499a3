"""`normalizar` guarda o language_info que o kernel informa (o que o JupyterLab grava ao abrir)."""

import json

from curso_mlops import notebooks as nbs


def _executado(language_info: dict) -> dict:
    """Um notebook como o papermill o deixa: language_info do kernel e metadados voláteis."""
    return {
        "nbformat": 4, "nbformat_minor": 4,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                           "name": "python3"},
            "language_info": language_info,
            "papermill": {"start_time": "2026-12-01T20:00:00", "input_path": "/home/ana/x.ipynb"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {}},
        },
        "cells": [{"cell_type": "code", "id": "c1", "execution_count": 1, "source": "1",
                   "outputs": [], "metadata": {"tags": ["parameters"], "execution": {"x": 1},
                                               "papermill": {"duration": 0.1}}}],
    }


def test_normalizar_guarda_o_language_info_inteiro_do_kernel():
    from ipykernel.ipkernel import IPythonKernel

    do_kernel = json.loads(json.dumps(IPythonKernel.language_info))  # como chega pelo protocolo
    assert {"version", "codemirror_mode", "nbconvert_exporter"} <= set(do_kernel)
    normalizado = nbs.normalizar(_executado(do_kernel))
    assert normalizado["metadata"]["language_info"] == do_kernel


def test_normalizar_nao_inventa_chaves_nem_muda_o_que_o_kernel_disse():
    outro = {"name": "python", "version": "3.13.1", "mimetype": "text/x-python",
             "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
             "nbconvert_exporter": "python", "file_extension": ".py"}
    assert nbs.normalizar(_executado(dict(outro)))["metadata"]["language_info"] == outro


def test_normalizar_continua_tirando_o_que_e_volatil():
    normalizado = nbs.normalizar(_executado({"name": "python"}))
    assert set(normalizado["metadata"]) == {"kernelspec", "language_info"}
    celula = normalizado["cells"][0]
    assert celula["metadata"] == {"tags": ["parameters"]}
    assert (normalizado["nbformat"], normalizado["nbformat_minor"]) == (4, 5)
