#!/usr/bin/env bash
# Install the compilers/runtimes the execution harness needs for the seven study languages, plus
# bubblewrap for sandboxing. Safe to rerun: every step checks first and skips what is present.
#
#   sudo bash scripts/install_toolchains.sh        (or as root; non-interactive)
#
# What it provides (codescale_jax/eval/runners.py finds them on PATH or under .toolchains/):
#   python3 (already required by the project), node (JavaScript), java + javac (Java),
#   mcs + mono (C#, Debian's Mono: C# <= 7 subset), go (Go), rustc (Rust),
#   tsc (TypeScript, npm package pinned below, installed into the ignored folder .toolchains/),
#   bwrap (Debian's bubblewrap: PID/network namespaces and a read-only root for each sample).
#
# Environment knobs:
#   TOOLCHAINS_SKIP_APT=1   do not call apt-get (report what is missing instead)
#   TS_VERSION, TSX_VERSION, TYPES_NODE_VERSION   override the pinned npm versions
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLDIR="$ROOT/.toolchains"
# typescript 7 is the native (Go) compiler: ~0.45 s per compile+run instead of ~1.3 s for 5.x.
TS_VERSION="${TS_VERSION:-7.0.2}"
TSX_VERSION="${TSX_VERSION:-4.23.15}"
TYPES_NODE_VERSION="${TYPES_NODE_VERSION:-20}"

have() { command -v "$1" >/dev/null 2>&1; }
log() { printf '[install_toolchains] %s\n' "$*"; }

# rustup installs into ~/.cargo/bin, which non-login shells may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then
  export PATH="$PATH:${HOME:-/root}/.cargo/bin"
fi

# ---- apt packages -----------------------------------------------------------------------------
APT_PKGS=()
have bwrap || APT_PKGS+=(bubblewrap)
have mcs || APT_PKGS+=(mono-mcs mono-devel)
have mono || APT_PKGS+=(mono-runtime)
have go || APT_PKGS+=(golang-go)
have javac || APT_PKGS+=(openjdk-17-jdk-headless)
have rustc || APT_PKGS+=(rustc)
have node || APT_PKGS+=(nodejs)
have npm || APT_PKGS+=(npm)
have python3 || APT_PKGS+=(python3)
have setpriv || APT_PKGS+=(util-linux)
have ps || APT_PKGS+=(procps)
have update-ca-certificates || APT_PKGS+=(ca-certificates)

if [ "${#APT_PKGS[@]}" -gt 0 ]; then
  if [ "${TOOLCHAINS_SKIP_APT:-0}" = "1" ]; then
    log "TOOLCHAINS_SKIP_APT=1: not installing missing apt packages: ${APT_PKGS[*]}"
  elif ! have apt-get; then
    log "apt-get not found: install these yourself: ${APT_PKGS[*]}"
  else
    if [ "$(id -u)" -ne 0 ]; then
      SUDO=sudo
    else
      SUDO=
    fi
    log "apt-get install ${APT_PKGS[*]}"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${APT_PKGS[@]}"
  fi
else
  log "apt packages: all present"
fi

# ---- TypeScript compiler, project-local ---------------------------------------------------------
if ! have npm; then
  log "npm missing: cannot install the TypeScript compiler"
  exit 1
fi
mkdir -p "$TOOLDIR"
want_ts() {
  # Installed versions must match the pins exactly, otherwise reinstall.
  [ -f "$TOOLDIR/node_modules/typescript/package.json" ] || return 0
  [ -f "$TOOLDIR/node_modules/tsx/package.json" ] || return 0
  local got_ts got_tsx
  got_ts=$(node -p "require('$TOOLDIR/node_modules/typescript/package.json').version")
  got_tsx=$(node -p "require('$TOOLDIR/node_modules/tsx/package.json').version")
  [ "$got_ts" = "$TS_VERSION" ] && [ "$got_tsx" = "$TSX_VERSION" ] && return 1
  return 0
}
if want_ts; then
  log "npm install typescript@$TS_VERSION tsx@$TSX_VERSION @types/node@$TYPES_NODE_VERSION into .toolchains/"
  if [ ! -f "$TOOLDIR/package.json" ]; then
    printf '{\n  "name": "codescale-toolchains",\n  "private": true,\n  "description": "Compilers for the execution harness (not part of the Python package)"\n}\n' \
      >"$TOOLDIR/package.json"
  fi
  (cd "$TOOLDIR" && npm install --no-audit --no-fund --loglevel=error --save-exact \
    "typescript@$TS_VERSION" "tsx@$TSX_VERSION" "@types/node@$TYPES_NODE_VERSION")
