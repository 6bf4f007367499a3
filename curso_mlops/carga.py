"""Teste de carga da API: N clientes ao mesmo tempo, com limite de pedidos e de tempo (encanamento).

    resultado = carga.medir("http://127.0.0.1:5399", clientes=[1, 4, 16])
    print(carga.tabela([{"servidor": "producao", "trabalhadores": 1, "niveis": resultado}]))

Cada **nível** é um número de clientes simultâneos. Cada cliente é uma conexão HTTP/1.1
reaproveitada (*keep-alive*, como um app de verdade) que manda um pedido, espera a resposta e
manda o próximo. O nível termina no que vier primeiro: `pedidos` respostas ou `segundos`
segundos (os pedidos em andamento ainda terminam, cada um com prazo de `PRAZO_DO_CLIENTE`).
Antes de medir, cada cliente abre a sua conexão com alguns pedidos que não contam.

Por nível: pedidos feitos, respostas 200, erros (por status ou por exceção), vazão (respostas
por segundo) e a latência de cada resposta (p50, p95 e p99, em ms, por `curso_mlops.cronometro`,
o mesmo cálculo do `make bench` e da aula 06).

**A ferramenta.** Um cliente próprio, pequeno, sobre o `asyncio` e o `aiohttp` (que já vem com
o MLflow), e não o locust: o locust instala 11 MB de pacotes (gevent, Flask, ZeroMQ...),
aplica o *monkey-patching* do gevent a todo o processo quando importado (o que quebraria o
kernel do Jupyter e o `asyncio`) e guarda as latências arredondadas em milissegundos inteiros,
grosseiro demais para respostas de 2 a 5 ms. Um único *event loop* mantém 64 conexões sem
*threads* por cliente. O gerador de carga roda na mesma máquina que o servidor e disputa os
mesmos núcleos com ele: os números valem para comparar configurações, não como capacidade.

Só fala com 127.0.0.1 (`medir` recusa outro endereço). Nada acontece na importação.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from urllib.parse import urlparse

from . import cronometro

NIVEIS = (1, 4, 16, 64)
PEDIDOS_POR_NIVEL = 3000
SEGUNDOS_POR_NIVEL = 5.0
PRAZO_DO_CLIENTE = 10.0         # segundos que um pedido pode levar antes de contar como erro
CORPO_DA_AULA = b'{"dataframe_records": [{"distancia": 20}]}'
CABECALHOS = {"Content-Type": "application/json"}


class CargaInterrompida(RuntimeError):
    """A medição foi interrompida (Ctrl+C) antes do fim."""


def _so_local(url: str) -> str:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"o teste de carga só fala com esta máquina (127.0.0.1), não com {host!r}.")
    return url.rstrip("/")


async def _nivel(url: str, clientes: int, pedidos: int, segundos: float, corpo: bytes,
                 parar: threading.Event) -> dict:
    import aiohttp

    latencias: list[float] = []
    ok, erros = 0, Counter()
    restantes = pedidos
    conector = aiohttp.TCPConnector(limit=clientes)
    prazo = aiohttp.ClientTimeout(total=PRAZO_DO_CLIENTE)
    async with aiohttp.ClientSession(connector=conector, timeout=prazo) as sessao:

        async def um_pedido() -> tuple[int | str, float]:
            inicio = time.perf_counter()
            try:
                async with sessao.post(url, data=corpo, headers=CABECALHOS) as resposta:
                    await resposta.read()
                    return resposta.status, (time.perf_counter() - inicio) * 1000
            except TimeoutError:
                return "prazo do cliente", 0.0
            except aiohttp.ClientError as erro:
                return type(erro).__name__, 0.0

        async def aquecer():
            for _ in range(3):
                await um_pedido()

        await asyncio.gather(*(aquecer() for _ in range(clientes)))
        fim = time.perf_counter() + segundos

        async def cliente():
            nonlocal restantes, ok
            while restantes > 0 and time.perf_counter() < fim and not parar.is_set():
                restantes -= 1
                status, ms = await um_pedido()
                if status == 200:
                    ok += 1
                    latencias.append(ms)
                else:
                    erros[str(status)] += 1

        inicio = time.perf_counter()
        await asyncio.gather(*(cliente() for _ in range(clientes)))
        duracao = time.perf_counter() - inicio
    feitos = ok + sum(erros.values())
    nivel = {"clientes": clientes, "pedidos": feitos, "ok": ok, "erros": sum(erros.values()),
             "erros_por_tipo": dict(sorted(erros.items())), "segundos": round(duracao, 3),
             "vazao": round(ok / duracao, 1) if duracao > 0 else 0.0}
    if latencias:
        nivel.update({f"{k}_ms": round(v, 2) for k, v in cronometro.resumo(latencias).items()})
    return nivel


def medir(url: str, clientes=NIVEIS, pedidos: int = PEDIDOS_POR_NIVEL,
          segundos: float = SEGUNDOS_POR_NIVEL, corpo: bytes = CORPO_DA_AULA,
          ao_terminar_nivel=None) -> list[dict]:
    """Mede cada nível de `clientes`, um depois do outro, em `url` (o servidor, sem /invocations).

    Roda o *event loop* numa *thread* própria: funciona num script e dentro do Jupyter (que
    já tem um loop rodando). Ctrl+C no meio para a medição (`CargaInterrompida`) em menos de um
    segundo mais o prazo dos pedidos em andamento. `ao_terminar_nivel(nivel)` é chamada a cada
    nível medido (para imprimir o progresso).
    """
    if pedidos < 1 or segundos <= 0 or any(int(c) < 1 for c in clientes):
        raise ValueError("pedidos, segundos e clientes precisam ser positivos.")
    alvo = _so_local(url) + "/invocations"
    parar = threading.Event()
    resultados: list[dict] = []
    falha: list[BaseException] = []

    def rodar():
        try:
            for n in clientes:
                if parar.is_set():
                    return
                nivel = asyncio.run(_nivel(alvo, int(n), int(pedidos), float(segundos), corpo, parar))
                resultados.append(nivel)
                if ao_terminar_nivel is not None and not parar.is_set():
                    ao_terminar_nivel(nivel)
        except BaseException as erro:  # levada para a thread principal
            falha.append(erro)

    # daemon: se o processo precisar sair no meio, esta thread não o segura
    trabalho = threading.Thread(target=rodar, name="carga", daemon=True)
    trabalho.start()
    try:
        while trabalho.is_alive():
            trabalho.join(timeout=0.2)  # curto: Ctrl+C chega à thread principal logo
    except KeyboardInterrupt:
        parar.set()
        trabalho.join(timeout=PRAZO_DO_CLIENTE + 2)
        raise CargaInterrompida("medição interrompida (Ctrl+C)") from None
    if falha:
        raise falha[0]
    return resultados


# -- o que a pessoa lê --------------------------------------------------------------------------

NOMES = {"producao": "produção (camada + MLflow)", "mlflow": "mlflow models serve"}


def tabela(configuracoes: list[dict]) -> str:
    """Uma linha por servidor × trabalhadores × nível: latências, vazão e erros."""
    linhas = [f"{'servidor':<28} {'trab.':>5} {'clientes':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'pedidos/s':>10} {'erros':>6}",
              f"{'-' * 28} {'-' * 5} {'-' * 8} {'-' * 8} {'-' * 8} {'-' * 8} {'-' * 10} {'-' * 6}"]
    for config in configuracoes:
        for nivel in config["niveis"]:
            latencias = " ".join(f"{nivel.get(f'p{p}_ms', float('nan')):>8.2f}" for p in (50, 95, 99))
            linhas.append(f"{NOMES.get(config['servidor'], config['servidor']):<28} "
                          f"{config['trabalhadores']:>5} {nivel['clientes']:>8} {latencias} "
                          f"{nivel['vazao']:>10.0f} {nivel['erros']:>6}")
    return "\n".join(linhas)


def grafico(configuracoes: list[dict], titulo: str = "Latência sob carga: o pedido da aula (1 linha)"):
    """Latência (p50, p95, p99) × clientes simultâneos: um painel por número de trabalhadores.

    A cor é o servidor; o traço, o percentil. Os dois eixos em escala log: dobrar os clientes
    anda sempre a mesma distância, e uma reta de inclinação 1 é "a latência dobra junto".
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator

    trabalhadores = sorted({c["trabalhadores"] for c in configuracoes})
    fig, eixos = plt.subplots(1, len(trabalhadores), figsize=(4.2 * len(trabalhadores) + 0.6, 4.0),
                              sharey=True, squeeze=False)
    cores = {"producao": "tab:blue", "mlflow": "tab:orange"}
    tracos = {50: "-", 95: "--", 99: ":"}
    todos = sorted({n["clientes"] for c in configuracoes for n in c["niveis"]})
    for eixo, n_trab in zip(eixos[0], trabalhadores):
        for config in (c for c in configuracoes if c["trabalhadores"] == n_trab):
            niveis = [n for n in config["niveis"] if "p50_ms" in n]
            x = [n["clientes"] for n in niveis]
            for p, traco in tracos.items():
                eixo.plot(x, [n[f"p{p}_ms"] for n in niveis], traco, marker="o", markersize=3,
                          color=cores.get(config["servidor"], "tab:gray"))
        eixo.set_xscale("log", base=2)
        eixo.set_yscale("log")
        eixo.set_xticks(todos, [str(n) for n in todos])
        eixo.minorticks_off()
        eixo.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        eixo.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        eixo.set_xlabel("clientes simultâneos")
        eixo.set_title(f"{n_trab} trabalhador{'es' if n_trab > 1 else ''} do uvicorn", fontsize=10)
        eixo.grid(True, which="major", alpha=0.3)
    eixos[0][0].set_ylabel("latência por pedido (ms, escala log)")
    servidores = [s for s in ("producao", "mlflow") if any(c["servidor"] == s for c in configuracoes)]
    legenda = [Line2D([], [], color=cores[s], label=NOMES[s]) for s in servidores]
    legenda += [Line2D([], [], color="black", linestyle=t, label=f"p{p}") for p, t in tracos.items()]
    fig.legend(handles=legenda, loc="lower center", ncol=len(legenda), fontsize=8, frameon=False)
    fig.suptitle(titulo, fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def comparar(model_uri: str, tracking_uri: str, servidores=("producao", "mlflow"), trabalhadores=(1, 2),
             clientes=NIVEIS, pedidos: int = PEDIDOS_POR_NIVEL, segundos: float = SEGUNDOS_POR_NIVEL,
             pasta_de_logs=None, avisar=print) -> list[dict]:
    """Sobe cada servidor (um de cada vez, numa porta livre), mede todos os níveis e o para.

    Cada configuração mede também a resposta ao pedido da aula (os bytes), para conferir que os
    dois servidores respondem igual. Os servidores sobem e param por `curso_mlops.producao`
    (sobre o `curso_mlops.processos`); uma interrupção no meio os para antes de sair.
    """
    import urllib.request
    from pathlib import Path

    from .producao import ServidorDeProducao
    from .servidor import ServidorDeModelo

    classes = {"producao": ServidorDeProducao, "mlflow": ServidorDeModelo}
    configuracoes = []
    for nome in servidores:
        for n_trab in trabalhadores:
            log = None if pasta_de_logs is None else Path(pasta_de_logs) / f"{nome}-{n_trab}.log"
            servidor = classes[nome](model_uri, trabalhadores=n_trab, tracking_uri=tracking_uri,
                                     arquivo_log=log)
            avisar(f"Subindo {NOMES[nome]} com {n_trab} trabalhador(es) em {servidor.url}...")
            with servidor:
                pedido = urllib.request.Request(servidor.url + "/invocations", data=CORPO_DA_AULA,
                                                headers=CABECALHOS, method="POST")
                with urllib.request.urlopen(pedido, timeout=30) as resposta:
                    resposta_da_aula = resposta.read().decode("utf-8")
                niveis = medir(servidor.url, clientes=clientes, pedidos=pedidos, segundos=segundos,
                               ao_terminar_nivel=lambda n: avisar(
                                   f"  {n['clientes']:>3} cliente(s): p50 {n.get('p50_ms', float('nan')):.2f} ms, "
                                   f"p99 {n.get('p99_ms', float('nan')):.2f} ms, {n['vazao']:.0f} pedidos/s, "
                                   f"{n['erros']} erro(s)"))
            configuracoes.append({"servidor": nome, "trabalhadores": n_trab, "porta": servidor.porta,
                                  "pid": servidor.pid_inicial,
                                  "subiu_em_s": round(servidor.segundos_para_subir or 0, 2),
                                  "resposta_da_aula": resposta_da_aula, "niveis": niveis})
    return configuracoes
