"""Portas de entrada da linha de comando do curso (make run, make data, make serve...).

Um pacote só para os testes importarem `scripts.treinar` sem truques; a lógica fica em
`curso_mlops`.
"""
