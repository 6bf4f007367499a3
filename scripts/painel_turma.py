"""O painel da turma: quem fez qual aula, quais self-checks passam e quando cada aluno trabalhou.

    export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
    export MLFLOW_TRACKING_USERNAME=admin
    export MLFLOW_TRACKING_PASSWORD="$MLFLOW_AUTH_ADMIN_PASSWORD"
    python scripts/painel_turma.py                 # a tabela no terminal e build/painel.html
    python scripts/painel_turma.py --html outro.html
    python scripts/painel_turma.py --sem-html      # só o terminal

Só lê o servidor. As regras (quem é aluno, quando uma aula conta como feita) estão em
curso_mlops/painel.py e na tabela curso_mlops.aula.RASTROS.

Saída 0 quando deu certo; 1 com uma linha `erro: ...` quando não (sem credenciais, credenciais
erradas, usuário que não é administrador, servidor fora do ar).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from curso_mlops import painel
from curso_mlops.store import raiz_do_repositorio

# Aviso interno do MLflow 3.17 ao importar partes do servidor; não vem do curso.
warnings.filterwarnings("ignore", message=r"starlette\.middleware\.wsgi is deprecated")

RAIZ = raiz_do_repositorio()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Painel da turma: lê o servidor de tracking (só lê) e mostra o progresso.")
    parser.add_argument("--tracking-uri", default=None,
                        help="o servidor da turma (padrão: MLFLOW_TRACKING_URI)")
    parser.add_argument("--html", type=Path, default=RAIZ / painel.HTML_PADRAO,
                        help="onde gravar a página (padrão: build/painel.html)")
    parser.add_argument("--sem-html", action="store_true", help="só a tabela no terminal")
    parser.add_argument("--exercicios", default=painel.MODULO_EXERCICIOS, metavar="MODULO",
                        help=argparse.SUPPRESS)  # os testes trocam o módulo dos self-checks
    args = parser.parse_args(argv)
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
    try:
        painel.executar(uri, None if args.sem_html else args.html, args.exercicios)
    except painel.ErroDoPainel as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("erro: interrompido; nada foi gravado no servidor.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
