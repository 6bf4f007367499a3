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
    camada     a camada de produção: um middleware ASGI na frente do app de previsão do MLflow
    producao   o servidor de produção (make serve-producao) e o app no processo (aula 09)
    carga      o teste de carga (make carga): clientes simultâneos, percentis, gráfico
    demonstracao  um champion guardado igual ao do curso, em segundos (testes, make carga)
    aula       a primeira célula de cada aula: saídas estáveis, nomes do aluno, pré-requisitos
    estatistica  os testes de drift por tipo de variável e o bootstrap do portão (aulas 07 e 08)
    docker     o Dockerfile de um modelo, como generate-dockerfile, sem outro processo (aula 06)
    kernel     o kernel dos notebooks: o ipykernel com o mesmo language_info em todo Python
    molde      o processo com os imports feitos de onde nascem (fork) os kernels do executor
    navegador  acha e abre o Chromium do sistema para o Playwright (capturas, testes)
    capturas   as fotos da MLflow UI de verdade (make capturas)
    painel     o painel da turma (make painel): quem fez qual aula, a partir do servidor
    exercicios os exercícios e a conferência de cada tentativa: conferir("06.2")
    copia_do_aluno  a cópia do curso sem as respostas dos exercícios (make aluno)
"""

__version__ = "0.1.0"
