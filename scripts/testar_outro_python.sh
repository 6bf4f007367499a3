#!/usr/bin/env bash
# Roda o curso e o nbval estrito sob o python3 do Debian 13 (trixie), o Python 3.13, num
# chroot: prova que o kit funciona num segundo interpretador, além do Python da máquina.
#
#   sudo scripts/testar_outro_python.sh                # o mesmo que `sudo make test-py313`
#   sudo scripts/testar_outro_python.sh --reconstruir  # refaz o chroot do zero antes
#   sudo scripts/testar_outro_python.sh --apagar       # apaga o chroot e sai
#
# Precisa de root (debootstrap, mount, chroot, unshare). O que faz:
#  1. Constrói uma vez, e depois reaproveita, um Debian 13 mínimo com
#     `debootstrap --variant=minbase` a partir do espelho que o apt desta máquina já usa (lido
#     de /etc/apt/sources.list*). Fica em /var/tmp/curso-mlops-py313 (PY313_DIR=outra/pasta),
#     fora do repositório: `make clean` e `git clean` nunca passam por ele. Instala o
#     debootstrap com o apt se ele faltar.
#  2. Copia para dentro o pacote de certificados (CA) e o /etc/resolv.conf da máquina, e a
#     configuração do pip da máquina (/etc/pip.conf, /etc/xdg/pip, ~/.config/pip, ~/.pip e as
#     variáveis PIP_*): o pip de dentro chega aos mesmos índices que o de fora. Pastas locais
#     que essa configuração cita (find-links, índices file://) entram só para leitura.
#  3. Põe numa pasta pessoal nova (/root, um tmpfs) uma cópia limpa do commit atual (HEAD) do
#     repositório, nunca o .venv nem o que não foi commitado, e cria o .venv dela com o python3
#     do chroot: `make venv PYTHON=python3`. Cada execução começa do zero e nada disso fica no
#     disco (o chroot em si não muda de uma execução para outra).
#  4. Roda o curso (`scripts/run_course.py --fresh`) e o nbval estrito dos notebooks num
#     namespace de rede novo, só com `lo` (unshare -n): sem rede, e os servidores que o curso
#     sobe em 127.0.0.1 nunca esbarram nas portas da máquina. Os notebooks executados pelo curso
#     são copiados para build/py313/executed/ do repositório. Depois, os testes do molde dos
#     kernels (curso_mlops/molde.py), que o curso usaria sem avisar se ele recusasse.
#
# Montagens (/proc, /sys, /dev, /dev/shm, /dev/pts, /tmp, /root) e processos ficam em
# namespaces próprios (unshare --mount --pid): somem quando a execução termina, mesmo com erro
# ou Ctrl-C, e a máquina nunca fica com montagem ou processo para trás. Sai com código diferente
# de zero, e uma linha dizendo a etapa, se qualquer etapa falhar.
#
# Variáveis: PY313_DIR (onde fica o chroot), PY313_ESPELHO (espelho do Debian; padrão: o do
# apt), PY313_PRAZO (segundos por etapa; padrão 1800), PY313_PYTEST (opções a mais para o
# pytest do nbval, ex.: "-vv" para ver as diferenças inteiras).
set -euo pipefail

SUITE=trixie
# curl: a aula 06 roda o curl da aula de verdade (sem ele, a saída muda: ela avisa e usa Python).
PACOTES=python3,python3-venv,make,git,ca-certificates,curl
DIR=${PY313_DIR:-/var/tmp/curso-mlops-py313}
PRAZO=${PY313_PRAZO:-1800}
OPCOES_PYTEST=${PY313_PYTEST:-}
MARCA=.curso-mlops-chroot            # arquivo do chroot pronto, com a receita que o fez
REPO_DENTRO=/root/curso              # onde a cópia do repositório fica, vista de dentro
PATH_DENTRO=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LANG_DENTRO=C.UTF-8                  # o Debian mínimo só tem o C.UTF-8 (vem na libc)

falha() {
    echo "erro: test-py313: $*" >&2
    exit 1
}

agora() { date +%s.%N; }
segundos_desde() { awk -v a="$1" -v b="$(agora)" 'BEGIN { printf "%.0f", b - a }'; }

# Grava "nome segundos situação" no arquivo de tempos que a parte de fora lê no fim.
anotar() { echo "$1 $2 $3" >> "$ARQUIVO_TEMPOS"; }

# --- O que roda dentro dos namespaces (o script chama a si mesmo via unshare) ----------------

