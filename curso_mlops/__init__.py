"""Pacote de apoio do curso "Deployment de modelos com MLflow".

Só encanamento (store do MLflow, leitura de dados com contrato, execução dos notebooks);
o que a aula ensina fica no notebook. Importar o pacote não faz nada: nenhum arquivo é
criado e nenhuma variável de ambiente é alterada até que uma função seja chamada.

Módulos:
    store      onde o MLflow guarda runs, modelos e artefatos
    dados      leitura dos CSVs com contrato (colunas, tipos, faixas)
    notebooks  lista, títulos e normalização dos notebooks do curso
"""

__version__ = "0.1.0"
