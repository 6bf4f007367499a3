# Comandos do curso. Cada alvo cria o .venv (a partir de requirements.txt) quando ele falta, e
# o recria do zero quando requirements.txt muda (um pin removido não fica para trás).
#
#   make run        executa o curso inteiro com papermill, no store do curso
#   make test       o lint (ruff) e todos os testes: unidades, dados, modelo, notebooks (nbval),
#                   API, turma
#   make test-rapido  só os testes sem notebook e sem servidor (< 1 min), sem o nbval, em
#                   paralelo (um processo por núcleo; PROCESSOS_DE_TESTE=0: um processo só)
#   make lint       só o ruff
#   make test-py313 o curso e o nbval estrito sob o Python 3.13 do Debian 13, num chroot (root;
#                   RECONSTRUIR=1 refaz o chroot; README, "Testes")
#   make lab        JupyterLab em notebooks/
#   make ui         MLflow UI em http://127.0.0.1:5000, mostrando o store do curso
#   make serve      serve models:/tempo_entrega@champion em http://127.0.0.1:5299 (o curl da aula)
#   make bench      mede a API (latência REST × predict no processo) e grava build/bench.json
#   make serve-producao  o champion com a camada de produção (limites, prazo, erros em português)
#                   em http://127.0.0.1:5399; TRABALHADORES=2 para dois processos do uvicorn
#   make carga      teste de carga: produção × mlflow models serve, 1 a 64 clientes, 1 e 2
#                   trabalhadores (uns 3 minutos); grava build/carga.json e build/carga.png.
#                   OPCOES_CARGA=--rapido: a versão de fumaça, em segundos
#   make notebooks  regenera as saídas guardadas dos notebooks num store novo
#   make capturas   fotografa a MLflow UI (Chromium headless) para notebooks/imagens/, num store novo
#   make data       regenera data/ a partir da semente (mesmos bytes)
#   make readme     atualiza o sumário do README a partir dos notebooks
#   make aluno      a cópia do aluno, sem as respostas dos exercícios: build/aluno/ (pasta e zip)
#   make painel     o painel da turma: lê o servidor (MLFLOW_TRACKING_URI, credenciais do admin)
#                   e mostra quem fez qual aula; tabela no terminal e build/painel.html
#   make clean      apaga build/ e caches (nunca o store: mlflow.db e mlartifacts/)

# O Python que cria o .venv: 3.11 ou mais novo. `make PYTHON=/caminho/python3.12` (ou a variável
# de ambiente PYTHON) vence; sem ela, o primeiro destes que funciona e é 3.11+. Cada candidato
# é executado de verdade: um atalho do pyenv sem a versão instalada não conta.
PYTHONS_CANDIDATOS := python3.14 python3.13 python3.12 python3.11 python3 python
VERSAO_MINIMA := (3, 11)
VENV := .venv
# Quem instala os requisitos no .venv: uv (mais rápido; cai no pip quando não serve) ou pip.
INSTALADOR ?= uv
UV_VERSAO := 0.13.9
COM_UV := $(VENV)/.instalado-com-uv
UV_INSTALAR = $(BIN)/python -m uv pip install -q --python $(BIN)/python --link-mode copy --no-cache
# Os certificados que o pip usa (PIP_CERT ou `cert` na configuração do pip: um proxy com uma CA
# própria) valem também para o uv, pelo SSL_CERT_FILE.
CERTIFICADOS_DO_PIP = certificado="$${PIP_CERT:-$$($(BIN)/python -m pip config get global.cert 2>/dev/null || true)}"; \
	if [ -n "$$certificado" ]; then export SSL_CERT_FILE="$$certificado"; fi
