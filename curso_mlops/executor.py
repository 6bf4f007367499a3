"""O executor do curso: roda os notebooks com papermill, em ordem, e mostra quanto cada um levou.

A lógica de `scripts/run_course.py` (o `make run` e o `make notebooks`): a escolha dos
notebooks, a entrega de cada parâmetro só a quem o declara, o `ALUNO`, a aceitação das células
marcadas com `raises-exception`, a troca atômica do notebook guardado (`--in-place`), a tabela
de tempos, o motor do papermill que grava o notebook executado menos vezes (`_registrar_motor`)
e o kernel da aula seguinte, iniciado (e com os imports feitos) enquanto a aula atual roda
(`KernelAquecido`), nascido do molde com os imports já feitos (`curso_mlops.molde`). Nada
acontece na importação.

Exemplos (na raiz do repositório, com o .venv ativo ou via `make`):

    python scripts/run_course.py                    # o curso inteiro, no store do curso
    python scripts/run_course.py 00 02              # só alguns (número, nome ou arquivo)
    python scripts/run_course.py --fresh            # num store temporário, descartado no fim
    python scripts/run_course.py --tracking-uri http://127.0.0.1:5000
    python scripts/run_course.py -p EXPERIMENTO teste-aluno
    python scripts/run_course.py --aluno ana        # o espaço da aluna: tempo-entrega-ana...
    python scripts/run_course.py --fresh --in-place # regenera as saídas guardadas (make notebooks)

Cada notebook roda com a pasta notebooks/ como pasta de trabalho. Os executados vão para
build/executed/. Com --in-place, o notebook guardado só é substituído depois de executado
sem erro e normalizado (sem horários, durações nem caminhos da máquina).

--aluno NOME (ou a variável de ambiente ALUNO) é o mesmo que `-p ALUNO NOME`, conferido pela
regra de curso_mlops.nomes: cada notebook que declara ALUNO põe o sufixo do aluno nos nomes de
experimentos e modelos (tempo-entrega-ana, tempo_entrega_ana). Vazio, valem os nomes da aula.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import nomes
from . import notebooks as nbs
from .molde import Molde, gerente
from .store import raiz_do_repositorio

SAIDA_PADRAO = raiz_do_repositorio() / "build" / "executed"
PARAMETRO_ALUNO = "ALUNO"
TAG_ERRO_ESPERADO = "raises-exception"


class ErroDoExecutor(Exception):
    """Erro de uso ou de execução, com a linha que o usuário vai ler."""

    def __init__(self, mensagem: str, codigo: int = 1):
        super().__init__(mensagem)
        self.codigo = codigo


def _valor(texto: str):
    """Converte o valor de -p como o papermill: inteiro, real, booleano, None ou texto."""
    for conversor in (int, float):
        try:
            return conversor(texto)
        except ValueError:
            pass
    return {"True": True, "true": True, "False": False, "false": False,
            "None": None}.get(texto, texto)


def escolher(pedidos: list[str], disponiveis: list[Path], na_ordem_dada: bool = False) -> list[Path]:
    """Notebooks pedidos por número (03), nome (03_treinar...) ou arquivo; todos se vazio.

    Em ordem e sem repetições; `na_ordem_dada`, exatamente como pedidos (o `--passo-a-passo`).
    """
    if not pedidos:
        return disponiveis
    escolhidos = []
    for pedido in pedidos:
        chave = Path(pedido).name.removesuffix(".ipynb")
        achados = [p for p in disponiveis
                   if p.stem == chave or (chave.isdigit() and p.name.startswith(f"{int(chave):02d}_"))]
        if len(achados) != 1:
            nomes = ", ".join(p.stem for p in disponiveis) or "(nenhum)"
            raise ErroDoExecutor(f"notebook desconhecido: {pedido!r}. Disponíveis: {nomes}", 2)
        if na_ordem_dada or achados[0] not in escolhidos:
            escolhidos.append(achados[0])
    return escolhidos if na_ordem_dada else sorted(escolhidos)


def proximo_passo(entrada: Path, situacao: str, entrada_padrao=None) -> bool:
    """O `--passo-a-passo`: diz que a aula acabou e espera a ordem de seguir (uma linha `seguir`).

    Quem roda o executor assim (os testes das aulas fora de ordem) confere o store entre uma
    aula e a seguinte. Outra linha, ou o fim da entrada, para o executor ali.
    """
    print(f"passo: {entrada.stem} {situacao}", flush=True)
    return (entrada_padrao or sys.stdin).readline().strip() == "seguir"


def declarados(caminho: Path) -> set[str]:
    """Os nomes que a célula `parameters` do notebook atribui (`notebooks.parametros`)."""
    return set(nbs.parametros(caminho))


def parametros_por_notebook(escolhidos: list[Path], pedidos: list[tuple[str, str]]) -> dict[Path, dict]:
    """Entrega a cada notebook só os parâmetros que a sua célula `parameters` declara."""
    declarados_ = {p: declarados(p) for p in escolhidos}
    resultado = {p: {} for p in escolhidos}
    for nome, texto in pedidos:
        alvos = [p for p in escolhidos if nome in declarados_[p]]
        if not alvos:
            conhecidos = sorted({n for d in declarados_.values() for n in d})
            raise ErroDoExecutor(
                f"parâmetro desconhecido: {nome!r}. Parâmetros dos notebooks escolhidos: "
                f"{', '.join(conhecidos) or '(nenhum)'}", 2)
        # ALUNO é sempre texto: `--aluno 2025` não pode virar o inteiro 2025.
        valor = texto if nome == PARAMETRO_ALUNO else _valor(texto)
        for p in alvos:
            resultado[p][nome] = valor
    return resultado


def pedido_do_aluno(aluno_opcao: str | None, pedidos: list[tuple[str, str]],
                    ambiente: dict[str, str] | None = None) -> tuple[str, str]:
    """(valor de ALUNO conferido, origem) a partir de --aluno, de -p ALUNO ou da variável ALUNO.

    A origem é "--aluno", "-p" ou "ALUNO" (a variável de ambiente); ("", "") se nada foi pedido.
    """
    ambiente = os.environ if ambiente is None else ambiente
    do_p = [texto for nome, texto in pedidos if nome == PARAMETRO_ALUNO]
    if aluno_opcao is not None and do_p:
        raise ErroDoExecutor("use --aluno ou -p ALUNO, não os dois.", 2)
    if len(do_p) > 1:
        raise ErroDoExecutor("-p ALUNO foi dado mais de uma vez.", 2)
    if aluno_opcao is not None:
        valor, origem = aluno_opcao, "--aluno"
    elif do_p:
        valor, origem = do_p[0], "-p"
    else:
        valor, origem = ambiente.get(PARAMETRO_ALUNO, ""), PARAMETRO_ALUNO
    try:
        valor = nomes.validar_aluno(valor)
    except nomes.ErroDeNome as erro:
        fonte = "a variável de ambiente ALUNO" if origem == PARAMETRO_ALUNO else origem
        raise ErroDoExecutor(f"{fonte}: {erro}", 2) from None
    return (valor, origem) if valor else ("", "")


def _primeira_linha(codigo: str) -> str:
    for linha in codigo.splitlines():
        if linha.strip():
            return linha.strip()[:70]
    return ""


def _aceitar_erros_esperados() -> None:
    """Faz o papermill aceitar o erro de uma célula marcada com a tag `raises-exception`.

    O nbclient (que executa as células) e o nbval já respeitam essa tag e seguem em frente;
    o papermill, no fim, procura saídas de erro em todas as células e falha mesmo assim.
    Aqui a verificação final do papermill passa a ignorar só as células marcadas.
    """
    import papermill.execute as execucao

    original = getattr(execucao.raise_for_execution_errors, "original", execucao.raise_for_execution_errors)

    def verificar(nb, output_path):
        sem_esperados = copy.deepcopy(nb)
        for celula in sem_esperados.cells:
            if TAG_ERRO_ESPERADO in celula.get("metadata", {}).get("tags", []):
                celula.outputs = [o for o in celula.get("outputs", []) if o.get("output_type") != "error"]
        return original(sem_esperados, output_path)

    verificar.original = original
    execucao.raise_for_execution_errors = verificar


MOTOR = "curso"           # o motor do papermill registrado por `_registrar_motor`
GRAVAR_A_CADA = 10.0      # segundos entre duas gravações do executado durante a execução


@functools.cache
def _registrar_motor() -> str:
    """Registra no papermill o motor do curso: o de sempre (nbclient), que grava menos.

    O papermill grava o notebook executado inteiro (validado e serializado de novo) duas vezes
    por célula, também nas de texto: umas 150 gravações por aula, de 5 a 15 ms cada (as imagens
    vão junto em cada uma), mais de um segundo por aula nas maiores e uns 10 s no curso inteiro.
    Ninguém lê essas gravações no meio da execução, a não ser quem acompanha um notebook longo.
    O motor do curso grava no começo, no fim (também depois de um erro, de um tempo esgotado ou
    de um kernel que morreu: o fim do papermill roda num `finally`) e, no meio, no máximo a cada
    `GRAVAR_A_CADA` segundos. O notebook executado sai igual; só é escrito menos vezes.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class GerenteQueGravaMenos(NotebookExecutionManager):
        _sempre = False

        def save(self, **kwargs):
            if self._sempre or (self.now() - self.last_save_time).total_seconds() >= GRAVAR_A_CADA:
                super().save(**kwargs)

        def notebook_start(self, **kwargs):
            self._sempre = True
            try:
                super().notebook_start(**kwargs)
            finally:
                self._sempre = False

        def notebook_complete(self, **kwargs):
            self._sempre = True
            super().notebook_complete(**kwargs)

    class MotorDoCurso(NBClientEngine):
        # O `Engine.execute_notebook` do papermill 2.x, com o gerente acima no lugar do dele.
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                             log_output=False, autosave_cell_every=30, **kwargs):
            gerente = GerenteQueGravaMenos(nb, output_path=output_path, progress_bar=progress_bar,
                                           log_output=log_output, autosave_cell_every=autosave_cell_every)
            gerente.notebook_start()
            try:
                cls.execute_managed_notebook(gerente, kernel_name, log_output=log_output, **kwargs)
            finally:
                gerente.cleanup_pbar()
                gerente.notebook_complete()
            return gerente.nb

    papermill_engines.register(MOTOR, MotorDoCurso)
    return MOTOR


