"""As partes puras do `make capturas` (curso_mlops.capturas) e a recusa sem navegador."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curso_mlops import capturas, navegador

RAIZ = Path(__file__).resolve().parents[2]


def _notebooks(*numeros):
    return [Path(f"/curso/notebooks/{n}_aula.ipynb") for n in numeros]


# -- plano das etapas -----------------------------------------------------------------------------


def test_planejar_executa_cada_aula_uma_vez_e_fotografa_depois_da_sua():
    etapas = capturas.planejar(_notebooks(*[f"{i:02d}" for i in range(10)]))
    executadas = [[p.name[:2] for p in nbs] for nbs, _ in etapas]
    assert executadas == [["00"], ["01", "02", "03", "04"], ["05"], ["06", "07", "08", "09"]]
    fotos = [c.arquivo for _, cs in etapas for c in cs]
    assert sorted(fotos) == sorted(c.arquivo for c in capturas.CAPTURAS)
    for nbs, cs in etapas:
        assert all(c.depois_de == nbs[-1].name[:2] for c in cs)


def test_planejar_nao_executa_aulas_depois_da_ultima_foto():
    so_registro = [c for c in capturas.CAPTURAS if c.depois_de == "05"]
    etapas = capturas.planejar(_notebooks("00", "03", "05", "06", "09"), so_registro)
    assert [[p.name[:2] for p in nbs] for nbs, _ in etapas] == [["00", "03", "05"]]


def test_planejar_recusa_foto_de_aula_que_nao_existe():
    with pytest.raises(capturas.ErroDeCaptura, match="09"):
        capturas.planejar(_notebooks("00", "04", "05"))


def test_cada_captura_tem_foto_nome_estavel_e_descricao():
    nomes = [c.arquivo for c in capturas.CAPTURAS]
    assert len(nomes) == len(set(nomes))
    assert set(nomes) == set(capturas.FOTOS)
    for c in capturas.CAPTURAS:
        assert c.arquivo.startswith("ui_") and c.arquivo.endswith(".png")
        assert c.arquivo == c.arquivo.lower() and " " not in c.arquivo
        assert c.mostra and c.onde[:2].isdigit()


# -- comandos e ambiente --------------------------------------------------------------------------


def test_a_ui_e_o_mlflow_deste_python_so_em_127_0_0_1(tmp_path):
    cmd = capturas.comando_da_ui("sqlite:////tmp/x/mlflow.db", 5123, tmp_path / "mlartifacts")
    assert cmd[:4] == [sys.executable, "-m", "mlflow", "ui"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "5123"
    assert cmd[cmd.index("--backend-store-uri") + 1] == "sqlite:////tmp/x/mlflow.db"
    assert cmd[cmd.index("--default-artifact-root") + 1].startswith("file://")
    assert cmd[cmd.index("--workers") + 1] == "1"


def test_o_curso_roda_pelo_executor_no_store_temporario(tmp_path):
    uri = capturas.uri_do_store(tmp_path)
    assert uri == "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    cmd = capturas.comando_do_curso(uri, _notebooks("01", "02"), tmp_path / "saida")
    assert cmd[0] == sys.executable and cmd[1].endswith("run_course.py")
    assert cmd[cmd.index("--tracking-uri") + 1] == uri
    assert cmd[-2:] == ["01", "02"]
    assert "--fresh" not in cmd and "--in-place" not in cmd


def test_o_ambiente_do_usuario_nao_vaza_para_o_curso_das_fotos():
    base = {"PATH": "/bin", "MLFLOW_TRACKING_URI": "sqlite:////home/ana/mlflow.db", "ALUNO": "ana",
            "MLFLOW_TRACKING_PASSWORD": "segredo", "USER": "ana"}
    ambiente = capturas.ambiente_do_curso(base)
    assert "MLFLOW_TRACKING_URI" not in ambiente and "ALUNO" not in ambiente
    assert "MLFLOW_TRACKING_PASSWORD" not in ambiente
    assert ambiente["USER"] == ambiente["LOGNAME"] == capturas.USUARIO_DAS_FOTOS
    assert ambiente["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert ambiente["PATH"] == "/bin"
    assert base["ALUNO"] == "ana"  # a cópia, não o original


# -- PNG pequeno ----------------------------------------------------------------------------------


def _png_de_tela(largura=1280, altura=800, ruido=False) -> bytes:
    """Uma "tela" sintética: fundo claro, faixas de texto escuro e, se pedido, ruído colorido."""
    import numpy as np
    from PIL import Image

    gerador = np.random.default_rng(7)
    pixels = np.full((altura, largura, 3), 250, dtype=np.uint8)
    for y in range(40, altura, 32):
        pixels[y:y + 10, 40:largura - 200:3] = (30, 30, 30)
        pixels[y:y + 10, largura - 180:largura - 60] = (34, 114, 180)
    if ruido:
        pixels = gerador.integers(0, 256, size=(altura, largura, 3), dtype=np.uint8)
    saida = io.BytesIO()
    Image.fromarray(pixels).save(saida, format="PNG")
    return saida.getvalue()


def test_otimizar_png_usa_paleta_e_cabe_no_limite():
    from PIL import Image

    original = _png_de_tela()
    menor = capturas.otimizar_png(original)
    assert len(menor) <= capturas.LIMITE_BYTES
    imagem = Image.open(io.BytesIO(menor))
    assert imagem.format == "PNG" and imagem.mode == "P"
    assert imagem.size == (1280, 800)  # coube sem reduzir


def test_otimizar_png_reduz_a_imagem_quando_a_paleta_nao_basta():
    from PIL import Image

    # Ruído não comprime: em 400×300 nem 16 cores cabem em 20 KiB (~60 KiB); na metade, 16 cabem
    # (~15 KiB). Uma imagem maior só deixaria o teste mais lento (cada tentativa é um PNG inteiro).
    original = _png_de_tela(400, 300, ruido=True)
    menor = capturas.otimizar_png(original, limite=20 * 1024)
    assert len(menor) <= 20 * 1024
    assert Image.open(io.BytesIO(menor)).width < 400


def test_otimizar_png_desiste_com_mensagem_quando_nada_cabe():
    with pytest.raises(capturas.ErroDeCaptura, match="bytes"):
        capturas.otimizar_png(_png_de_tela(400, 300, ruido=True), limite=100)


# -- troca das imagens ----------------------------------------------------------------------------


def test_substituir_imagens_so_troca_quando_todas_existem(tmp_path):
    origem, destino = tmp_path / "fotos", tmp_path / "imagens"
    origem.mkdir()
    destino.mkdir()
    (destino / "a.png").write_bytes(b"velha-a")
    (destino / "outra.png").write_bytes(b"de outra pessoa")
    (origem / "a.png").write_bytes(b"nova-a")
    with pytest.raises(capturas.ErroDeCaptura, match="b.png"):
        capturas.substituir_imagens(origem, destino, ["a.png", "b.png"])
    assert (destino / "a.png").read_bytes() == b"velha-a"
    assert not (destino / "b.png").exists()

    (origem / "b.png").write_bytes(b"nova-b")
    feitas = capturas.substituir_imagens(origem, destino, ["a.png", "b.png"])
    assert [p.name for p in feitas] == ["a.png", "b.png"]
    assert (destino / "a.png").read_bytes() == b"nova-a"
    assert (destino / "b.png").read_bytes() == b"nova-b"
    assert (destino / "outra.png").read_bytes() == b"de outra pessoa"
    assert sorted(p.name for p in destino.iterdir()) == ["a.png", "b.png", "outra.png"]


def test_store_pronto_precisa_da_marca_das_capturas(tmp_path, monkeypatch):
    monkeypatch.setattr(navegador, "verificar", lambda *a, **k: "/usr/bin/chromium")
    (tmp_path / "mlflow.db").write_bytes(b"")  # parece um store, mas não foi o make capturas
    with pytest.raises(capturas.ErroDeCaptura, match="manter-store"):
        capturas.executar(tmp_path / "imagens", store_pronto=tmp_path)
    assert not (tmp_path / "imagens").exists()


# -- sem Chromium ou sem Playwright ---------------------------------------------------------------


def test_localizar_chromium_pelo_path_ou_pela_variavel(tmp_path):
    assert navegador.localizar_chromium({}, which=lambda nome: None) is None
    achado = navegador.localizar_chromium({}, which=lambda nome: f"/opt/{nome}" if nome == "chromium-browser" else None)
    assert achado == "/opt/chromium-browser"
    executavel = tmp_path / "meu-chromium"
    executavel.write_text("#!/bin/sh\n")
    executavel.chmod(0o755)
    assert navegador.localizar_chromium({"CHROMIUM": str(executavel)}, which=lambda n: None) == str(executavel)
    # Uma variável que aponta para o nada não cai no PATH escondido: o aluno pediu aquele.
    assert navegador.localizar_chromium({"CHROMIUM": str(tmp_path / "nada")},
                                        which=lambda n: "/usr/bin/chromium") is None


def test_sem_chromium_executar_recusa_antes_de_rodar_o_curso(tmp_path, monkeypatch):
    monkeypatch.setattr(navegador, "localizar_chromium", lambda *a, **k: None)
    rodou = []
    monkeypatch.setattr(capturas, "executar_curso", lambda *a, **k: rodou.append(a))
    with pytest.raises(navegador.NavegadorAusente, match="apt-get install chromium"):
        capturas.executar(tmp_path / "imagens")
    assert rodou == [] and not (tmp_path / "imagens").exists()


def test_sem_playwright_a_mensagem_diz_o_que_instalar(monkeypatch):
    monkeypatch.setattr(navegador, "playwright_instalado", lambda: False)
    with pytest.raises(navegador.NavegadorAusente, match="Playwright") as erro:
        navegador.verificar({}, which=lambda n: "/usr/bin/chromium")
    assert "requirements.txt" in str(erro.value)


@pytest.mark.parametrize("falta", ["chromium", "playwright"])
def test_o_script_sem_navegador_diz_numa_linha_o_que_instalar_e_nao_toca_nas_imagens(
        falta, tmp_path, monkeypatch, capsys):
    from scripts import capturas as script

    if falta == "chromium":
        monkeypatch.setattr(navegador, "localizar_chromium", lambda *a, **k: None)
    else:
        monkeypatch.setattr(navegador, "playwright_instalado", lambda: False)
    destino = tmp_path / "imagens"
    destino.mkdir()
    (destino / "ui_runs_tempo_entrega.png").write_bytes(b"guardada")
    antes = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in destino.iterdir()}
    codigo = script.main(["--destino", str(destino)])
    saida = capsys.readouterr()
    assert codigo != 0
    linhas = saida.err.strip().splitlines()
    assert len(linhas) == 1, saida.err
    assert linhas[0].startswith("erro: ")
    assert ("apt-get install chromium" if falta == "chromium" else "requirements.txt") in linhas[0]
    assert "não foram tocadas" in linhas[0]
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in destino.iterdir()} == antes


def test_o_script_de_verdade_sem_chromium_no_path(tmp_path):
    """Sem monkeypatch: um PATH só com o Python do curso, sem CHROMIUM."""
    ambiente = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    ambiente["PATH"] = str(Path(sys.executable).parent)
    destino = tmp_path / "imagens"
    resultado = subprocess.run([sys.executable, str(RAIZ / "scripts" / "capturas.py"),
                                "--destino", str(destino)], env=ambiente, capture_output=True,
                               text=True, timeout=120)
    assert resultado.returncode == 2, resultado.stderr
    assert resultado.stderr.count("\n") == 1 and "chromium" in resultado.stderr.lower()
    assert resultado.stdout == ""
    assert not destino.exists()
