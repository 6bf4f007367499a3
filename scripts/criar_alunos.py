"""Cria um usuário por aluno no servidor com senha e dá a cada um EDIT só nos seus nomes.

    export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
    export MLFLOW_TRACKING_USERNAME=admin
    export MLFLOW_TRACKING_PASSWORD="$MLFLOW_AUTH_ADMIN_PASSWORD"
    python scripts/criar_alunos.py turma.csv
    python scripts/criar_alunos.py turma.csv --conferir   # só confere o CSV, sem servidor

O CSV tem o cabeçalho `aluno,senha` e um aluno por linha (regras em curso_mlops/turma.py).
Para cada aluno: o usuário, os experimentos `tempo-entrega-<aluno>` e
`tempo-entrega-monitoramento-<aluno>` e o modelo registrado `tempo_entrega_<aluno>`, com EDIT
para ele. Com --permissao MANAGE ele também pode apagar aliases, versões e os próprios
recursos e repassar permissão neles: é o que a aula 08 precisa (ela apaga o alias
`challenger`); com EDIT, o curso inteiro para nela com 403.
Rodar de novo é seguro: o que já existe é mantido (inclusive a senha de quem já tinha usuário).

Saída 0 quando deu certo; 1 com `erro: ...` quando não (CSV com problema, sem credenciais,
servidor sem o app de senha).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from curso_mlops import store, turma

# Aviso interno do MLflow 3.17 ao importar o cliente do servidor; não vem do curso.
warnings.filterwarnings("ignore", message=r"starlette\.middleware\.wsgi is deprecated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cria os alunos no servidor com senha (make server-auth).")
    parser.add_argument("csv", type=Path, help="arquivo com o cabeçalho aluno,senha")
    parser.add_argument("--tracking-uri", default=None,
                        help="o servidor (padrão: MLFLOW_TRACKING_URI)")
    parser.add_argument("--permissao", default="EDIT", choices=turma.PERMISSOES,
                        help="permissão de cada aluno nos seus recursos (padrão: EDIT)")
    parser.add_argument("--conferir", action="store_true",
                        help="só confere o CSV; não fala com o servidor")
    args = parser.parse_args(argv)
    try:
        alunos = turma.ler_arquivo(args.csv)
        if args.conferir:
            print(f"{args.csv.name}: {len(alunos)} aluno(s), todos válidos: "
                  + ", ".join(a.nome for a in alunos))
            return 0
        uri = args.tracking_uri or store.tracking_uri()
        resumo = turma.criar_alunos(alunos, uri, args.permissao)
    except (turma.ErroDaTurma, store.ErroDeStore) as erro:
        print(f"erro: {erro}", file=sys.stderr)
        return 1
    novos = sum(1 for r in resumo if r["usuario"] == "criado")
    print(f"pronto: {len(resumo)} aluno(s), {novos} usuário(s) novo(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
