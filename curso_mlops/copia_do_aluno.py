"""A cópia do aluno: o repositório sem as respostas dos exercícios, pronta para entregar (`make aluno`).

    from curso_mlops import copia_do_aluno
    resumo = copia_do_aluno.gerar()   # build/aluno/curso-mlops-aluno/ e build/aluno/curso-mlops-aluno.zip

O que entra: os arquivos que o git acompanha (`git ls-files`), como estão na pasta de trabalho.
O que muda ou sai:

- **os notebooks** (`notebooks/*.ipynb`) perdem as células com a tag `resposta` (a seção
  "Respostas" inteira); todas as outras células, com as saídas, os ids e os metadados, ficam
  iguais. As células de resposta são as últimas de código de cada notebook, então as contagens
  de execução continuam 1..N;
- **os arquivos só do instrutor**: um arquivo cuja primeira linha começa com
  `# só-instrutor:` (por exemplo, os testes que fazem os exercícios e por isso carregam as
  respostas) fica fora.

Depois de montar a pasta, `gerar` confere que nenhum texto de resposta sobrou em nenhum arquivo
(o código inteiro de cada célula de resposta e cada parágrafo longo das explicações) e para
com `ErroDaCopia` se sobrou. A pasta vira um repositório git com um commit só (a aula 10 mostra
o commit que o `mlflow run` registra), e o zip leva a pasta inteira, com o `.git`.

A cópia roda com os dois comandos do README (`make run` e `make test`): os testes que precisam
das respostas ficam fora, ou são pulados quando os notebooks não as têm.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import store

TAG_RESPOSTA = "resposta"
MARCA_SO_INSTRUTOR = "# só-instrutor:"
NOME_PADRAO = "curso-mlops-aluno"
MARCA_DA_PASTA = ".copia-do-aluno"   # só uma pasta com este arquivo é apagada e refeita
PARAGRAFO_MINIMO = 80                # caracteres: parágrafos mais curtos são comuns demais


class ErroDaCopia(RuntimeError):
    """A cópia do aluno não pôde ser gerada (a mensagem diz o que fazer)."""


@dataclass
class Resumo:
    pasta: Path
    zip: Path
    arquivos: int
    respostas_tiradas: int
    fora: list[str] = field(default_factory=list)   # arquivos só do instrutor


def _fonte(celula: dict) -> str:
    src = celula.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def e_resposta(celula: dict) -> bool:
    return TAG_RESPOSTA in celula.get("metadata", {}).get("tags", [])


def sem_respostas(nb: dict) -> dict:
    """Uma cópia do notebook sem as células de resposta; as outras ficam idênticas."""
    copia = copy.deepcopy(nb)
    copia["cells"] = [c for c in copia.get("cells", []) if not e_resposta(c)]
    return copia


def textos_das_respostas(nb: dict) -> list[str]:
    """O que não pode aparecer na cópia: o código de cada resposta e os parágrafos das explicações."""
    textos = []
    for celula in nb.get("cells", []):
        if not e_resposta(celula):
            continue
        fonte = _fonte(celula).strip()
        if celula.get("cell_type") == "code":
            textos.append(fonte)
        else:
            textos += [p.strip() for p in fonte.split("\n\n") if len(p.strip()) >= PARAGRAFO_MINIMO]
    return [t for t in textos if t]


def so_do_instrutor(caminho: Path) -> bool:
    """Se o arquivo fica fora da cópia: a primeira linha começa com `# só-instrutor:`."""
    try:
        with open(caminho, encoding="utf-8") as arquivo:
            return arquivo.readline().startswith(MARCA_SO_INSTRUTOR)
    except (UnicodeDecodeError, OSError):
        return False


def arquivos_do_git(raiz: Path) -> list[str]:
    """Os arquivos que o git acompanha (`git ls-files`), relativos à raiz."""
    try:
        saida = subprocess.run(["git", "ls-files", "-z"], cwd=raiz, capture_output=True, check=True)
    except FileNotFoundError:
        raise ErroDaCopia("o git não está instalado: a cópia usa `git ls-files` para saber o que "
                          "faz parte do repositório.") from None
    except subprocess.CalledProcessError as erro:
        detalhe = erro.stderr.decode(errors="replace").strip()
        raise ErroDaCopia(f"{raiz} não é um repositório git ({detalhe}).") from None
    return sorted(p for p in saida.stdout.decode("utf-8").split("\0") if p)


def _e_notebook(relativo: str) -> bool:
    return relativo.startswith("notebooks/") and relativo.endswith(".ipynb")


def _escrever_notebook(nb: dict, destino: Path) -> None:
    # o mesmo formato de curso_mlops.notebooks.escrever (o dos notebooks guardados)
    destino.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _preparar_pasta(pasta: Path) -> None:
    if pasta.exists():
        if not (pasta / MARCA_DA_PASTA).exists():
            raise ErroDaCopia(f"{pasta} já existe e não é uma cópia do aluno feita por aqui: apague-a "
                              "ou escolha outro destino.")
        shutil.rmtree(pasta)
    pasta.mkdir(parents=True)


def _vazamentos(pasta: Path, textos: list[str]) -> list[str]:
    """Os arquivos da cópia em que aparece algum texto de resposta."""
    achados = []
    for arquivo in sorted(pasta.rglob("*")):
        if not arquivo.is_file() or ".git" in arquivo.relative_to(pasta).parts:
            continue
        try:
            conteudo = arquivo.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if arquivo.suffix == ".ipynb":  # o texto dos notebooks está escapado no JSON
            try:
                nb = json.loads(conteudo)
                conteudo = "\n".join(_fonte(c) for c in nb.get("cells", []))
            except ValueError:
                pass
        if any(t in conteudo for t in textos):
            achados.append(arquivo.relative_to(pasta).as_posix())
    return achados


def _git_init(pasta: Path) -> None:
    comandos = [["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=Curso MLOps", "-c", "user.email=curso@example.invalid",
                 "commit", "-q", "-m", "Cópia do aluno: o curso sem as respostas dos exercícios"]]
    ambiente = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for comando in comandos:
        resultado = subprocess.run(comando, cwd=pasta, capture_output=True, text=True, env=ambiente)
        if resultado.returncode != 0:
            raise ErroDaCopia(f"`{' '.join(comando)}` falhou na cópia: {resultado.stderr.strip()}")


def _zipar(pasta: Path, destino: Path) -> None:
    destino.unlink(missing_ok=True)
    with zipfile.ZipFile(destino, "w", zipfile.ZIP_DEFLATED) as arquivo_zip:
        for caminho in sorted(pasta.rglob("*")):
            if caminho.is_file():
                arquivo_zip.write(caminho, Path(pasta.name) / caminho.relative_to(pasta))


def gerar(raiz: Path | None = None, destino: Path | None = None, nome: str = NOME_PADRAO,
          com_git: bool = True) -> Resumo:
    """Monta `destino/nome/` e `destino/nome.zip` a partir do repositório em `raiz`."""
    raiz = Path(raiz or store.raiz_do_repositorio()).resolve()
    destino = Path(destino or raiz / "build" / "aluno").resolve()
    pasta = destino / nome
    relativos = arquivos_do_git(raiz)
    if pasta == raiz or raiz in pasta.parents and pasta.relative_to(raiz).parts[0] != "build":
        raise ErroDaCopia(f"o destino {pasta} fica dentro do repositório, fora de build/.")
    _preparar_pasta(pasta)
    textos, fora, tiradas, copiados = [], [], 0, 0
    for relativo in relativos:
        origem = raiz / relativo
        if not origem.is_file():
            continue  # apagado na pasta de trabalho, ainda não no git
        if so_do_instrutor(origem):
            fora.append(relativo)
            continue
        alvo = pasta / relativo
        alvo.parent.mkdir(parents=True, exist_ok=True)
        if _e_notebook(relativo):
            nb = json.loads(origem.read_text(encoding="utf-8"))
            textos += textos_das_respostas(nb)
            tiradas += sum(e_resposta(c) for c in nb.get("cells", []))
            _escrever_notebook(sem_respostas(nb), alvo)
        else:
            shutil.copy2(origem, alvo)
        copiados += 1
    vazados = _vazamentos(pasta, textos)
    if vazados:
        raise ErroDaCopia("a cópia ainda tem texto das respostas em: " + ", ".join(vazados) +
                          f". Marque esses arquivos com {MARCA_SO_INSTRUTOR!r} na primeira linha ou "
                          "tire deles o texto das respostas.")
    (pasta / MARCA_DA_PASTA).write_text("Cópia do aluno gerada por `make aluno`.\n", encoding="utf-8")
    if com_git:
        _git_init(pasta)
    arquivo_zip = destino / f"{nome}.zip"
    _zipar(pasta, arquivo_zip)
    return Resumo(pasta, arquivo_zip, copiados, tiradas, fora)
