"""Pacote de apoio do curso "Deployment de modelos com MLflow".

Só encanamento (store do MLflow, leitura de dados com contrato, processos, execução dos
notebooks); o que a aula ensina fica no notebook. Importar o pacote não faz nada: nenhum
arquivo é criado, nenhuma variável de ambiente é alterada e nenhum processo é iniciado até que
uma função seja chamada (tests/unidade/test_pacote.py confere módulo a módulo).

Módulos (o teste de cada um é tests/unidade/test_<módulo>.py):
    store      onde o MLflow guarda runs, modelos e artefatos
    dados      leitura dos CSVs com contrato (colunas, tipos, faixas)
    simulacao  a geração determinística dos dados simulados (make data)
    notebooks  lista, leitura/escrita (nbformat), parâmetros, títulos e metadados dos notebooks
    executor   o executor do curso com papermill (make run, make notebooks)
    ambiente   requisitos de pip dos modelos, tirados de requirements.txt
    modelagem  métricas (inclusive a de negócio) e colunas de uma fórmula
    graficos   gráficos de resíduos e de comparação de candidatos
    processos  portas, iniciar/esperar/parar grupos de processos, "este PID é nosso?"
    servidor   um `mlflow models serve` controlado (aulas 06 e 08, testes)
    cronometro aquecimento, N chamadas cronometradas e o resumo p50/p95 (make bench, aula 06)
    guarda     o modelo pyfunc que valida a entrada antes do modelo base
    drift      PSI e a regra de alertas do monitoramento (aula 07)
    nomes      os nomes do curso com o espaço de cada aluno (ALUNO)
    servidor_tracking  o `mlflow server` da turma (make server, server-auth, server-stop)
    basic_auth os segredos e o ini do app de senha do servidor (make server-auth)
    turma      usuários, senhas e permissões da turma no servidor com senha (criar_alunos.py)
"""

__version__ = "0.1.0"
