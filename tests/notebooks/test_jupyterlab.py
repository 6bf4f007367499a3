"""Abrir um notebook guardado no JupyterLab não o modifica (issue 9, item 2).

Num clone git novo do repositório, sobe um JupyterLab de verdade (o do .venv, em 127.0.0.1 numa
porta livre, com token), abre cada notebook guardado num Chromium headless (Playwright), espera
o kernel ficar ocioso e confere que a aba não ficou marcada como modificada (`jp-mod-dirty`).
Fecha a aba sem salvar, para o JupyterLab e confere que `git status --porcelain` do clone está
vazio: nada foi escrito em disco.

O JupyterLab marca o notebook como modificado quando o kernel, ao iniciar, informa um
`language_info` diferente do guardado (ele grava o do kernel nos metadados). Por isso
`curso_mlops.notebooks.normalizar` guarda o `language_info` inteiro do kernel.

Um servidor e um navegador para os dez notebooks. Sem Chromium ou Playwright, o teste é pulado
numa máquina de desenvolvimento e falha na CI (CI=1/true), onde o .ci/run instala o Chromium.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from curso_mlops import navegador, processos
from curso_mlops import notebooks as nbs
from tests import apoio

pytestmark = [pytest.mark.navegador]

RAIZ = Path(__file__).resolve().parents[2]


# -- o JupyterLab -----------------------------------------------------------------------------------


class JupyterLab:
    """`jupyter lab` do .venv sobre `pasta`, só em 127.0.0.1, com token e configuração própria.

    Configuração, área de trabalho, dados de execução e preferências ficam numa pasta temporária:
    nada do JupyterLab do usuário entra no teste (nem uma área de trabalho salva com abas
    abertas), e nada do teste fica no perfil do usuário.
    """

    def __init__(self, pasta: Path, ambiente: dict[str, str] | None = None, prazo: float = 120.0):
        self.pasta = Path(pasta)
        self.token = secrets.token_hex(16)
        self.prazo = prazo
        self.ambiente_extra = dict(ambiente or {})
        self.porta: int | None = None
        self.processo: subprocess.Popen | None = None
        self._temporaria: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"http://{processos.HOST}:{self.porta}"

    def _pronto(self) -> bool:
        pedido = urllib.request.Request(f"{self.url}/api/status",
                                        headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(pedido, timeout=2) as resposta:
            return resposta.status == 200

    def __enter__(self) -> "JupyterLab":
        self._temporaria = tempfile.TemporaryDirectory(prefix="curso-jupyterlab-")
        base = Path(self._temporaria.name)
        ambiente = dict(os.environ)
        for nome, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                          ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                          ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("IPYTHONDIR", "ipython")):
            (base / sub).mkdir()
            ambiente[nome] = str(base / sub)
        ambiente["PATH"] = str(Path(sys.executable).parent) + os.pathsep + ambiente.get("PATH", "")
        ambiente.update(self.ambiente_extra)
        self.porta = processos.porta_livre()
        comando = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
                   f"--ServerApp.ip={processos.HOST}", f"--ServerApp.port={self.porta}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.pasta}", "--LabApp.expose_app_in_browser=True",
                   "--ServerApp.terminals_enabled=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            comando.append("--allow-root")
        self.log = base / "jupyterlab.log"
        self.processo = processos.iniciar(comando, log=self.log, env=ambiente, cwd=self.pasta)
        try:
            processos.esperar(self._pronto, self.processo, prazo=self.prazo, intervalo=0.25)
        except (processos.ProcessoMorreu, processos.PrazoEsgotado) as erro:
            cauda = self.log.read_text(errors="replace")[-2000:]
            self.__exit__(None, None, None)
            raise RuntimeError(f"o JupyterLab não subiu ({erro}):\n{cauda}") from None
        return self

    def __exit__(self, *_):
        if self.processo is not None:
            processos.parar(self.processo.pid, prazo=15, processo=self.processo)
            self.processo = None
        if self._temporaria is not None:
            self._temporaria.cleanup()
            self._temporaria = None


# -- o que o navegador vê ------------------------------------------------------------------------


@dataclass
class Aberto:
    """O que o JupyterLab mostrou ao abrir um notebook e iniciar o kernel."""

    caminho: str
    aba_modificada: bool         # a aba tem a classe jp-mod-dirty (o "●" no lugar do "×")
    modelo_modificado: bool      # o modelo do documento diz dirty
    language_info_do_kernel: dict
    status_do_kernel: str        # 'idle' se ficou ocioso 0,5 s seguidos; senão, o último visto
    metadados_no_jupyterlab: dict        # os metadados do notebook como o JupyterLab os tem
    metadados_das_celulas: list


# Abre `caminho` como um duplo clique no navegador de arquivos faria (docmanager:open), espera o
# kernel responder (kernel_info: é quando o JupyterLab grava language_info nos metadados) e ficar
# ocioso, e devolve o que a aba e o modelo dizem.
_JS_ABRIR = """async ([caminho, prazo]) => {
  const app = window.jupyterapp;
  const painel = await app.commands.execute('docmanager:open', {path: caminho, factory: 'Notebook'});
  await painel.context.ready;
  await painel.sessionContext.ready;
  const limite = Date.now() + prazo;
  let kernel = painel.sessionContext.session && painel.sessionContext.session.kernel;
  while (!kernel && Date.now() < limite) {
    await new Promise(r => setTimeout(r, 100));
    kernel = painel.sessionContext.session && painel.sessionContext.session.kernel;
  }
  if (!kernel) throw new Error('o kernel não iniciou: ' + caminho);
  const info = await kernel.info;
  await kernel.spec;
  // Ocioso por meio segundo seguido: logo depois do kernel_info, o JupyterLab ainda manda
  // pedidos curtos (comm_info dos widgets, por exemplo), e o kernel pisca "busy" com cada um.
  let ociosoDesde = null;
  let ocioso = false;
  while (!ocioso && Date.now() < limite) {
    if (kernel.status === 'idle') {
      ociosoDesde = ociosoDesde === null ? Date.now() : ociosoDesde;
      ocioso = Date.now() - ociosoDesde >= 500;
    } else {
      ociosoDesde = null;
    }
    if (!ocioso) await new Promise(r => setTimeout(r, 50));
  }
  // Duas voltas do laço de eventos e um quadro: o que reage ao kernel_info já rodou.
  await new Promise(r => setTimeout(r, 0));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const aba = app.shell.node.querySelector(`.lm-TabBar-tab[data-id="${painel.id}"]`);
  const modelo = painel.context.model.toJSON();
  return {aba_modificada: !!(aba && aba.classList.contains('jp-mod-dirty')),
          metadados: modelo.metadata, celulas: modelo.cells.map(c => c.metadata),
          modelo_modificado: !!painel.context.model.dirty,
          language_info_do_kernel: info.language_info,
          status_do_kernel: ocioso ? 'idle' : kernel.status,
          id: painel.id};
}"""

# Fecha sem salvar, como quem clica no "×" e, se perguntado, em "Discard"/"Don't Save".
_JS_FECHAR = """(id) => {
  for (const w of window.jupyterapp.shell.widgets('main')) if (w.id === id) { w.close(); return true; }
  return false;
}"""


def abrir_e_fechar(url: str, token: str, executavel: str, caminhos: list[str],
                   prazo_ms: int = 120000) -> list[Aberto]:
    """Abre cada notebook (caminhos relativos à raiz do JupyterLab), confere e fecha sem salvar."""
    resultados = []
    with navegador.abrir(executavel, 1280, 900) as contexto:
        navegador.so_local(contexto)
        pagina = contexto.pages[0] if contexto.pages else contexto.new_page()
        pagina.set_default_timeout(prazo_ms)
        pagina.goto(f"{url}/lab?reset&token={token}")
        pagina.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell && "
            "window.jupyterapp.commands.hasCommand('docmanager:open')")
        pagina.wait_for_function("() => window.jupyterapp.serviceManager.isReady")
        for caminho in caminhos:
            visto = pagina.evaluate(_JS_ABRIR, [caminho, prazo_ms])
            resultados.append(Aberto(caminho, visto["aba_modificada"], visto["modelo_modificado"],
                                     visto["language_info_do_kernel"], visto["status_do_kernel"],
                                     visto["metadados"], visto["celulas"]))
            assert pagina.evaluate(_JS_FECHAR, visto["id"]), f"a aba de {caminho} sumiu"
            # Fechar um notebook modificado abre o diálogo "salvar?"; um intacto só some. Espera
            # o que vier primeiro (sem um prazo fixo por notebook) e descarta, se for o diálogo.
            pagina.wait_for_function(
                "(id) => document.querySelector('.jp-Dialog') !== null || "
                "![...window.jupyterapp.shell.widgets('main')].some(w => w.id === id)",
                arg=visto["id"])
            dialogo = pagina.locator(".jp-Dialog")
            if dialogo.count():
                pagina.locator(".jp-Dialog button", has_text="Discard").or_(
                    pagina.locator(".jp-Dialog button", has_text="Don't Save")).first.click()
                dialogo.wait_for(state="detached")
            pagina.wait_for_function(
                "(id) => ![...window.jupyterapp.shell.widgets('main')].some(w => w.id === id)",
                arg=visto["id"])
    return resultados


def git(pasta: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(pasta), *args], check=True, capture_output=True,
                          text=True).stdout


def clonar(destino: Path) -> Path:
    """Um clone git do repositório (o commit atual), sem o .venv, o store e o build."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(RAIZ), str(destino)],
                   check=True, capture_output=True, text=True)
    return destino