# Monta e registra, para desmontar na ordem inversa ao sair. O namespace de montagem é
# privado: mesmo sem este trap, nada disso aparece fora dele nem sobrevive a ele.
MONTADOS=()
desmontar_ate() {  # desmonta o que foi montado depois dos N primeiros
    local i
    for ((i = ${#MONTADOS[@]} - 1; i >= $1; i--)); do
        umount -l "${MONTADOS[i]}" 2>/dev/null || true
        unset 'MONTADOS[i]'
    done
}
montar() {  # montar [opções do mount...] ALVO
    mount "$@"
    MONTADOS+=("${!#}")
}
montar_sistema() {
    local d
    montar -t proc -o nosuid,nodev,noexec proc "$DIR/proc"
    montar -t sysfs -o ro,nosuid,nodev,noexec sysfs "$DIR/sys"
    # Um /dev mínimo: tmpfs com só os dispositivos de que programas comuns precisam.
    montar -t tmpfs -o mode=755,nosuid,size=64k tmpfs "$DIR/dev"
    for d in null zero full random urandom tty; do
        touch "$DIR/dev/$d"
        montar --bind "/dev/$d" "$DIR/dev/$d"
    done
    ln -s /proc/self/fd "$DIR/dev/fd"
    ln -s /proc/self/fd/0 "$DIR/dev/stdin"
    ln -s /proc/self/fd/1 "$DIR/dev/stdout"
    ln -s /proc/self/fd/2 "$DIR/dev/stderr"
    mkdir "$DIR/dev/shm" "$DIR/dev/pts"
    montar -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$DIR/dev/shm"
    montar -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$DIR/dev/pts"
    ln -s pts/ptmx "$DIR/dev/ptmx"
    montar -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$DIR/tmp"
    # A pasta pessoal, com a cópia do repositório e o .venv: nova a cada execução.
    montar -t tmpfs -o mode=700,nosuid,nodev tmpfs "$DIR/root"
}

copiar_para_dentro() {  # copiar_para_dentro ORIGEM [DESTINO visto de dentro]
    local destino="$DIR${2:-$1}"
    mkdir -p "$(dirname "$destino")"
    cp -L "$1" "$destino"
}

# Certificados, resolvedor e a configuração do pip desta máquina, nos mesmos caminhos.
PASTAS_DO_PIP=()
preparar_rede_e_pip() {
    copiar_para_dentro /etc/ssl/certs/ca-certificates.crt
    copiar_para_dentro /etc/resolv.conf
    copiar_para_dentro /etc/hosts
    rm -rf "$DIR/etc/xdg/pip" "$DIR/etc/pip.conf"
    [ ! -f /etc/pip.conf ] || copiar_para_dentro /etc/pip.conf
    if [ -d /etc/xdg/pip ]; then mkdir -p "$DIR/etc/xdg"; cp -rL /etc/xdg/pip "$DIR/etc/xdg/pip"; fi
    local f
    for f in .config/pip/pip.conf .pip/pip.conf; do
        [ ! -f "${HOME:-/root}/$f" ] || copiar_para_dentro "${HOME:-/root}/$f" "/root/$f"
    done
    [ -z "${PIP_CONFIG_FILE:-}" ] || [ ! -f "$PIP_CONFIG_FILE" ] || copiar_para_dentro "$PIP_CONFIG_FILE"
    # Os caminhos locais que a configuração cita: arquivos (constraints, certificados) são
    # copiados; pastas (find-links, índices file://) entram só para leitura na instalação.
    local valor caminho
    set -f
    for valor in $( { python3 -m pip config list 2>/dev/null || true; } \
                    | sed -n -E "s/^[^=]+='(.*)'$/\1/p"; env | sed -n -E 's/^PIP_[A-Z_]+=//p'); do
        caminho=${valor#file://}
        case "$caminho" in /*) ;; *) continue ;; esac
        if [ -f "$caminho" ]; then
            copiar_para_dentro "$caminho"
        elif [ -d "$caminho" ]; then
            # Um índice ".../simple" aponta para arquivos ao lado dele (../../files): a pasta-mãe.
            [ "$(basename "$caminho")" != simple ] || caminho=$(dirname "$caminho")
            case " ${PASTAS_DO_PIP[*]} " in *" $caminho "*) ;; *) PASTAS_DO_PIP+=("$caminho") ;; esac
        fi
    done
    set +f
}

# Uma cópia limpa do commit: um repositório git novo (a aula 09 registra o commit do git).
copiar_repositorio() {
    git init --quiet "$DIR$REPO_DENTRO"
    git -C "$DIR$REPO_DENTRO" fetch --quiet --no-tags "$RAIZ" HEAD \
        && git -C "$DIR$REPO_DENTRO" checkout --quiet --detach FETCH_HEAD \
        || falha "não consegui copiar o commit ${COMMIT:0:12} para o chroot"
    [ "$(git -C "$DIR$REPO_DENTRO" rev-parse HEAD)" = "$COMMIT" ] \
        || falha "a cópia no chroot não é o commit ${COMMIT:0:12}"
    echo "repositório: commit ${COMMIT:0:12} copiado para $REPO_DENTRO no chroot"
}

# Roda um comando no chroot com um ambiente limpo, como o de um aluno numa máquina nova: nada
# do ambiente desta máquina (nem MLFLOW_*, PYTHONDONTWRITEBYTECODE, OPENBLAS_*), só as
# atribuições VAR=valor dadas antes de `--` (o pip recebe as PIP_*).
comando_no_chroot() {  # monta em CMD a linha de comando; não roda nada
    local extras=()
    while [ "$1" != "--" ]; do extras+=("$1"); shift; done
    shift
    CMD=(chroot "$DIR" /usr/bin/env -i HOME=/root LANG="$LANG_DENTRO" TERM="${TERM:-dumb}"
         PATH="$REPO_DENTRO/.venv/bin:$PATH_DENTRO" "${extras[@]}"
         /bin/bash -c "cd $REPO_DENTRO && $1")
}
no_chroot() {
    comando_no_chroot "$@"
    "${CMD[@]}"
}

# Uma etapa com prazo, cronometrada e anotada. Em primeiro plano (--foreground): o Ctrl-C chega
# ao curso como chegaria fora do chroot, e o curso para os próprios servidores.
etapa() {  # etapa NOME [VAR=valor...] -- COMANDO
    local nome=$1 inicio rc=0 segundos
    shift
    comando_no_chroot "$@"
    inicio=$(agora)
    timeout --foreground --kill-after=30 "$PRAZO" "${CMD[@]}" || rc=$?
    segundos=$(segundos_desde "$inicio")
    [ "$rc" -ne 124 ] || echo "erro: a etapa passou do prazo de $PRAZO s (PY313_PRAZO)" >&2
    anotar "$nome" "$segundos" "$([ "$rc" -eq 0 ] && echo ok || echo FALHOU)"
    echo "tempo ($nome): $segundos s"
    return "$rc"
}

# O processo 1 dos namespaces de montagem e de processos (a rede ainda é a da máquina).
dentro_principal() {
    trap 'desmontar_ate 0' EXIT
    trap 'exit 130' INT TERM
    montar_sistema
    preparar_rede_e_pip
    copiar_repositorio
    no_chroot -- 'echo "python3 do chroot: $(python3 --version) ($(. /etc/os-release; echo "$PRETTY_NAME"))"'

    echo "== instalando o .venv no chroot: make venv PYTHON=python3 =="
    local n_montados=${#MONTADOS[@]} pasta
    for pasta in "${PASTAS_DO_PIP[@]}"; do
        mkdir -p "$DIR$pasta"
        montar --bind "$pasta" "$DIR$pasta"
        mount -o remount,bind,ro "$DIR$pasta"
    done
    local variaveis_pip=() v
    while IFS= read -r v; do variaveis_pip+=("$v"); done < <(env | grep '^PIP_' || true)
    etapa instalar "${variaveis_pip[@]}" -- "make venv PYTHON=python3" || return 1
    desmontar_ate "$n_montados"   # o teste não vê os índices locais do pip

    # O teste, num namespace de rede novo (só lo), com as mesmas montagens e processos.
    local rc=0
    unshare --net -- "$BASH" "$0" --_dentro testar || rc=$?
    if [ -d "$DIR$REPO_DENTRO/build/executed" ]; then
        rm -rf "$SAIDA"
        mkdir -p "$(dirname "$SAIDA")"
        cp -r "$DIR$REPO_DENTRO/build/executed" "$SAIDA"
        echo "notebooks executados sob o Python 3.13: $SAIDA"
    fi
    return "$rc"
}

dentro_testar() {
    trap 'exit 130' INT TERM
    ip link set lo up
    echo "rede do teste: $(ip -o link show | awk -F': ' '{print $2}' | paste -sd' ') (sem acesso à rede)"
    no_chroot -- 'echo "python do .venv: $(python --version)"'
    local rc=0
    echo "== curso: python scripts/run_course.py --fresh (Python 3.13) =="
    etapa curso -- "python scripts/run_course.py --fresh" || rc=1
    echo "== nbval estrito dos notebooks (Python 3.13) =="
    etapa nbval -- "python -m pytest notebooks/ --nbval \
        --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $OPCOES_PYTEST" || rc=1
    # O molde recusa em silêncio (o curso cai nos kernels de sempre, só mais lento): os testes
    # dele, com kernels de verdade, provam que sob este Python ele bifurca e serve as aulas.
    echo "== o molde dos kernels (Python 3.13) =="
    etapa molde -- "python -m pytest tests/unidade/test_molde.py tests/notebooks/test_molde.py \
        -p no:cacheprovider $OPCOES_PYTEST" || rc=1
    return "$rc"
}

if [ "${1:-}" = "--_dentro" ]; then
    "dentro_$2"
    exit $?
fi

# --- A parte de fora: confere, constrói o chroot e chama a parte de dentro -------------------

uso() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
RECONSTRUIR=0
APAGAR=0
for opcao in "$@"; do
    case "$opcao" in
        --reconstruir) RECONSTRUIR=1 ;;
        --apagar) APAGAR=1 ;;
        -h|--ajuda|--help) uso; exit 0 ;;
        *) uso >&2; falha "opção desconhecida: $opcao" ;;
    esac
done

[ "$(uname -s)" = Linux ] || falha "só roda em Linux (debootstrap, chroot e namespaces)"
[ "$(id -u)" -eq 0 ] || falha "precisa de root (debootstrap, mount, chroot): rode 'sudo make test-py313'"
case "$DIR" in
    /*) ;;
    *) falha "PY313_DIR precisa ser um caminho absoluto: $DIR" ;;
esac
[ "$DIR" != / ] && [[ "$DIR" != *[[:space:]]* ]] || falha "PY313_DIR inválido: '$DIR'"
DIR=${DIR%/}
RAIZ=$(cd "$(dirname "$0")/.." && pwd)
SAIDA=$RAIZ/build/py313/executed
for programa in unshare chroot mount ip git flock timeout; do
    command -v "$programa" >/dev/null 2>&1 || falha "falta o programa '$programa' nesta máquina"
done

montado_embaixo() {  # há alguma montagem em $1 ou abaixo dele?
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { achou = 1 } END { exit !achou }' /proc/self/mountinfo
}
apagar_pasta() {
    [ -e "$1" ] || return 0
    ! montado_embaixo "$1" || falha "há algo montado em $1; desmonte antes (findmnt -R $1)"
    rm -rf --one-file-system "$1"
}

# Uma execução por vez sobre o mesmo chroot.
mkdir -p "$(dirname "$DIR")"
exec 9> "$DIR.lock"
flock -n 9 || falha "outro test-py313 já está usando $DIR (trava $DIR.lock)"

ARQUIVO_TEMPOS=$(mktemp /tmp/test-py313-tempos.XXXXXX)
trap 'rm -f "$ARQUIVO_TEMPOS"' EXIT
trap 'echo "erro: test-py313: interrompido" >&2; exit 130' INT TERM

if [ "$APAGAR" -eq 1 ]; then
    [ ! -e "$DIR" ] || [ -e "$DIR/$MARCA" ] || [ -z "$(ls -A "$DIR")" ] \
        || falha "$DIR não parece um chroot do test-py313 (falta $MARCA); não apago"
    apagar_pasta "$DIR"
    apagar_pasta "$DIR.novo"
    rm -f "$DIR.debootstrap.log"
    echo "chroot apagado: $DIR"
    exit 0
fi

# O espelho do Debian que o apt desta máquina usa: a primeira linha "deb" (ou URIs: de um
# .sources) cujo endereço termina em /debian.
espelho_do_apt() {
    local f
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            sed -n -E 's/^URIs:[[:space:]]*//Ip' "$f" | tr ' ' '\n'
        done
    } | grep -E '^https?://[^[:space:]]+/debian/?$' | head -n1 || true
}
ESPELHO=${PY313_ESPELHO:-$(espelho_do_apt)}
[ -n "$ESPELHO" ] || falha "não achei o espelho do Debian em /etc/apt/sources.list*; use PY313_ESPELHO=http://deb.debian.org/debian"
RECEITA="debootstrap --variant=minbase --include=$PACOTES $SUITE $ESPELHO"

# 1. O chroot: reaproveitado se foi feito pela mesma receita.
TEMPO_CHROOT="reaproveitado"
if [ "$RECONSTRUIR" -eq 1 ] || [ ! -f "$DIR/$MARCA" ] || [ "$(cat "$DIR/$MARCA")" != "$RECEITA" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "instalando o debootstrap (apt-get install -y debootstrap)..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap < /dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap < /dev/null; } \
            || falha "não consegui instalar o debootstrap com o apt"
    fi
    echo "== construindo o chroot do Debian 13 em $DIR: $RECEITA =="
    apagar_pasta "$DIR.novo"
    inicio=$(agora)
    # O debootstrap monta /proc e /sys no alvo; no namespace próprio nada sobra se ele falhar.
    unshare --mount --propagation private -- \
        debootstrap --variant=minbase --include="$PACOTES" "$SUITE" "$DIR.novo" "$ESPELHO" \
        > "$DIR.debootstrap.log" 2>&1 \
        || { tail -n 20 "$DIR.debootstrap.log" >&2; falha "o debootstrap do Debian 13 falhou (log: $DIR.debootstrap.log)"; }
    echo "$RECEITA" > "$DIR.novo/$MARCA"
    apagar_pasta "$DIR"
    mv "$DIR.novo" "$DIR"
    TEMPO_CHROOT="$(segundos_desde "$inicio") s"
    echo "chroot pronto em $TEMPO_CHROOT ($(du -sh --one-file-system "$DIR" | cut -f1))"
else
    echo "== reaproveitando o chroot do Debian 13 em $DIR (--reconstruir para refazer) =="
fi
! montado_embaixo "$DIR" || falha "há algo montado em $DIR, de uma execução anterior (findmnt -R $DIR)"

COMMIT=$(git -C "$RAIZ" rev-parse HEAD) || falha "$RAIZ não é um repositório git"
[ -z "$(git -C "$RAIZ" status --porcelain --untracked-files=no)" ] \
    || echo "aviso: há mudanças não commitadas em $RAIZ; o teste usa só o commit ${COMMIT:0:12}"

# 2 a 4. Tudo o mais, nos próprios namespaces de montagem e de processos.
export ARQUIVO_TEMPOS DIR PRAZO OPCOES_PYTEST RAIZ COMMIT SAIDA
rc=0
unshare --mount --propagation private --pid --fork --kill-child -- \
    "$BASH" "$0" --_dentro principal || rc=$?
! montado_embaixo "$DIR" || falha "sobrou montagem em $DIR (findmnt -R $DIR)"
for raiz_do_processo in /proc/[0-9]*/root; do
    [ "$(readlink "$raiz_do_processo" 2>/dev/null)" != "$DIR" ] \
        || falha "sobrou um processo no chroot: PID $(basename "$(dirname "$raiz_do_processo")")"
done
[ "$rc" -ne 130 ] || falha "interrompido"

echo "== test-py313: tempos (Python 3.13 do Debian 13, chroot em $DIR) =="
printf '%-10s %s\n' chroot "$TEMPO_CHROOT"
while read -r nome tempo situacao; do
    printf '%-10s %s s  %s\n' "$nome" "$tempo" "$situacao"
done < "$ARQUIVO_TEMPOS"

situacao() { awk -v n="$1" '$1 == n { print $3 }' "$ARQUIVO_TEMPOS"; }
[ -n "$(situacao instalar)" ] || falha "a preparação do chroot (certificados, pip, cópia do repositório) falhou (código $rc)"
[ "$(situacao instalar)" = ok ] || falha "a instalação do .venv no chroot (make venv PYTHON=python3) falhou"
falhas=()
[ "$(situacao curso)" = ok ] || falhas+=("o curso (run_course.py --fresh)")
[ "$(situacao nbval)" = ok ] || falhas+=("o nbval estrito dos notebooks")
[ "$(situacao molde)" = ok ] || falhas+=("os testes do molde dos kernels")
if [ "${#falhas[@]}" -gt 0 ] || [ "$rc" -ne 0 ]; then
    [ "${#falhas[@]}" -gt 0 ] || falhas=("o teste no namespace de rede (código $rc)")
    falha "sob o Python 3.13 falhou $(IFS=,; echo "${falhas[*]}" | sed 's/,/ e /g')"
fi
echo "test-py313: o curso, o nbval estrito e o molde passaram sob o Python 3.13 do Debian 13"
