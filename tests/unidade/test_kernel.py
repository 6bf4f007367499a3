"""curso_mlops.kernel: a especificação instalada, o language_info igual em todo Python e a saída
sem a última coleta de lixo (processos.sair_sem_a_ultima_coleta, testada em test_processos)."""

from __future__ import annotations

import json

from curso_mlops import kernel


def test_especificacao_e_a_do_ipykernel_com_este_modulo():
    especificacao = kernel.especificacao()
    assert especificacao["argv"] == ["python", "-m", "curso_mlops.kernel", "-f", "{connection_file}"]
    assert especificacao["language"] == "python"
    assert especificacao["display_name"] == "Python 3 (ipykernel)"


def test_instalar_grava_o_kernel_json_com_o_nome_que_os_notebooks_pedem(tmp_path):
    arquivo = kernel.instalar(tmp_path)
    assert arquivo == tmp_path / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    assert json.loads(arquivo.read_text(encoding="utf-8")) == kernel.especificacao()


def test_language_info_so_troca_a_versao():
    from ipykernel.ipkernel import IPythonKernel

    do_curso = kernel._classe_do_kernel().language_info
    assert do_curso["version"] == "3"
    assert {k: v for k, v in do_curso.items() if k != "version"} == \
        {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}


def test_main_registra_a_saida_sem_a_ultima_coleta_antes_do_kernel(monkeypatch):
    from ipykernel.kernelapp import IPKernelApp

    from curso_mlops import processos

    ordem = []
    monkeypatch.setattr(processos, "sair_sem_a_ultima_coleta", lambda: ordem.append("congelar no fim"))

    def iniciar(cls, argv, kernel_class):
        ordem.append(("kernel", argv, kernel_class.__name__))

    monkeypatch.setattr(IPKernelApp, "launch_instance", classmethod(iniciar))
    assert kernel.main(["-f", "conexao.json"]) == 0
    assert ordem == ["congelar no fim", ("kernel", ["-f", "conexao.json"], "KernelDoCurso")]