def verificar_clone(clone: Path, executavel: str, caminhos: list[str]) -> tuple[list[Aberto], str]:
    """Abre e fecha os notebooks no JupyterLab; devolve o que viu e o `git status` no fim."""
    with JupyterLab(clone) as lab:
        vistos = abrir_e_fechar(lab.url, lab.token, executavel, caminhos)
    return vistos, git(clone, "status", "--porcelain", "--untracked-files=all")


# -- os testes ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    if shutil.which("git") is None:
        pytest.skip("o teste precisa do git para clonar o repositório")
    return apoio.chromium()


@pytest.fixture(scope="module")
def verificacao(chromium, tmp_path_factory):
    """Os dez notebooks guardados, abertos e fechados num JupyterLab sobre um clone novo.

    O clone ganha, sem commit, um notebook com os metadados tirados (`language_info` só com o
    nome, como ficaria sem a normalização): ele tem de aparecer modificado, e o `git status`
    tem de mostrar só ele. É a prova de que o verificador enxerga uma mudança.
    """
    clone = clonar(tmp_path_factory.mktemp("jupyterlab") / "curso")
    guardados = [p.relative_to(clone).as_posix() for p in nbs.listar(clone / "notebooks")]
    assert len(guardados) >= 10
    modelo = nbs.ler(clone / guardados[0])
    modelo["metadata"]["language_info"] = {"name": "python"}
    isca = "notebooks/zz_isca_metadados_tirados.ipynb"
    nbs.escrever(modelo, clone / isca)
    antes = (clone / isca).read_bytes()
    vistos, status = verificar_clone(clone, chromium, [*guardados, isca])
    return {"clone": clone, "guardados": guardados, "isca": isca, "vistos": vistos,
            "status": status, "isca_antes": antes}


