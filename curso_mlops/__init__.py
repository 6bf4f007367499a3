"""Pacote de apoio do curso "Deployment de modelos com MLflow".

Só encanamento (store do MLflow, leitura de dados com contrato, execução dos notebooks);
o que a aula ensina fica no notebook. Importar o pacote não faz nada: nenhum arquivo é
criado e nenhuma variável de ambiente é alterada até que uma função seja chamada.

Módulos:
    store      onde o MLflow guarda runs, modelos e artefatos
    dados      leitura dos CSVs com contrato (colunas, tipos, faixas)
    notebooks  lista, títulos e normalização dos notebooks do curso
    ambiente   requisitos de pip dos modelos, tirados de requirements.txt
    modelagem  métricas (inclusive a de negócio) e colunas de uma fórmula
    graficos   gráficos de resíduos e de comparação de candidatos
    servidor   um `mlflow models serve` controlado (aulas 06 e 08, testes)
    guarda     o modelo pyfunc que valida a entrada antes do modelo base
    drift      PSI e a regra de alertas do monitoramento (aula 07)
    nomes      os nomes do curso com o espaço de cada aluno (ALUNO)
    servidor_tracking  o `mlflow server` da turma (make server, server-auth, server-stop)
    turma      usuários e permissões da turma no servidor com senha (criar_alunos.py)
    postgres_local     um PostgreSQL descartável para os testes do servidor
    camada     a camada de produção: um middleware ASGI na frente do app de previsão do MLflow
    producao   o servidor de produção (make serve-producao) e o app no processo (aula 09)
    carga      o teste de carga (make carga): clientes simultâneos, percentis, gráfico
    demonstracao  um champion guardado igual ao do curso, em segundos (testes, make carga)
"""

__version__ = "0.1.0"