KERNEL = "python3"
# O kernel fala com o papermill por TCP em 127.0.0.1, como no JupyterLab; o aviso de "TCP sem
# criptografia" do ipykernel 7 só polui o terminal. O histórico em memória é o que o nbclient
# pede quando é ele quem inicia o kernel (um kernel aquecido precisa partir igual).
ARGUMENTOS_DO_KERNEL = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"]


# As bibliotecas que toda aula importa (o `make bench` mede o piso com elas) e, além delas, o
# store SQLite do MLflow, que a primeira célula de cada aula abre: o kernel aquecido importa
# `MODULOS_DE_TODA_AULA` antes de a aula começar.
BIBLIOTECAS_DAS_AULAS = ("mlflow", "pandas", "statsmodels.formula.api", "matplotlib.pyplot", "scipy.stats")
MODULOS_DE_TODA_AULA = (*BIBLIOTECAS_DAS_AULAS, "mlflow.store.tracking.sqlalchemy_store")


def importar_ao_iniciar(modulos=MODULOS_DE_TODA_AULA) -> list[str]:
    """Os argumentos do IPython que importam `modulos` ao iniciar o kernel, sem deixar nome algum.

    O `exec_lines` roda antes da primeira célula, fora do histórico (o contador de execuções
    começa em 1, como sempre), e o `del` tira do namespace o único nome que ele cria: uma aula
    que esquecesse um `import` falharia igual no papermill, no JupyterLab e no nbval.
    """
    linha = ("import importlib as _curso_aquecer; "
             f"[_curso_aquecer.import_module(m) for m in {tuple(modulos)!r}]; del _curso_aquecer")
    return ["--IPKernelApp.exec_lines", linha]