else
  log "typescript $TS_VERSION and tsx $TSX_VERSION already in .toolchains/"
fi

# ---- Class-data-sharing archive for javac ----------------------------------------------------
# javac is a JVM that loads its compiler classes anew for every compile; a dynamic class-data-sharing
# archive of them makes each compile start faster (BUILD_NOTES.md has the measurement). The name
# carries the javac version: runners.py only uses an archive made by the same JDK.
if have javac; then
  JAVAC_TAG=$(javac -version 2>&1 | head -n 1 | tr -c 'A-Za-z0-9.\n' '_')
  JSA="$TOOLDIR/$JAVAC_TAG.jsa"
  if [ ! -f "$JSA" ]; then
    log "building $JSA"
    WARM=$(mktemp -d)
    cat >"$WARM/Main.java" <<'JAVA'
import java.util.*;
import java.util.function.*;
import java.util.stream.*;

public class Main {
    static <T extends Comparable<T>> List<T> sorted(Collection<T> xs) {
        List<T> out = new ArrayList<>(xs);
        Collections.sort(out);
        return out;
    }

    public static void main(String[] args) {
        Map<String, Integer> m = new HashMap<>();
        m.put("a", 1);
        Function<Integer, Integer> sq = x -> x * x;
        List<Integer> ys = IntStream.range(0, 5).boxed().map(sq).collect(Collectors.toList());
        Optional<String> o = Optional.of("x");
        System.out.println(sorted(ys) + " " + m + " " + o.orElse("") + String.format("%d", 3));
    }
}
JAVA
    javac -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 -J-XX:-UsePerfData \
      "-J-XX:ArchiveClassesAtExit=$JSA" -d "$WARM" "$WARM/Main.java" >/dev/null 2>&1 \
      || log "warning: could not build the javac class-data archive (compiles still work, slower)"
    [ -f "$JSA" ] && chmod 0444 "$JSA"
    rm -rf "$WARM"
  fi
fi

# ---- Versions -------------------------------------------------------------------------------
ver() {  # name, command...
  local name=$1
  shift
  if have "$1"; then
    printf '  %-11s %s\n' "$name" "$("$@" 2>&1 | head -n 1)"
  else
    printf '  %-11s MISSING\n' "$name"
  fi
}
log "versions:"
ver python python3 --version
ver node node --version
ver javac javac -version
ver java java -version
ver mcs mcs --version
ver mono mono --version
ver go go version
ver rustc rustc --version
if [ -x "$TOOLDIR/node_modules/.bin/tsc" ]; then
  printf '  %-11s %s\n' tsc "$("$TOOLDIR/node_modules/.bin/tsc" --version 2>&1 | head -n 1)"
else
  printf '  %-11s MISSING\n' tsc
fi
if [ -x "$TOOLDIR/node_modules/.bin/tsx" ]; then
  printf '  %-11s %s\n' tsx "$("$TOOLDIR/node_modules/.bin/tsx" --version 2>&1 | head -n 1)"
fi
ver bwrap bwrap --version

missing=0
for t in python3 node javac java mcs mono go rustc bwrap; do
  have "$t" || { log "still missing: $t"; missing=1; }
done
[ -x "$TOOLDIR/node_modules/.bin/tsc" ] || { log "still missing: tsc"; missing=1; }
exit "$missing"
