"""As imagens da MLflow UI que os notebooks mostram, feitas pelo próprio kit (`make capturas`).

O roteiro (encanamento, não é aula):

1. cria um store novo e temporário (nunca o do usuário) e executa o curso nele, em etapas,
   com o executor (`scripts/run_course.py --tracking-uri sqlite:///...`);
2. sobe a `mlflow ui` sobre esse store, em 127.0.0.1 numa porta livre (pelo `processos`);
3. depois de cada etapa, abre no Chromium headless (Playwright) as telas que mostram o que
   aquela etapa deixou no store e tira as fotos: a tabela de runs, a página de uma run, a
   comparação dos candidatos, o modelo registrado e as versões, os gráficos do monitoramento;
4. reduz cada PNG a uma paleta (Pillow), até caber em `LIMITE_BYTES`;
5. só no fim, com todas as fotos prontas, substitui as imagens de `notebooks/imagens/`.

As etapas existem porque cada aula tem o seu momento: a página do modelo registrado da aula 05
mostra o registro como ele fica ao fim da 05, e a da aula 08 mostra as versões depois do
retreino e da depreciação.

Nada desta máquina nas fotos: as runs são gravadas pelo usuário `aluno`, o caminho `file://`
dos artefatos fica em branco, o fuso e o idioma do navegador são fixos, e o navegador só fala
com 127.0.0.1 (a telemetria da UI fica desligada).

Uso: `make capturas`; `--manter-store` guarda o store temporário e `--store-pronto PASTA`
fotografa de novo a partir dele, sem executar o curso (todas as fotos saem do estado final).

As partes puras (plano das etapas, otimização do PNG, troca das imagens, linhas de comando)
têm testes em `tests/unidade/test_capturas.py`.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import navegador, processos
from . import notebooks as nbs
from .store import raiz_do_repositorio

LIMITE_BYTES = 150 * 1024
LARGURA = 1280
ALTURA = 800
MARCA_DO_STORE = ".store-das-capturas"  # o store temporário que este módulo criou


class ErroDeCaptura(RuntimeError):
    """Uma etapa das capturas falhou; a mensagem diz qual e por quê."""


def pasta_imagens() -> Path:
    return raiz_do_repositorio() / "notebooks" / "imagens"


# -- o que se fotografa, e depois de qual aula ---------------------------------------------------


@dataclass(frozen=True)
class Captura:
    arquivo: str      # nome do PNG em notebooks/imagens/
    depois_de: str    # número da última aula executada antes da foto ("00", "04"...)
    mostra: str       # o que a imagem mostra (vira o texto alternativo sugerido)
    onde: str         # o notebook e a seção onde ela entra


CAPTURAS: tuple[Captura, ...] = (
    Captura("ui_experimento_tempo_entrega.png", "00",
            "o experimento tempo-entrega recém-criado: a descrição (o combinado com o negócio) "
            "e a tabela de runs ainda vazia",
            "00 · seção 13, Ver o experimento na interface do MLflow"),
    Captura("ui_runs_tempo_entrega.png", "04",
            "a tabela de runs do experimento tempo-entrega: a preparação dos dados, os cinco "
            "candidatos, a run do autolog e a avaliação",
            "03 · seção 6, Ver tudo na MLflow UI (Tabela de runs); README"),
    Captura("ui_run_ols_distancia.png", "04",
            "a página da run ols-distancia, aba Overview: métricas, parâmetros, tags, datasets "
            "e o modelo registrado",
            "03 · seção 6 (Página da run); 04, onde a tag candidato_producao aparece na UI"),
    Captura("ui_run_ols_distancia_artefatos.png", "04",
            "a aba Artifacts da run ols-distancia com o gráfico residuos.png aberto",
            "03 · seção 6 (Aba Artifacts)"),
    Captura("ui_comparar_candidatos.png", "04",
            "a comparação lado a lado dos cinco candidatos da aula 03 (tag etapa = 'treino'): "
            "fórmula e métricas de cada um",
            "04 · a comparação dos candidatos (search_runs e a tabela de comparação)"),
    Captura("ui_modelo_tempo_entrega.png", "05",
            "o modelo registrado tempo_entrega ao fim da aula 05: as versões, as tags e o alias "
            "@champion",
            "05 · seção 8, Ver o registro na interface do MLflow (item 1)"),
    Captura("ui_versao_champion.png", "05",
            "a página da versão com o alias champion: descrição, tags e a run de origem",
            "05 · seção 8 (item 2)"),
    Captura("ui_monitoramento_metricas.png", "09",
            "a run monitoramento-semanal, aba Model metrics: mae e psi_distancia por semana "
            "(step), com o salto da semana 5",
            "07 · seção 12, Ver a degradação na MLflow UI"),
    Captura("ui_modelo_depois_do_retreino.png", "09",
            "as versões de tempo_entrega depois do retreino: @champion na versão nova, "
            "@anterior na depreciada, e as tags de cada uma",
            "08 · o fim da aula, onde o texto manda abrir Models → tempo_entrega"),
    Captura("ui_versao_depreciada.png", "09",
            "a página da versão depreciada: a descrição DEPRECIADA e as tags status, "
            "motivo_depreciacao e substituida_por",
            "08 · o fim da aula (a versão depreciada)"),
)


def _numero(caminho: Path | str) -> str:
    return Path(caminho).name[:2]


def planejar(notebooks: Sequence[Path], capturas: Sequence[Captura] = CAPTURAS
             ) -> list[tuple[list[Path], list[Captura]]]:
    """Divide o curso em etapas: (notebooks a executar, fotos a tirar logo depois).

    Cada etapa executa os notebooks até o `depois_de` das suas fotos. Os notebooks que sobram
    depois da última foto não são executados. Uma foto que pede uma aula que não existe é
    um erro (o plano ficaria diferente do que as imagens dizem mostrar).
    """
    numeros = {_numero(p) for p in notebooks}
    faltam = sorted({c.depois_de for c in capturas} - numeros)
    if faltam:
        raise ErroDeCaptura(f"as capturas pedem aulas que não existem: {', '.join(faltam)}")
    etapas: list[tuple[list[Path], list[Captura]]] = []
    feitos = ""
    for limite in sorted({c.depois_de for c in capturas}):
        executar = [p for p in sorted(notebooks) if feitos < _numero(p) <= limite]
        etapas.append((executar, [c for c in capturas if c.depois_de == limite]))
        feitos = limite
    return etapas


# -- comandos -------------------------------------------------------------------------------------

# Variáveis que não podem vazar do terminal do usuário para o curso das capturas: o store, o
# registro e o espaço do aluno (as imagens mostram os nomes da aula) e credenciais da turma.
VARIAVEIS_REMOVIDAS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "ALUNO",
                       "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                       "MLFLOW_TRACKING_TOKEN")


def ambiente_limpo(base: dict[str, str] | None = None) -> dict[str, str]:
    ambiente = dict(os.environ if base is None else base)
    for nome in VARIAVEIS_REMOVIDAS:
        ambiente.pop(nome, None)
    # A UI não manda telemetria (não haveria rede, e a foto não deve depender disso).
    ambiente["MLFLOW_DISABLE_TELEMETRY"] = "true"
    ambiente["DO_NOT_TRACK"] = "true"
    # Os "jobs" de IA generativa do servidor custariam 8 processos e o curso não os usa.
    ambiente["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return ambiente


# O MLflow grava o usuário do sistema em cada run (a UI o mostra em "Created by"); nas fotos,
# é um aluno, e não a conta da máquina que as tirou.
USUARIO_DAS_FOTOS = "aluno"


def ambiente_do_curso(base: dict[str, str] | None = None) -> dict[str, str]:
    ambiente = ambiente_limpo(base)
    for nome in ("LOGNAME", "USER", "USERNAME"):
        ambiente[nome] = USUARIO_DAS_FOTOS
    return ambiente


def uri_do_store(pasta: Path) -> str:
    return "sqlite:///" + (Path(pasta).absolute() / "mlflow.db").as_posix()


def comando_do_curso(uri: str, notebooks: Iterable[Path], saida: Path) -> list[str]:
    executor = raiz_do_repositorio() / "scripts" / "run_course.py"
    return [sys.executable, str(executor), "--tracking-uri", uri, "--saida", str(saida),
            *[_numero(p) for p in notebooks]]


def comando_da_ui(uri: str, porta: int, artefatos: Path) -> list[str]:
    return [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri,
            "--default-artifact-root", Path(artefatos).absolute().as_uri(),
            "--host", processos.HOST, "--port", str(porta), "--workers", "1"]


# -- PNG pequeno ----------------------------------------------------------------------------------


def otimizar_png(dados: bytes, limite: int = LIMITE_BYTES) -> bytes:
    """O PNG reduzido a uma paleta (256 cores ou menos, sem pontilhado), até caber em `limite`.

    Uma tela da UI tem poucas cores (texto, fundo, azul dos links), e a paleta mantém o texto
    nítido. Se nem 16 cores couberem, a imagem é reduzida à metade e o processo recomeça.
    """
    from PIL import Image

    imagem = Image.open(io.BytesIO(dados)).convert("RGB")
    while True:
        for cores in (256, 128, 64, 32, 16):
            paleta = imagem.quantize(colors=cores, method=Image.Quantize.MEDIANCUT,
                                     dither=Image.Dither.NONE)
            saida = io.BytesIO()
            paleta.save(saida, format="PNG", optimize=True)
            if saida.tell() <= limite:
                return saida.getvalue()
        if min(imagem.size) < 200:
            raise ErroDeCaptura(f"não foi possível deixar a imagem com até {limite} bytes")
        imagem = imagem.resize((imagem.width // 2, imagem.height // 2), Image.Resampling.LANCZOS)


def substituir_imagens(origem: Path, destino: Path, nomes: Sequence[str]) -> list[Path]:
    """Copia as imagens `nomes` de `origem` para `destino`, só se todas existem em `origem`.

    Primeiro copia cada uma para um temporário em `destino` (mesmo disco), depois troca todas
    com `os.replace`: um erro no meio da cópia não deixa imagens de duas execuções misturadas.
    Imagens de `destino` fora de `nomes` não são tocadas.
    """
    origem, destino = Path(origem), Path(destino)
    faltam = [n for n in nomes if not (origem / n).is_file()]
    if faltam:
        raise ErroDeCaptura(f"capturas que não foram feitas: {', '.join(faltam)}")
    destino.mkdir(parents=True, exist_ok=True)
    temporarios = []
    try:
        for nome in nomes:
            temporario = destino / f".{nome}.tmp"
            shutil.copyfile(origem / nome, temporario)
            temporarios.append((temporario, destino / nome))
        for temporario, final in temporarios:
            os.replace(temporario, final)
    finally:
        for temporario, _ in temporarios:
            temporario.unlink(missing_ok=True)
    return [destino / n for n in nomes]


# -- o curso e a UI -------------------------------------------------------------------------------


def executar_curso(uri: str, notebooks: Sequence[Path], saida: Path) -> None:
    if not notebooks:
        return
    nomes = " ".join(_numero(p) for p in notebooks)
    print(f"capturas: executando as aulas {nomes} no store temporário", flush=True)
    resultado = subprocess.run(comando_do_curso(uri, notebooks, saida), env=ambiente_do_curso(),
                               cwd=raiz_do_repositorio(), stdin=subprocess.DEVNULL)
    if resultado.returncode != 0:
        raise ErroDeCaptura(f"o curso falhou (aulas {nomes}); veja a mensagem do executor acima")


class InterfaceDoMlflow:
    """Uma `mlflow ui` sobre `uri`, em 127.0.0.1 numa porta livre, parada ao sair do `with`."""

    def __init__(self, uri: str, artefatos: Path, log: Path, prazo: float = 120.0):
        self.uri, self.artefatos, self.log, self.prazo = uri, Path(artefatos), Path(log), prazo
        self.porta: int | None = None
        self.processo: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{processos.HOST}:{self.porta}"

    def _saudavel(self) -> bool:
        with urllib.request.urlopen(self.url + "/health", timeout=2) as resposta:
            return resposta.status == 200

    def __enter__(self) -> "InterfaceDoMlflow":
        self.porta = processos.porta_livre()
        self.processo = processos.iniciar(comando_da_ui(self.uri, self.porta, self.artefatos),
                                          log=self.log, env=ambiente_limpo())
        try:
            segundos = processos.esperar(self._saudavel, self.processo, prazo=self.prazo,
                                         intervalo=0.25)
        except (processos.ProcessoMorreu, processos.PrazoEsgotado) as erro:
            self.__exit__(None, None, None)
            cauda = self.log.read_text(errors="replace").strip().splitlines()[-5:]
            raise ErroDeCaptura(f"a MLflow UI não subiu ({erro}). Fim do log: "
                                + " | ".join(cauda)) from None
        print(f"capturas: MLflow UI em {self.url} ({segundos:.1f} s para subir)", flush=True)
        return self

    def __exit__(self, *_):
        if self.processo is not None:
            processos.parar(self.processo.pid, prazo=10, processo=self.processo)
            self.processo = None


# -- as fotos -------------------------------------------------------------------------------------


@dataclass
class Sessao:
    """O navegador aberto na UI, o cliente do MLflow e a pasta onde as fotos ficam."""

    pagina: object
    url: str
    pasta: Path
    cliente: object = field(default=None)
    tempos: dict[str, float] = field(default_factory=dict)

    # navegação -----------------------------------------------------------------------------
    def abrir(self, rota: str, espera: str | None = None, altura: int = ALTURA) -> None:
        """Vai para `#/rota` e espera um texto com `espera` aparecer e a página parar de mudar."""
        self.pagina.set_viewport_size({"width": LARGURA, "height": altura})
        self.pagina.goto(f"{self.url}/#/{rota.lstrip('/')}")
        if espera:
            self.texto(espera, exato=False).wait_for(timeout=30000)
        navegador.esperar_quieto(self.pagina)

    def texto(self, texto: str, exato: bool = True):
        return self.pagina.get_by_text(texto, exact=exato).first

    def clicar_se_houver(self, localizador) -> bool:
        if localizador.count() and localizador.first.is_visible():
            localizador.first.click()
            navegador.esperar_quieto(self.pagina)
            return True
        return False

    def preparar(self) -> None:
        """A UI como um aluno de treino de modelos a deixa: modo "Model training", sem assistente.

        A MLflow UI 3.17 abre no modo GenAI e com o painel do *MLflow Assistant* aberto; o
        aluno clica em "Model training" e fecha o painel (a UI lembra as duas escolhas).
        """
        self.pagina.goto(self.url + "/#/")
        self.texto("Model training").wait_for(timeout=60000)
        self.texto("Model training").click()
        navegador.esperar_quieto(self.pagina)
        self.clicar_se_houver(self.pagina.get_by_role("button", name="Close", exact=True))

    def ocultar_menu(self, ocultar: bool) -> None:
        """Recolhe (ou abre) o menu lateral, para a tabela ganhar largura."""
        recolhido = self.pagina.get_by_text("Model registry", exact=True).count() == 0 or \
            not self.pagina.get_by_text("Model registry", exact=True).first.is_visible()
        if recolhido != ocultar:
            self.pagina.get_by_role("button", name="Toggle sidebar").click()
            navegador.esperar_quieto(self.pagina)

    # foto ----------------------------------------------------------------------------------
    def caixa(self, *localizadores, margem: int = 12, direita: int | None = None,
              vertical: int | None = None) -> dict:
        """A menor caixa que contém todos os `localizadores`, com `margem` px em volta.

        `direita` e `vertical` trocam a margem da direita e a de cima e de baixo.
        """
        caixas = [l.bounding_box() for l in localizadores]
        if any(c is None for c in caixas):
            raise ErroDeCaptura("a área a fotografar não está na tela")
        direita = margem if direita is None else direita
        vertical = margem if vertical is None else vertical
        x0 = min(c["x"] for c in caixas) - margem
        y0 = min(c["y"] for c in caixas) - vertical
        x1 = max(c["x"] + c["width"] for c in caixas) + direita
        y1 = max(c["y"] + c["height"] for c in caixas) + vertical
        return {"x": max(0, x0), "y": max(0, y0), "width": x1 - max(0, x0), "height": y1 - max(0, y0)}

    def fotografar(self, arquivo: str, alvo=None, ate=None, antes_de=None, caixa: dict | None = None,
                   esconder: Sequence = ()) -> Path:
        """Salva a área de `alvo` (o painel principal, por padrão) ou a `caixa` dada.

        `ate`: a foto termina logo depois deste elemento; `antes_de`: logo antes dele.
        `esconder`: elementos pintados com a cor do fundo (ex.: um caminho desta máquina).
        """
        if caixa is None:
            alvo = self.pagina.locator("main").first if alvo is None else alvo
            caixa = alvo.bounding_box()
            if caixa is None:
                raise ErroDeCaptura(f"{arquivo}: a área a fotografar não está na tela")
            for limite, depois in ((ate, True), (antes_de, False)):
                fim = limite.bounding_box() if limite is not None and limite.count() else None
                if fim is not None:
                    base = fim["y"] + (fim["height"] + 12 if depois else -4)
                    caixa["height"] = max(50, min(caixa["height"], base - caixa["y"]))
        tela = self.pagina.viewport_size
        caixa = dict(caixa)
        caixa["width"] = min(caixa["width"], tela["width"] - caixa["x"])
        caixa["height"] = min(caixa["height"], tela["height"] - caixa["y"])
        dados = self.pagina.screenshot(clip=caixa, animations="disabled", caret="hide",
                                       mask=list(esconder), mask_color="#ffffff")
        destino = self.pasta / arquivo
        destino.write_bytes(otimizar_png(dados))
        print(f"capturas: {arquivo} ({destino.stat().st_size // 1024} KB)", flush=True)
        return destino

    def rolar_tabela_ate(self, texto: str, linhas_antes: int = 0) -> None:
        """Rola a tabela (a área com barra de rolagem própria) que contém `texto` até ele."""
        self.texto(texto).evaluate("""(e, antes) => {
          let p = e.parentElement;
          while (p && !(p.scrollHeight > p.clientHeight + 2 &&
                        /auto|scroll/.test(getComputedStyle(p).overflowY))) p = p.parentElement;
          if (!p) return false;
          let linha = e.closest('[role=row], tr') || e;
          for (let i = 0; i < antes && linha.previousElementSibling; i++) linha = linha.previousElementSibling;
          p.scrollTop += linha.getBoundingClientRect().top - p.getBoundingClientRect().top;
          return true;
        }""", linhas_antes)
        navegador.esperar_quieto(self.pagina)

    # consultas ao store (pela própria UI, que é um servidor de tracking) ---------------------
    def experimento(self, nome: str):
        experimento = self.cliente.get_experiment_by_name(nome)
        if experimento is None:
            raise ErroDeCaptura(f"o experimento {nome!r} não está no store")
        return experimento

    def run(self, experimento: str, nome: str):
        exp = self.experimento(experimento)
        runs = self.cliente.search_runs([exp.experiment_id], f"attributes.run_name = '{nome}'",
                                        order_by=["attributes.start_time DESC"], max_results=1)
        if not runs:
            raise ErroDeCaptura(f"a run {nome!r} não está no experimento {experimento!r}")
        return runs[0]


def foto_experimento(s: Sessao, c: Captura) -> None:
    exp = s.experimento("tempo-entrega")
    s.abrir(f"experiments/{exp.experiment_id}/runs", espera="RapidoJá")
    s.ocultar_menu(False)
    # A descrição (o combinado com o negócio) aberta por inteiro, como no clique na seta.
    caixa = s.texto("RapidoJá", exato=False).locator("xpath=ancestor::div[.//button][1]")
    s.clicar_se_houver(caixa.get_by_role("button").last)
    s.fotografar(c.arquivo, alvo=s.pagina.locator("body"))


def foto_runs(s: Sessao, c: Captura) -> None:
    exp = s.experimento("tempo-entrega")
    s.abrir(f"experiments/{exp.experiment_id}/runs", espera="ols-distancia")
    s.ocultar_menu(False)
    s.fotografar(c.arquivo, alvo=s.pagina.locator("body"))


def foto_run(s: Sessao, c: Captura) -> None:
    run = s.run("tempo-entrega", "ols-distancia")
    s.abrir(f"experiments/{run.info.experiment_id}/runs/{run.info.run_id}",
            espera="Parameters (", altura=1000)
    s.fotografar(c.arquivo)


def foto_artefatos(s: Sessao, c: Captura) -> None:
    run = s.run("tempo-entrega", "ols-distancia")
    s.abrir(f"experiments/{run.info.experiment_id}/runs/{run.info.run_id}/artifacts",
            espera="residuos.png")
    s.texto("residuos.png").click()
    s.pagina.locator("main img").first.wait_for(timeout=30000)
    navegador.esperar_quieto(s.pagina)
    # O caminho completo do artefato (file:///tmp/...) é desta máquina: fica em branco.
    caminho = s.pagina.get_by_text("file://", exact=False)
    s.fotografar(c.arquivo, esconder=[caminho])


def foto_comparar(s: Sessao, c: Captura) -> None:
    """Como o aluno: filtra a tabela pela tag, marca todas as runs e clica em Compare."""
    exp = s.experimento("tempo-entrega")
    s.abrir(f"experiments/{exp.experiment_id}/runs", espera="ols-distancia", altura=1300)
    busca = s.pagina.get_by_placeholder("metrics.rmse < 1", exact=False).first
    busca.fill("tags.etapa = 'treino'")
    busca.press("Enter")
    s.texto("5 matching runs", exato=False).wait_for(timeout=30000)
    navegador.esperar_quieto(s.pagina)
    s.pagina.get_by_role("checkbox", name="Select all runs").check()
    s.pagina.get_by_role("button", name="Compare", exact=True).click()
    s.texto("Comparing 5 Runs", exato=False).wait_for(timeout=30000)
    navegador.esperar_quieto(s.pagina)
    # Os gráficos do topo ficam para quem abrir a UI; a foto é a tabela de parâmetros e métricas.
    s.texto("Visualizations").click()
    navegador.esperar_quieto(s.pagina)
    # Nos parâmetros, só o que muda entre os candidatos: a fórmula.
    s.texto("Show diff only").click()
    navegador.esperar_quieto(s.pagina)
    s.ocultar_menu(True)
    s.fotografar(c.arquivo, antes_de=s.pagina.get_by_text("Artifacts", exact=True).last)
    s.ocultar_menu(False)


def _versao_por_alias(s: Sessao, modelo: str, alias: str):
    try:
        return s.cliente.get_model_version_by_alias(modelo, alias)
    except Exception as erro:  # noqa: BLE001 - a mensagem do MLflow vai junto
        raise ErroDeCaptura(f"{modelo}@{alias} não está no store: {erro}") from None


def foto_modelo(s: Sessao, c: Captura) -> None:
    """A página do modelo registrado do topo: descrição, tags e a primeira versão."""
    s.abrir("models/tempo_entrega", espera="Versions", altura=1300)
    s.fotografar(c.arquivo, ate=s.pagina.get_by_text("/ page").last)


def foto_versoes(s: Sessao, c: Captura) -> None:
    """A lista de versões do modelo registrado, com os aliases (o título "Versions" no alto)."""
    s.abrir("models/tempo_entrega", espera="Versions", altura=1000)
    s.texto("Versions").evaluate("e => e.scrollIntoView({block: 'start'})")
    navegador.esperar_quieto(s.pagina)
    s.fotografar(c.arquivo)


def foto_versao_champion(s: Sessao, c: Captura) -> None:
    versao = _versao_por_alias(s, "tempo_entrega", "champion")
    s.abrir(f"models/tempo_entrega/versions/{versao.version}", espera=f"Version {versao.version}",
            altura=1000)
    s.fotografar(c.arquivo, antes_de=s.texto("Schema"))


def foto_monitoramento(s: Sessao, c: Captura) -> None:
    run = s.run("tempo-entrega-monitoramento", "monitoramento-semanal")
    s.abrir(f"experiments/{run.info.experiment_id}/runs/{run.info.run_id}/model-metrics")
    busca = s.pagina.get_by_placeholder("Search metric charts")
    busca.wait_for()
    busca.fill("^(mae|psi_distancia)$")
    s.texto("psi_distancia").wait_for()
    s.texto("mae").wait_for()
    navegador.esperar_quieto(s.pagina)
    legenda = s.texto("(psi_distancia)", exato=False)
    # Só os dois gráficos (com o título e a legenda de cada um), do jeito que a busca os deixou.
    s.fotografar(c.arquivo, caixa=s.caixa(s.texto("mae"), legenda, margem=36, direita=90,
                                                    vertical=24))


def foto_versao_depreciada(s: Sessao, c: Captura) -> None:
    versoes = s.cliente.search_model_versions("name = 'tempo_entrega'")
    depreciadas = [v for v in versoes if (v.tags or {}).get("status") == "deprecated"]
    if not depreciadas:
        raise ErroDeCaptura("nenhuma versão de tempo_entrega tem a tag status = deprecated")
    versao = max(depreciadas, key=lambda v: int(v.version))
    s.abrir(f"models/tempo_entrega/versions/{versao.version}", espera=f"Version {versao.version}",
            altura=1000)
    # A tabela de tags mostra cinco linhas por vez, em ordem alfabética: rola até `status`.
    s.rolar_tabela_ate("status", linhas_antes=1)
    s.fotografar(c.arquivo, antes_de=s.texto("Schema"))


FOTOS: dict[str, Callable[[Sessao, Captura], None]] = {
    "ui_experimento_tempo_entrega.png": foto_experimento,
    "ui_runs_tempo_entrega.png": foto_runs,
    "ui_run_ols_distancia.png": foto_run,
    "ui_run_ols_distancia_artefatos.png": foto_artefatos,
    "ui_comparar_candidatos.png": foto_comparar,
    "ui_modelo_tempo_entrega.png": foto_modelo,
    "ui_versao_champion.png": foto_versao_champion,
    "ui_monitoramento_metricas.png": foto_monitoramento,
    "ui_modelo_depois_do_retreino.png": foto_versoes,
    "ui_versao_depreciada.png": foto_versao_depreciada,
}


# -- o roteiro inteiro ----------------------------------------------------------------------------


def executar(destino: Path | None = None, manter_store: bool = False,
             store_pronto: Path | None = None, so: Sequence[str] = (),
             rascunhos: Path | None = None) -> list[Path]:
    """Executa o curso num store novo, fotografa a UI e troca as imagens de `destino`.

    `store_pronto`: uma pasta deixada por uma execução anterior com `manter_store` (tem a
    marca `MARCA_DO_STORE`); o curso não é executado de novo e todas as fotos saem do estado
    final. `so`: só estes arquivos (para ajustar uma foto); os outros não são tocados.
    `rascunhos`: pasta onde cada foto fica assim que é tirada, mesmo que outra falhe depois.
    """
    executavel = navegador.verificar()  # antes de gastar dois minutos executando o curso
    destino = pasta_imagens() if destino is None else Path(destino)
    capturas = [c for c in CAPTURAS if not so or c.arquivo in so]
    if so and len(capturas) != len(set(so)):
        desconhecidas = sorted(set(so) - {c.arquivo for c in CAPTURAS})
        raise ErroDeCaptura(f"captura desconhecida: {', '.join(desconhecidas)}")
    if store_pronto is not None:
        store_pronto = Path(store_pronto)
        if not (store_pronto / MARCA_DO_STORE).is_file():
            raise ErroDeCaptura(f"{store_pronto} não é um store deixado por `capturas --manter-store`")
        etapas = [([], capturas)]
        pasta_store = store_pronto
    else:
        etapas = planejar(nbs.listar(), capturas)
        pasta_store = Path(tempfile.mkdtemp(prefix="curso-capturas-store-"))
        (pasta_store / MARCA_DO_STORE).write_text("store temporário do make capturas\n")
    uri = uri_do_store(pasta_store)
    inicio = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="curso-capturas-") as temporaria:
            temporaria = Path(temporaria)
            fotos = temporaria / "fotos" if rascunhos is None else Path(rascunhos)
            fotos.mkdir(parents=True, exist_ok=True)
            primeiros, _ = etapas[0]
            executar_curso(uri, primeiros, temporaria / "executados")
            from mlflow.tracking import MlflowClient

            with InterfaceDoMlflow(uri, pasta_store / "mlartifacts", temporaria / "mlflow-ui.log") as ui, \
                    navegador.abrir(executavel, LARGURA, ALTURA) as contexto:
                navegador.so_local(contexto)
                pagina = contexto.pages[0] if contexto.pages else contexto.new_page()
                pagina.set_default_timeout(30000)
                sessao = Sessao(pagina, ui.url, fotos,
                                MlflowClient(tracking_uri=ui.url, registry_uri=ui.url))
                sessao.preparar()
                for indice, (notebooks, da_etapa) in enumerate(etapas):
                    if indice > 0:
                        executar_curso(uri, notebooks, temporaria / "executados")
                    for captura in da_etapa:
                        try:
                            FOTOS[captura.arquivo](sessao, captura)
                        except ErroDeCaptura:
                            raise
                        except Exception as erro:  # Playwright: tempo esgotado, seletor sumiu
                            primeira = " ".join(str(erro).split())[:300]
                            raise ErroDeCaptura(f"{captura.arquivo}: {type(erro).__name__}: "
                                                f"{primeira}") from None
            feitas = substituir_imagens(fotos, destino, [c.arquivo for c in capturas])
    finally:
        if store_pronto is None and not manter_store:
            shutil.rmtree(pasta_store, ignore_errors=True)
        elif store_pronto is None:
            print(f"capturas: o store temporário ficou em {pasta_store} "
                  "(use --store-pronto para fotografar de novo sem executar o curso)", flush=True)
    print(f"capturas: {len(feitas)} imagens em {destino} ({time.monotonic() - inicio:.0f} s)")
    return feitas
