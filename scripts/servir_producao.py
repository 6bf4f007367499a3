"""Serve o champion do curso com a camada de produção (o alvo `make serve-producao`).

    python scripts/servir_producao.py                    # models:/tempo_entrega@champion em http://127.0.0.1:5399
    python scripts/servir_producao.py --porta 5400 --trabalhadores 2
    python scripts/servir_producao.py --help             # os limites: --limite-corpo, --profundidade, --prazo

É o app de previsão que o próprio MLflow monta (o mesmo de `mlflow models serve`), sob o
uvicorn, com a camada `curso_mlops.camada` na frente: corpo até 1 MiB (413), JSON até 32 níveis
(400), Content-Type conferido (415), prazo de 10 s por pedido (504) e respostas de erro em
português, sem *stack trace* e sem ecoar o pedido. O pedido da aula responde byte a byte como
no `make serve`. Em outro terminal:

    curl http://localhost:5399/invocations -H "Content-Type: application/json" \\
        -d '{"dataframe_records": [{"distancia": 20}]}'

Antes de subir, confere que o store tem o champion (senão, manda rodar `make run`) e que a
porta está livre. Para com Ctrl+C ou SIGTERM, sem deixar processo para trás. Tudo está em
`curso_mlops.producao.main`; este arquivo só a chama.
"""

import sys

from curso_mlops import producao

if __name__ == "__main__":
    sys.exit(producao.main())