BIN := $(VENV)/bin
REQUISITOS := $(VENV)/.requisitos
STAMP := $(VENV)/.instalado
PORTA_UI ?= 5000
PORTA_API ?= 5299
PORTA_PRODUCAO ?= 5399
TRABALHADORES ?= 1
OPCOES_CARGA ?=
# Os marcadores do que é lento ou sobe servidor; o `make test-rapido` roda o resto.
MARCADORES_LENTOS := lento or servidor or turma or navegador
# Os processos do `make test-rapido` (pytest-xdist): auto = um por núcleo físico; 0 = nenhum
# processo a mais, tudo num só (para o --pdb, ou para ler a saída na ordem dos testes).
PROCESSOS_DE_TESTE ?= auto

# Os programas do .venv não vão para o PATH: tudo roda como $(BIN)/python -m ..., e os notebooks
# e scripts não dependem do PATH (como no JupyterLab ou num editor).

.PHONY: run test test-rapido lint test-py313 lab ui serve bench serve-producao carga notebooks capturas data readme aluno clean venv

venv: $(STAMP)

# requirements.txt mudou (ou não há .venv): apaga e cria de novo, do zero.
$(REQUISITOS): requirements.txt
	@py="$(PYTHON)"; \
	if [ -n "$$py" ]; then \
	  "$$py" -c 'import sys; sys.exit(sys.version_info[:2] < $(VERSAO_MINIMA))' >/dev/null 2>&1 || \
	  { echo "erro: PYTHON=$$py não é um Python 3.11 ou mais novo; instale o Python 3.11 a 3.14 (python.org, apt-get install python3 ou brew install python) ou aponte PYTHON= para um." >&2; exit 1; }; \
	else \
	  for candidato in $(PYTHONS_CANDIDATOS); do \
	    if "$$candidato" -c 'import sys; sys.exit(sys.version_info[:2] < $(VERSAO_MINIMA))' >/dev/null 2>&1; then py=$$candidato; break; fi; \
	  done; \
	  [ -n "$$py" ] || { echo "erro: o curso precisa do Python 3.11 ou mais novo (3.11 a 3.14) e nenhum foi achado ($(PYTHONS_CANDIDATOS)); instale um (python.org, apt-get install python3 ou brew install python) ou diga qual usar com make PYTHON=/caminho/python3.12." >&2; exit 1; }; \
	fi; \
	echo "criando o .venv do zero com $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV)
	@# Os requisitos vão com o uv (do PyPI, fixado em UV_VERSAO), que baixa e instala os pacotes
	@# em paralelo: ~10 s, contra ~50 s do pip, para o mesmo conjunto de versões. O pip fica
	@# quando o uv não serve: INSTALADOR=pip, um índice próprio na configuração do pip
	@# (index-url: o uv não lê o pip.conf e iria ao PyPI), ou o uv falhou (sem rede até o PyPI,
	@# nenhuma roda do uv para esta máquina); o pip completa o que o uv deixou pela metade.
	@# --no-cache: o uv não deixa um cache dos pacotes descompactados (~1 GB) na pasta pessoal.
	@if [ "$(INSTALADOR)" = uv ] && [ -z "$${PIP_INDEX_URL:-}" ] && \
	    ! $(BIN)/python -m pip config get global.index-url >/dev/null 2>&1; then \
	  $(CERTIFICADOS_DO_PIP); \
	  if $(BIN)/python -m pip install --disable-pip-version-check -q uv==$(UV_VERSAO) && \
	     $(UV_INSTALAR) -r requirements.txt; then \
	    touch $(COM_UV); exit 0; \
	  fi; \
	  echo "aviso: o uv não instalou os requisitos; instalando com o pip, que demora mais" >&2; \
	fi; \
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-compile -r requirements.txt
	@# O rfc3987-syntax vem só pelo extra format-nongpl do jsonschema (pedido pelo jupyter-events)
	@# e, ao ser importado, monta uma gramática do Lark: ~1,5 s de CPU em todo processo que
	@# importa o nbformat (o executor, o papermill, o nbval, o JupyterLab). Sem ele, o jsonschema
	@# só deixa de conferir o formato "iri", que nenhum esquema instalado usa (pip check: ok).
	@# Com o uv, se foi ele quem instalou (0,2 s, contra ~1 s só para o pip iniciar).
	@if [ -e $(COM_UV) ] && $(BIN)/python -m uv pip uninstall -q --python $(BIN)/python rfc3987-syntax; then :; \
	else $(BIN)/python -m pip uninstall --disable-pip-version-check -y -q rfc3987-syntax; fi
	@# Nem o uv nem o pip (com --no-compile) compilam os .pyc: o compileall -j 0 os compila, um
	@# processo por núcleo. Se os processos em paralelo não puderem subir (um chroot sem
	@# /dev/shm), compila num processo só; o que já compilou não é refeito. Um arquivo que não
	@# compila (código de outro Python dentro de um pacote) fica sem .pyc, como o pip faria. As
	@# pastas tests/ dos pacotes (um quarto dos arquivos: pandas, scipy, statsmodels...) ficam de
	@# fora: nada do curso as importa.
	@pacotes="$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"; \
	  $(BIN)/python -m compileall -qq -j 0 -x '/tests/' "$$pacotes" || \
	  $(BIN)/python -m compileall -qq -x '/tests/' "$$pacotes" || true
	@# O primeiro import do matplotlib monta o cache de fontes e avisa no stderr: que seja aqui,
	@# e não dentro de um notebook (o nbval compararia o aviso).
	$(BIN)/python -c "import matplotlib.pyplot"
	@# O kernel dos notebooks: o ipykernel com o mesmo language_info em todo Python (abrir um
	@# notebook no JupyterLab não o marca como modificado). Ver curso_mlops/kernel.py.
	$(BIN)/python -m curso_mlops.kernel instalar
	@touch $(REQUISITOS)