def _pacotes_importados(codigo: str) -> set[str]:
    """Os pacotes (o primeiro nome) que o código de uma célula importa, em qualquer lugar dela.

    As linhas do IPython (`%matplotlib`, `!pip`) viram `pass`; uma célula que nem assim é Python
    válido é lida linha a linha, pelos `import x` e `from x import y` do começo de cada linha.
    """
    import ast

    linhas = [(l[:len(l) - len(l.lstrip())] + "pass") if l.lstrip().startswith(("%", "!")) else l
              for l in codigo.splitlines()]
    try:
        arvore = ast.parse("\n".join(linhas))
    except SyntaxError:
        import re

        return {m.group(1) for m in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", codigo, re.M)}
    pacotes = set()
    for no in ast.walk(arvore):
        if isinstance(no, ast.Import):
            pacotes |= {apelido.name.split(".")[0] for apelido in no.names}
        elif isinstance(no, ast.ImportFrom) and no.level == 0 and no.module:
            pacotes.add(no.module.split(".")[0])
    return pacotes


def modulos_a_aquecer(caminho: Path) -> tuple[str, ...]:
    """Os módulos de `MODULOS_DE_TODA_AULA` que o kernel aquecido importa para o notebook `caminho`.

    Uma aula do curso (importa o `curso_mlops`) leva todos. Outro notebook leva os daqueles
    pacotes que ele mesmo importa (`import pandas` leva o pandas; `from scipy import stats`, o
    `scipy.stats`; o `mlflow`, também o store SQLite dele); um que não importa nenhum (o rascunho
    de um aluno, o notebook de um teste) recebe o kernel sem import nenhum, como o papermill o
    iniciaria, sem gastar uns 3 s de CPU com bibliotecas que ele não vai usar. Um notebook que não
    se lê leva todos: o papermill é quem diz o erro dele.
    """
    try:
        nb = nbs.ler(caminho)
        importados = set().union(*(_pacotes_importados(nbs.fonte(c)) for c in nb.cells
                                   if c.get("cell_type") == "code"))
    except Exception:
        return MODULOS_DE_TODA_AULA
    if "curso_mlops" in importados:
        return MODULOS_DE_TODA_AULA
    return tuple(m for m in MODULOS_DE_TODA_AULA if m.split(".")[0] in importados)


class KernelAquecido:
    """O kernel da próxima aula, iniciado enquanto a aula atual ainda roda.

    Cada aula gasta uns 3 s antes da primeira linha que ensina: iniciar o kernel e importar o
    MLflow, o pandas, o statsmodels, o matplotlib e o store do MLflow; e a aula que roda ocupa
    um núcleo só. O executor inicia o kernel da aula seguinte logo que uma aula começa, já com
    os desses imports que ela faz (`modulos_a_aquecer`, `importar_ao_iniciar`), e o entrega
    pronto ao papermill. Com o `molde` (as aulas do curso, no Linux), o kernel nasce dele com
    todos os imports já feitos, e nada é importado de novo. De resto, é o kernel
    que o papermill iniciaria: a mesma especificação e os mesmos argumentos, a pasta notebooks/
    e o mesmo ambiente (o executor não o muda entre as aulas). Os imports não imprimem nada; se
    um passasse a imprimir, a saída guardada (gerada assim) deixaria de bater com a do nbval,
    que roda cada notebook num kernel novo, e a CI falharia.
    Quem o inicia o para (`parar`): no fim da aula, ou sem uso, depois de um erro ou do Ctrl+C.
    """

    def __init__(self, pasta: Path, modulos: tuple[str, ...] = MODULOS_DE_TODA_AULA,
                 molde: Molde | None = None):
        from jupyter_core.utils import run_sync

        if sys.platform.startswith("win"):
            # O laço de eventos que o papermill escolhe no Windows antes de iniciar um kernel.
            asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
        self._run_sync = run_sync
        # Do molde, o kernel já nasce com os imports feitos; senão, ele os faz ao iniciar.
        do_molde = molde is not None and tuple(modulos) == molde.modulos
        self.km = gerente(molde if do_molde else None, kernel_name=KERNEL)
        imports = importar_ao_iniciar(modulos) if modulos and not do_molde else []
        run_sync(self.km.start_kernel)(extra_arguments=[*ARGUMENTOS_DO_KERNEL, *imports], cwd=str(pasta))

    def vivo(self) -> bool:
        return self.km is not None and self._run_sync(self.km.is_alive)()

    def parar(self) -> None:
        """Para o kernel como o nbclient para os que ele inicia: com calma, e à força se preciso."""
        km, self.km = self.km, None
        if km is None:
            return

        async def parar():
            # Um Ctrl+C no meio de uma célula deixa tarefas do nbclient pendentes neste laço (a
            # espera da resposta da célula): elas são canceladas e recolhidas antes de o kernel
            # parar, em vez de acordarem com o kernel morto e imprimirem um traceback a mais.
            pendentes = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for tarefa in pendentes:
                tarefa.cancel()
            await asyncio.gather(*pendentes, return_exceptions=True)
            try:
                if await km.is_alive():
                    await km.shutdown_kernel(now=False)
            finally:
                await km.cleanup_resources()

        self._run_sync(parar)()

    @classmethod
    def tentar(cls, notebook: Path, molde: Molde | None = None) -> KernelAquecido | None:
        """O kernel aquecido para `notebook`, ou None se ele não subir: o papermill tenta de novo
        na hora da aula e, se falhar também, o executor diz o erro como o de qualquer aula."""
        try:
            return cls(notebook.parent, modulos_a_aquecer(notebook), molde)
        except Exception:
            return None


def executar_um(entrada: Path, saida: Path, parametros: dict, timeout: int,
                kernel: KernelAquecido | None = None) -> float:
    """Executa `entrada` em `saida`; com `kernel`, nele (e o para no fim), senão num novo."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _aceitar_erros_esperados()
    motor = _registrar_motor()
    if kernel is not None and not kernel.vivo():
        # O kernel aquecido morreu antes de a aula começar (ex.: outro processo tomou uma das
        # portas que o jupyter_client escolheu para ele): o papermill inicia um novo, como sempre.
        kernel.parar()
        kernel = None
    saida.parent.mkdir(parents=True, exist_ok=True)
    inicio = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(entrada), str(saida), parameters=parametros or None, kernel_name=KERNEL,
            engine_name=motor,
            cwd=str(entrada.parent), progress_bar=True, execution_timeout=timeout,
            extra_arguments=list(ARGUMENTOS_DO_KERNEL),
            **({"km": kernel.km} if kernel is not None else {}),
        )
    except PapermillExecutionError as erro:
        evalue = " ".join(str(erro.evalue).split())[:300]
        raise ErroDoExecutor(
            f"{entrada.name}: falhou na célula de código [{erro.exec_count}] "
            f"(\"{_primeira_linha(erro.source)}\"): {erro.ename}: {evalue}") from None
    except Exception as erro:  # kernel morreu, tempo esgotado, notebook ilegível...
        mensagem = " ".join(str(erro).split())[:300]
        raise ErroDoExecutor(f"{entrada.name}: {type(erro).__name__}: {mensagem}") from None
    finally:
        if kernel is not None:
            kernel.parar()
    return time.perf_counter() - inicio


def substituir_guardado(executado: Path, guardado: Path) -> None:
    """Troca o notebook guardado pelo executado e normalizado, de forma atômica."""
    nb = nbs.normalizar(nbs.ler(executado))
    temporario = guardado.with_name(f".{guardado.name}.tmp")
    try:
        nbs.escrever(nb, temporario)
        os.replace(temporario, guardado)
    finally:
        temporario.unlink(missing_ok=True)


def tabela(tempos: list[tuple[str, float | None, str]]) -> str:
    largura = max([len(n) for n, _, _ in tempos] + [8])
    linhas = [f"{'notebook':<{largura}}  {'tempo':>8}  situação", f"{'-' * largura}  {'-' * 8}  {'-' * 8}"]
    for nome, segundos, situacao in tempos:
        texto = "-" if segundos is None else f"{segundos:7.1f}s"
        linhas.append(f"{nome:<{largura}}  {texto:>8}  {situacao}")
    total = sum(s for _, s, _ in tempos if s is not None)
    linhas.append(f"{'total':<{largura}}  {total:7.1f}s")
    return "\n".join(linhas)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Executa os notebooks do curso com papermill.",
        epilog="Sem NOTEBOOK, executa todos em ordem.")
    parser.add_argument("notebook", nargs="*", help="número (03), nome (03_treinar...) ou arquivo")
    parser.add_argument("--fresh", action="store_true",
                        help="usa um store SQLite temporário e novo (o seu store não é tocado)")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="store a usar (por padrão, MLFLOW_TRACKING_URI ou o SQLite da raiz)")
    parser.add_argument("-p", "--parametro", nargs=2, action="append", default=[],
                        metavar=("NOME", "VALOR"), help="parâmetro passado ao papermill")
    parser.add_argument("--aluno", metavar="NOME", default=None,
                        help="o espaço do aluno (= -p ALUNO NOME; padrão: a variável ALUNO): "
                             "experimentos e modelos com o sufixo -NOME/_NOME")
    parser.add_argument("--in-place", action="store_true",
                        help="regrava as saídas guardadas em notebooks/ (use com --fresh)")
    parser.add_argument("--saida", type=Path, default=SAIDA_PADRAO,
                        help="pasta dos notebooks executados (padrão: build/executed)")
    parser.add_argument("--pasta-notebooks", type=Path, default=nbs.pasta_notebooks(),
                        help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=600,
                        help="limite de segundos por célula (padrão: 600)")
    # Para os testes: os notebooks na ordem dada (com repetições), uma pausa depois de cada um
    # (`proximo_passo`), e um erro não para os seguintes.
    parser.add_argument("--passo-a-passo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    store_temporario = None
    try:
        if args.fresh and args.tracking_uri:
            raise ErroDoExecutor("use --fresh ou --tracking-uri, não os dois: --fresh já é um "
                                 "store novo e temporário.", 2)
        if args.in_place and (args.parametro or args.aluno):
            raise ErroDoExecutor("--in-place não aceita -p nem --aluno: as saídas guardadas usam "
                                 "os valores padrão dos notebooks.", 2)
        # Com --in-place, uma variável ALUNO esquecida no terminal não entra nas saídas guardadas.
        aluno, origem_aluno = pedido_do_aluno(args.aluno, args.parametro,
                                              {} if args.in_place else None)
        pedidos = [(n, t) for n, t in args.parametro if n != PARAMETRO_ALUNO]
        disponiveis = nbs.listar(args.pasta_notebooks)
        if not disponiveis:
            raise ErroDoExecutor(f"nenhum notebook NN_nome.ipynb em {args.pasta_notebooks}", 2)
        if args.passo_a_passo and (args.in_place or not args.notebook):
            raise ErroDoExecutor("--passo-a-passo precisa dos notebooks, na ordem, e não aceita "
                                 "--in-place.", 2)
        escolhidos = escolher(args.notebook, disponiveis, na_ordem_dada=args.passo_a_passo)
        aviso_aluno = ""
        if aluno:
            declaram = [p for p in escolhidos if PARAMETRO_ALUNO in declarados(p)]
            if declaram:
                pedidos.append((PARAMETRO_ALUNO, aluno))
            elif origem_aluno == PARAMETRO_ALUNO:
                # Só a variável de ambiente: os notebooks escolhidos não têm o que separar.
                aviso_aluno = (f"aviso: ALUNO={aluno} ignorado: nenhum notebook escolhido "
                               "declara o parâmetro ALUNO.")
                aluno = ""
            else:
                raise ErroDoExecutor(
                    f"{origem_aluno} {aluno}: nenhum notebook escolhido declara o parâmetro "
                    "ALUNO, então os nomes não teriam o sufixo do aluno. Rode sem --aluno.", 2)
        parametros = parametros_por_notebook(escolhidos, pedidos)

        # As variáveis que estabilizam as saídas não são injetadas aqui: cada aula as fixa no
        # próprio kernel (curso_mlops.aula), como no JupyterLab. Um valor delas no ambiente de
        # quem roda o executor sai, para não esconder uma aula que esqueceu de fixá-la. Os
        # kernels (e o que eles executam) veem o mesmo ALUNO que o papermill entrega.
        for variavel in nbs.VARIAVEIS_QUE_MUDAM_SAIDAS:
            os.environ.pop(variavel, None)
        if aluno:
            os.environ[PARAMETRO_ALUNO] = aluno
        else:
            os.environ.pop(PARAMETRO_ALUNO, None)
        from . import store

        if args.fresh:
            store_temporario = Path(tempfile.mkdtemp(prefix="curso-mlflow-"))
            store.no_ambiente(os.environ, "sqlite:///" + (store_temporario / "mlflow.db").as_posix())
        elif args.tracking_uri:
            store.no_ambiente(os.environ, args.tracking_uri)
        print(f"store: {store.descrever()}" + (" [temporário]" if args.fresh else ""), flush=True)
        if aviso_aluno:
            print(aviso_aluno, flush=True)
        if aluno:
            proprios = nomes.nomes_do_aluno(aluno)
            print(f"aluno: {aluno} (experimentos {proprios['experimento']} e "
                  f"{proprios['monitoramento']}, modelo {proprios['modelo']})", flush=True)
    except ErroDoExecutor as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return erro.codigo

    tempos: list[tuple[str, float | None, str]] = []
    codigo = 0
    kernel = aquecido = molde = None
    try:
        # As aulas do curso nascem de um molde com os imports feitos (curso_mlops.molde); a
        # primeira também, e as outras começam no kernel aquecido enquanto a anterior roda.
        if any(modulos_a_aquecer(p) == MODULOS_DE_TODA_AULA for p in escolhidos):
            molde = Molde.tentar(escolhidos[0].parent, MODULOS_DE_TODA_AULA)
        if molde is not None:
            aquecido = KernelAquecido.tentar(escolhidos[0], molde)
        for i, entrada in enumerate(escolhidos, start=1):
            print(f"\n[{i}/{len(escolhidos)}] {entrada.stem}", flush=True)
            executado = args.saida / entrada.name
            kernel, aquecido = aquecido, None
            if i < len(escolhidos):
                aquecido = KernelAquecido.tentar(escolhidos[i], molde)  # o da próxima aula
            try:
                segundos = executar_um(entrada, executado, parametros[entrada], args.timeout, kernel)
            except ErroDoExecutor as erro:
                if args.passo_a_passo:
                    tempos.append((entrada.stem, None, "ERRO"))
                    print(f"\nerro: {erro}", file=sys.stderr, flush=True)
                    codigo = 1
                    if not proximo_passo(entrada, "ERRO"):
                        break
                    continue
                tempos.append((entrada.stem, None, "ERRO"))
                tempos.extend((p.stem, None, "não executado") for p in escolhidos[i:])
                print(f"\nerro: {erro}", file=sys.stderr)
                if executado.exists():
                    print(f"o notebook executado até o erro está em {executado}", file=sys.stderr)
                codigo = 1
                break
            if args.in_place:
                substituir_guardado(executado, entrada)
            tempos.append((entrada.stem, segundos, "atualizado" if args.in_place else "ok"))
            if args.passo_a_passo and not proximo_passo(entrada, "ok"):
                break
    except KeyboardInterrupt:
        print("\ninterrompido: nenhum notebook guardado ficou pela metade.", file=sys.stderr)
        codigo = 130
    finally:
        for sobra in (kernel, aquecido):  # parar() de novo não faz nada
            if sobra is not None:
                sobra.parar()
        if molde is not None:
            molde.fechar()
        if store_temporario is not None:
            shutil.rmtree(store_temporario, ignore_errors=True)
    if tempos:
        print("\n" + tabela(tempos))
    return codigo


if __name__ == "__main__":
    sys.exit(main())
