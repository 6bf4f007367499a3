"""Os nomes do curso e o espaço de cada aluno numa turma com servidor compartilhado.

Numa turma, todos gravam no mesmo servidor de tracking. Para um aluno não pisar nos runs e
modelos de outro, o parâmetro `ALUNO` acrescenta um sufixo a cada experimento e modelo
registrado. Vazio, valem os nomes da aula (`tempo-entrega`, `tempo_entrega`):

    ALUNO          experimento            monitoramento                         modelo registrado
    ""             tempo-entrega          tempo-entrega-monitoramento           tempo_entrega
    "ana"          tempo-entrega-ana      tempo-entrega-monitoramento-ana       tempo_entrega_ana

A regra está num lugar só (`nome_com_aluno`), usada pelos notebooks, pelo executor
(`scripts/run_course.py --aluno`) e pelo script do instrutor (`scripts/criar_alunos.py`), que
dá a cada aluno permissão só nos nomes dele.

Os exercícios têm dois espaços à parte, que nenhuma aula lê (`curso_mlops.exercicios`):

    ALUNO   tentativas do aluno (exercícios)                 respostas comentadas (gabarito)
    ""      tempo-entrega-exercicios / tempo_entrega_exercicios   tempo-entrega-respostas / tempo_entrega_respostas
    "ana"   tempo-entrega-exercicios-ana / ..._exercicios_ana     tempo-entrega-respostas-ana / ..._respostas_ana

As tentativas vão para o primeiro, e é nele que `conferir` procura; as células de resposta
gravam só no segundo. Assim, nem as aulas nem as respostas mudam o veredito de um exercício.

O valor de ALUNO: letras minúsculas sem acento, dígitos e hífen (`ana`, `joao-silva`, `aluno07`),
começando por letra ou dígito, sem hífen no fim nem dois seguidos, até 40 caracteres. Ele é
também o nome de usuário do aluno no servidor com senha. Não pode começar por `monitoramento`:
o experimento do aluno `monitoramento-x` se chamaria `tempo-entrega-monitoramento-x`, o mesmo
nome do monitoramento do aluno `x`. Pelo mesmo motivo, não pode começar por `exercicios` nem
por `respostas`.
"""

from __future__ import annotations

import re
import unicodedata

EXPERIMENTO = "tempo-entrega"
EXPERIMENTO_MONITORAMENTO = "tempo-entrega-monitoramento"
MODELO = "tempo_entrega"
# Os espaços dos exercícios (as tentativas do aluno) e das respostas comentadas: nenhuma aula os lê.
EXERCICIOS = "exercicios"
RESPOSTAS = "respostas"

TAMANHO_MAXIMO = 40
_PADRAO_ALUNO = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RESERVADO = "monitoramento"
_RESERVADOS_DOS_EXERCICIOS = ("exercicios", "respostas")


class ErroDeNome(ValueError):
    """O valor de ALUNO (ou um nome derivado dele) não pode ser usado."""


def validar_aluno(aluno: str | None) -> str:
    """Devolve o valor de ALUNO conferido (sem espaços nas pontas); "" ou None viram "".

    Levanta ErroDeNome, em português, quando o valor não segue a regra do módulo.
    """
    if aluno is None:
        return ""
    if not isinstance(aluno, str):
        raise ErroDeNome(f"ALUNO deve ser um texto, não {type(aluno).__name__} ({aluno!r}).")
    valor = aluno.strip()
    if not valor:
        return ""
    regra = ("use só letras minúsculas sem acento, dígitos e hífen, começando por letra ou "
             "dígito, sem hífen no fim nem dois seguidos (ex.: ana, joao-silva, aluno07)")
    if len(valor) > TAMANHO_MAXIMO:
        raise ErroDeNome(f"ALUNO={valor!r} é longo demais ({len(valor)} caracteres; o máximo "
                         f"é {TAMANHO_MAXIMO}).")
    if not _PADRAO_ALUNO.match(valor):
        sugestao = sugerir_aluno(valor)
        dica = f" Tente {sugestao!r}." if sugestao and sugestao != valor else ""
        raise ErroDeNome(f"ALUNO={valor!r} não é um nome válido: {regra}.{dica}")
    if valor.startswith(_RESERVADO):
        raise ErroDeNome(
            f"ALUNO={valor!r} não pode começar por {_RESERVADO!r}: o experimento desse aluno "
            f"teria o mesmo nome do experimento de monitoramento de outro. Escolha outro nome.")
    for reservado in _RESERVADOS_DOS_EXERCICIOS:
        if valor.startswith(reservado):
            raise ErroDeNome(
                f"ALUNO={valor!r} não pode começar por {reservado!r}: o experimento desse aluno "
                f"teria o mesmo nome do espaço de {reservado} de outro. Escolha outro nome.")
    return valor