# pyproject.toml mudou: só reinstala o pacote do curso (editável), sem recriar o .venv.
$(STAMP): $(REQUISITOS) pyproject.toml
	@# Com o uv, se foi ele quem instalou os requisitos (senão, ou se ele falhar, o pip).
	@if [ -e $(COM_UV) ]; then \
	  $(CERTIFICADOS_DO_PIP); \
	  if $(UV_INSTALAR) --no-deps -e .; then exit 0; fi; \
	  echo "aviso: o uv não instalou o pacote do curso; instalando com o pip" >&2; \
	fi; \
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run_course.py

lint: $(STAMP)
	$(BIN)/python -m ruff check .

# Lint primeiro (segundos), depois todos os testes (o nbval dos notebooks e tests/), em paralelo
# (pytest-xdist, um processo por núcleo; PROCESSOS_DE_TESTE=0: um processo só). --dist loadgroup:
# o nbval e tudo o que usa as execuções compartilhadas do curso ou a turma vão juntos para um
# processo (o grupo `curso`, conftest.py da raiz); o resto vai por arquivo, para quem estiver livre.
test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -n $(PROCESSOS_DE_TESTE) --dist loadgroup

# O ciclo de edição: nenhum notebook, nenhum servidor, sem o nbval (addopts sem --nbval), em
# paralelo. Cada processo do xdist é uma sessão do pytest: as fixtures de sessão, o store
# temporário (conftest.py) e as pastas temporárias são dele. --dist loadfile: os testes de um
# arquivo vão para o mesmo processo, e uma fixture de módulo cara (o champion registrado, o
# subprocesso que importa o pacote inteiro) roda uma vez só.
test-rapido: $(STAMP)
	$(BIN)/python -m pytest tests -p no:nbval -o addopts=-ra -m "not ($(MARCADORES_LENTOS))" \
	  -n $(PROCESSOS_DE_TESTE) --dist loadfile

# Não usa o .venv desta máquina: o script cria um .venv próprio, dentro do chroot.
test-py313:
	scripts/testar_outro_python.sh $(if $(RECONSTRUIR),--reconstruir)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

