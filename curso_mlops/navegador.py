"""Um Chromium headless de verdade, pelo Playwright para Python (encanamento).

Usado pelo `make capturas` (as imagens da MLflow UI em `notebooks/imagens/`) e pelo teste que
abre os notebooks no JupyterLab (`tests/notebooks/test_jupyterlab.py`).

O Playwright não baixa navegador aqui (a máquina não tem rede fora dos registros de pacotes):
ele dirige o Chromium do sistema, o pacote `chromium` do Debian, em `/usr/bin/chromium`. Outro
executável: a variável `CHROMIUM`.

    from curso_mlops import navegador

    executavel = navegador.verificar()          # ou NavegadorAusente, com a frase a mostrar
    with navegador.abrir(executavel) as contexto:
        pagina = contexto.new_page()
        ...

Nada acontece na importação; o Playwright só é importado por `abrir`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

VARIAVEL = "CHROMIUM"
# Nomes do executável no PATH: o do Debian, o do Ubuntu/Fedora antigos.
NOMES = ("chromium", "chromium-browser")

# Sem sandbox (a CI roda como root), sem GPU, e sem nenhum tráfego de fundo do navegador
# (atualizações de componentes, sincronização, QUIC): só as páginas que o curso abre.
ARGUMENTOS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
)

INSTALAR_CHROMIUM = ("o Chromium não foi encontrado: instale o pacote do sistema "
                     "(Debian/Ubuntu: sudo apt-get install chromium) ou aponte a variável "
                     "CHROMIUM para o executável.")
INSTALAR_PLAYWRIGHT = ("o Playwright para Python não está instalado neste Python: rode `make venv` "
                       "(ele está no requirements.txt) ou `pip install -r requirements.txt`.")


class NavegadorAusente(RuntimeError):
    """Falta o Chromium ou o Playwright; a mensagem diz, numa linha, o que instalar."""


def localizar_chromium(ambiente: dict[str, str] | None = None,
                       which: Callable[[str], str | None] = shutil.which) -> str | None:
    """O executável do Chromium: `CHROMIUM`, se aponta para um arquivo; senão o do PATH."""
    ambiente = os.environ if ambiente is None else ambiente
    explicito = ambiente.get(VARIAVEL, "").strip()
    if explicito:
        caminho = Path(explicito)
        return str(caminho) if caminho.is_file() and os.access(caminho, os.X_OK) else None
    for nome in NOMES:
        achado = which(nome)
        if achado:
            return achado
    return None


def playwright_instalado() -> bool:
    return importlib.util.find_spec("playwright") is not None


def verificar(ambiente: dict[str, str] | None = None,
              which: Callable[[str], str | None] = shutil.which) -> str:
    """O caminho do Chromium, se ele e o Playwright existem; senão `NavegadorAusente`."""
    if not playwright_instalado():
        raise NavegadorAusente(INSTALAR_PLAYWRIGHT)
    executavel = localizar_chromium(ambiente, which)
    if executavel is None:
        raise NavegadorAusente(INSTALAR_CHROMIUM)
    return executavel


@contextmanager
def abrir(executavel: str, largura: int = 1280, altura: int = 800,
          local: str = "pt-BR", fuso: str = "America/Sao_Paulo") -> Iterator[object]:
    """Um contexto do Chromium headless com perfil novo (pasta temporária, apagada no fim).

    O fuso e o idioma são fixos (os de uma turma no Brasil), e não os desta máquina.
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="curso-chromium-") as perfil, \
            sync_playwright() as playwright:
        contexto = playwright.chromium.launch_persistent_context(
            perfil, executable_path=executavel, headless=True, args=list(ARGUMENTOS),
            viewport={"width": largura, "height": altura}, locale=local, timezone_id=fuso,
            device_scale_factor=1)
        try:
            yield contexto
        finally:
            contexto.close()


def so_local(contexto, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> None:
    """Recusa no navegador todo pedido que não vá para esta máquina (o curso é offline)."""
    from urllib.parse import urlparse

    def rota(route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob", "about") or url.hostname in hosts:
            route.continue_()
        else:
            route.abort()

    contexto.route("**/*", rota)


# Espera o DOM parar de mudar por `quieto` ms (no máximo `limite` ms): a página de uma SPA
# terminou de desenhar o que os pedidos trouxeram. Devolve false se o limite chegou antes.
_JS_ESPERAR_QUIETO = """([quieto, limite]) => new Promise(resolve => {
  let ultimo;
  const fim = setTimeout(() => { obs.disconnect(); resolve(false); }, limite);
  const pronto = () => { obs.disconnect(); clearTimeout(fim); resolve(true); };
  const obs = new MutationObserver(() => { clearTimeout(ultimo); ultimo = setTimeout(pronto, quieto); });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  ultimo = setTimeout(pronto, quieto);
})"""


# Indicadores de "carregando" visíveis: os giratórios e os esqueletos dos componentes (a MLflow
# UI usa os do Ant Design com o prefixo du-bois-light-), e elementos marcados aria-busy.
_JS_SEM_CARREGANDO = """() => ![...document.querySelectorAll(
    '[class*="-spin-spinning"], [class*="-skeleton"], [aria-busy="true"]')].some(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })"""


def esperar_quieto(pagina, quieto_ms: int = 400, limite_ms: int = 20000) -> bool:
    """Espera a página terminar de carregar o que mostra; False se o limite chegou antes.

    Pronto é: as fontes carregadas, nenhum indicador de "carregando" na tela e o DOM
    `quieto_ms` sem mudanças. É o conteúdo que decide, não um tempo fixo.
    """
    pagina.evaluate("() => document.fonts.ready.then(() => true)")
    try:
        pagina.wait_for_function(_JS_SEM_CARREGANDO, timeout=limite_ms, polling=100)
    except Exception:  # noqa: BLE001 - o TimeoutError do Playwright; a foto decide se serve
        return False
    return bool(pagina.evaluate(_JS_ESPERAR_QUIETO, [quieto_ms, limite_ms]))
