"""As imagens que os notebooks e o README mostram: locais, PNG e pequenas (o curso é offline).

Confere cada referência em markdown (`![texto](caminho)`) e em HTML (`<img src=...>`) das
células markdown dos notebooks e do README.md: o arquivo existe no repositório, é um PNG de no
máximo 150 KB, e nenhum notebook carrega imagem da internet. As imagens de `notebooks/imagens/`
(as fotos da MLflow UI do `make capturas`) também ficam dentro do limite.
"""

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

RAIZ = Path(__file__).resolve().parents[2]
LIMITE_BYTES = 150 * 1024
ASSINATURA_PNG = b"\x89PNG\r\n\x1a\n"

# ![texto](caminho "título opcional") e ![texto](<caminho com espaço>)
_MARKDOWN = re.compile(r"!\[[^\]]*\]\(\s*(<[^>]+>|[^)\s]+)(?:\s+[\"'][^)]*[\"'])?\s*\)")
# <img ... src="caminho" ...> (aspas duplas, simples ou nenhuma)
_HTML = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
# Blocos de código (``` ou ~~~) e código em linha não são imagens: a aula pode mostrar a sintaxe.
_BLOCO_DE_CODIGO = re.compile(r"(```|~~~).*?\1", re.DOTALL)
_CODIGO_EM_LINHA = re.compile(r"`[^`\n]*`")


def referencias(texto: str) -> list[str]:
    """Os endereços das imagens de um texto markdown, na ordem em que aparecem."""
    texto = _CODIGO_EM_LINHA.sub("", _BLOCO_DE_CODIGO.sub("", texto))
    achadas = []
    for casamento in sorted([*_MARKDOWN.finditer(texto), *_HTML.finditer(texto)],
                            key=lambda m: m.start()):
        alvo = casamento.group(1).strip()
        if alvo[:1] in "<\"'" and alvo[-1:] in ">\"'":
            alvo = alvo[1:-1].strip()
        achadas.append(alvo)
    return achadas


def remota(alvo: str) -> bool:
    return bool(re.match(r"^(https?:)?//", alvo, re.IGNORECASE))


def _markdown_dos_notebooks():
    for caminho in sorted((RAIZ / "notebooks").glob("*.ipynb")):
        nb = json.loads(caminho.read_text(encoding="utf-8"))
        for indice, celula in enumerate(nb.get("cells", [])):
            if celula.get("cell_type") != "markdown":
                continue
            fonte = celula.get("source", "")
            yield caminho, indice, "".join(fonte) if isinstance(fonte, list) else fonte


def _todas_as_referencias():
    """(arquivo que referencia, onde, endereço) de todos os notebooks e do README."""
    for caminho, indice, texto in _markdown_dos_notebooks():
        for alvo in referencias(texto):
            yield caminho, f"{caminho.name}, célula {indice}", alvo
    readme = RAIZ / "README.md"
    for alvo in referencias(readme.read_text(encoding="utf-8")):
        yield readme, "README.md", alvo


def _conferir_png(arquivo: Path) -> list[str]:
    problemas = []
    with open(arquivo, "rb") as f:
        if f.read(8) != ASSINATURA_PNG:
            problemas.append("não é um PNG")
    tamanho = arquivo.stat().st_size
    if tamanho > LIMITE_BYTES:
        problemas.append(f"tem {tamanho // 1024} KB (limite: {LIMITE_BYTES // 1024} KB)")
    return problemas


# -- o extrator das referências (prova de que o teste de baixo consegue falhar) --------------------


def test_referencias_acha_markdown_e_html_e_ignora_codigo():
    texto = """
Veja ![a tabela de runs](imagens/ui_runs.png) e ![com título](imagens/b.png "Título").
<img src="imagens/c.png" width="600"> e <IMG alt='x' src='imagens/d.png'/> e <img src=imagens/e.png>
![espaço](<imagens/com espaço.png>)
![remota](https://exemplo.com/x.png) <img src="//cdn.exemplo.com/y.png">
Em código não conta: `![x](nada.png)` e

```markdown
![exemplo de sintaxe](tambem_nao.png)
```
"""
    assert referencias(texto) == ["imagens/ui_runs.png", "imagens/b.png", "imagens/c.png",
                                  "imagens/d.png", "imagens/e.png", "imagens/com espaço.png",
                                  "https://exemplo.com/x.png", "//cdn.exemplo.com/y.png"]
    assert [remota(r) for r in referencias(texto)][-2:] == [True, True]
    assert not remota("imagens/ui_runs.png")


def test_conferir_png_acusa_o_que_nao_e_png_e_o_que_e_grande(tmp_path):
    falso = tmp_path / "falso.png"
    falso.write_bytes(b"GIF89a" + b"\0" * 10)
    grande = tmp_path / "grande.png"
    grande.write_bytes(ASSINATURA_PNG + b"\0" * (LIMITE_BYTES + 1))
    assert _conferir_png(falso) == ["não é um PNG"]
    assert "limite" in _conferir_png(grande)[0]


# -- o repositório ---------------------------------------------------------------------------------


def test_nenhum_notebook_carrega_imagem_da_internet():
    remotas = [f"{onde}: {alvo}" for origem, onde, alvo in _todas_as_referencias()
               if origem.suffix == ".ipynb" and remota(alvo)]
    assert not remotas, "o curso é offline; use uma imagem local em notebooks/imagens/:\n" + \
        "\n".join(remotas)


def test_toda_imagem_referenciada_existe_e_e_um_png_pequeno():
    problemas = []
    for origem, onde, alvo in _todas_as_referencias():
        if remota(alvo) or alvo.startswith(("attachment:", "data:")):
            continue  # remotas: o teste de cima; anexos e data: vêm dentro do próprio notebook
        caminho = (origem.parent / unquote(alvo.split("#")[0].split("?")[0])).resolve()
        if not caminho.is_relative_to(RAIZ):
            problemas.append(f"{onde}: {alvo} aponta para fora do repositório")
        elif not caminho.is_file():
            problemas.append(f"{onde}: {alvo} não existe")
        else:
            problemas += [f"{onde}: {alvo} {p}" for p in _conferir_png(caminho)]
    assert not problemas, "\n".join(problemas)


@pytest.mark.parametrize("imagem", sorted((RAIZ / "notebooks" / "imagens").glob("*")),
                         ids=lambda p: p.name)
def test_as_imagens_guardadas_sao_pngs_pequenos(imagem):
    assert imagem.suffix == ".png", f"{imagem.name}: só PNG em notebooks/imagens/"
    assert not _conferir_png(imagem), _conferir_png(imagem)


def test_o_readme_mostra_uma_foto_da_ui():
    fotos = [alvo for origem, _, alvo in _todas_as_referencias()
             if origem.name == "README.md" and "imagens/ui_" in alvo]
    assert fotos, "o README deve mostrar pelo menos uma foto da MLflow UI (make capturas)"