def test_abrir_um_notebook_guardado_nao_marca_a_aba_como_modificada(verificacao):
    vistos = {v.caminho: v for v in verificacao["vistos"]}
    problemas = []
    for caminho in verificacao["guardados"]:
        visto = vistos[caminho]
        assert visto.status_do_kernel == "idle", f"{caminho}: kernel {visto.status_do_kernel}"
        if visto.aba_modificada or visto.modelo_modificado:
            guardado = nbs.ler(verificacao["clone"] / caminho)["metadata"].get("language_info")
            problemas.append(f"{caminho}: aberto já aparece modificado. language_info guardado: "
                             f"{json.dumps(guardado, sort_keys=True)}; o do kernel: "
                             f"{json.dumps(visto.language_info_do_kernel, sort_keys=True)}")
    assert not problemas, "\n".join(problemas) + (
        "\nRegenere as saídas guardadas (make notebooks) para gravar o language_info do kernel.")


def test_fechar_sem_salvar_nao_escreve_nada_no_repositorio(verificacao):
    linhas = [l for l in verificacao["status"].splitlines() if l.strip()]
    # Só o notebook-isca, que não é do repositório, aparece (como não rastreado).
    assert linhas == [f"?? {verificacao['isca']}"], "\n".join(linhas)
    assert (verificacao["clone"] / verificacao["isca"]).read_bytes() == verificacao["isca_antes"]


def test_o_verificador_ve_um_notebook_com_metadados_tirados(verificacao):
    """Sem o language_info completo, o JupyterLab marca a aba: o teste de cima pode falhar."""
    isca = next(v for v in verificacao["vistos"] if v.caminho == verificacao["isca"])
    assert isca.aba_modificada and isca.modelo_modificado
    assert set(isca.language_info_do_kernel) > {"name"}