ui: $(STAMP)
	$(BIN)/python scripts/mlflow_ui.py --porta $(PORTA_UI)

serve: $(STAMP)
	$(BIN)/python scripts/servir.py --porta $(PORTA_API)

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

serve-producao: $(STAMP)
	$(BIN)/python scripts/servir_producao.py --porta $(PORTA_PRODUCAO) --trabalhadores $(TRABALHADORES)

carga: $(STAMP)
	$(BIN)/python scripts/carga.py $(OPCOES_CARGA)

notebooks: $(STAMP)
	$(BIN)/python scripts/run_course.py --fresh --in-place
	$(BIN)/python scripts/gerar_sumario.py

# Executa o curso num store temporário, sobe a MLflow UI sobre ele e tira as fotos com o
# Chromium do sistema (pacote chromium do Debian); só troca as imagens se todas saírem.
capturas: $(STAMP)
	$(BIN)/python scripts/capturas.py

data: $(STAMP)
	$(BIN)/python scripts/make_data.py

readme: $(STAMP)
	$(BIN)/python scripts/gerar_sumario.py

# A cópia para entregar à turma: os arquivos do git, sem as células de resposta dos notebooks e
# sem os arquivos só do instrutor (curso_mlops/copia_do_aluno.py).
aluno: $(STAMP)
	$(BIN)/python scripts/copia_do_aluno.py

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find notebooks -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
	@echo "O store (mlflow.db e mlartifacts/) foi mantido. Para recomeçar do zero, apague-os à mão."

# --- O servidor de tracking da turma (README, "Para a turma") ---------------------------------
#   make server        mlflow server em http://127.0.0.1:5000, em segundo plano: banco SQLite
#                      servidor/mlflow.db, artefatos pelo servidor (servidor/artefatos), log e
#                      arquivo pid em servidor/
#   make server BACKEND_URI=postgresql://curso@127.0.0.1:5432/mlflow   o banco é um PostgreSQL
#   make server-auth   o mesmo, com usuários e senhas (app basic-auth do MLflow); precisa de
#                      MLFLOW_FLASK_SERVER_SECRET_KEY e MLFLOW_AUTH_ADMIN_PASSWORD no ambiente
#   make server-stop   para exatamente o servidor iniciado por make server ou make server-auth
# Outras variáveis: PORTA_SERVIDOR (5000), ARTEFATOS (ex.: s3://bucket/mlflow) e, com senha,
# PERMISSAO_PADRAO (READ: cada aluno vê o que é dos colegas; NO_PERMISSIONS: não vê).
PORTA_SERVIDOR ?= 5000
BACKEND_URI ?=
ARTEFATOS ?=
PERMISSAO_PADRAO ?=
OPCOES_SERVIDOR = --porta $(PORTA_SERVIDOR) $(if $(BACKEND_URI),--backend-uri '$(BACKEND_URI)') $(if $(ARTEFATOS),--artefatos '$(ARTEFATOS)') $(if $(PERMISSAO_PADRAO),--permissao-padrao $(PERMISSAO_PADRAO))

.PHONY: server server-auth server-stop painel

# Sem eco (@): o URI do banco pode ter senha.
server: $(STAMP)
	@$(BIN)/python scripts/servidor_tracking.py iniciar $(OPCOES_SERVIDOR)

server-auth: $(STAMP)
	@$(BIN)/python scripts/servidor_tracking.py iniciar --auth $(OPCOES_SERVIDOR)

# Sem depender do .venv atualizado: parar nunca reinstala nada.
server-stop:
	@$(BIN)/python scripts/servidor_tracking.py parar

# O painel da turma (README, "Para a turma"): só lê o servidor de MLFLOW_TRACKING_URI, com
# MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD do administrador; escreve build/painel.html.
painel: $(STAMP)
	@$(BIN)/python scripts/painel_turma.py