def sugerir_aluno(texto: str) -> str:
    """Um valor válido parecido com `texto` ('João Silva' -> 'joao-silva'), ou "" se não há."""
    sem_acento = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    sugestao = re.sub(r"[^a-z0-9]+", "-", sem_acento.lower()).strip("-")[:TAMANHO_MAXIMO].strip("-")
    reservados = (_RESERVADO, *_RESERVADOS_DOS_EXERCICIOS)
    return sugestao if _PADRAO_ALUNO.match(sugestao) and not sugestao.startswith(reservados) else ""


def nome_com_aluno(base: str, aluno: str | None = "", separador: str = "-") -> str:
    """`base` com o sufixo do aluno: `base + separador + aluno`, ou só `base` se ALUNO é vazio.

    Experimentos usam hífen (`tempo-entrega-ana`) e modelos registrados, sublinhado
    (`tempo_entrega_ana`), como os nomes da aula.
    """
    if not base or not base.strip():
        raise ErroDeNome("O nome base não pode ser vazio.")
    if separador not in ("-", "_"):
        raise ErroDeNome(f"Separador {separador!r} inválido: use '-' ou '_'.")
    valor = validar_aluno(aluno)
    return f"{base}{separador}{valor}" if valor else base


def experimento(aluno: str | None = "") -> str:
    """O experimento do curso: `tempo-entrega` ou `tempo-entrega-<aluno>`."""
    return nome_com_aluno(EXPERIMENTO, aluno, "-")


def experimento_monitoramento(aluno: str | None = "") -> str:
    """O experimento do monitoramento (aula 07): `tempo-entrega-monitoramento[-<aluno>]`."""
    return nome_com_aluno(EXPERIMENTO_MONITORAMENTO, aluno, "-")


def modelo(aluno: str | None = "") -> str:
    """O modelo registrado: `tempo_entrega` ou `tempo_entrega_<aluno>`."""
    return nome_com_aluno(MODELO, aluno, "_")


def nomes_do_aluno(aluno: str | None = "") -> dict[str, str]:
    """Os três nomes de um aluno: experimento, monitoramento e modelo registrado."""
    return {"experimento": experimento(aluno),
            "monitoramento": experimento_monitoramento(aluno),
            "modelo": modelo(aluno)}


def experimento_exercicios(aluno: str | None = "") -> str:
    """Onde as tentativas dos exercícios gravam: `tempo-entrega-exercicios[-<aluno>]`."""
    return nome_com_aluno(f"{EXPERIMENTO}-{EXERCICIOS}", aluno, "-")


def modelo_exercicios(aluno: str | None = "") -> str:
    """O modelo registrado das tentativas: `tempo_entrega_exercicios[_<aluno>]`."""
    return nome_com_aluno(f"{MODELO}_{EXERCICIOS}", aluno, "_")


def experimento_respostas(aluno: str | None = "") -> str:
    """Onde as células de resposta gravam: `tempo-entrega-respostas[-<aluno>]`."""
    return nome_com_aluno(f"{EXPERIMENTO}-{RESPOSTAS}", aluno, "-")


def modelo_respostas(aluno: str | None = "") -> str:
    """O modelo registrado das respostas: `tempo_entrega_respostas[_<aluno>]`."""
    return nome_com_aluno(f"{MODELO}_{RESPOSTAS}", aluno, "_")
