#!/usr/bin/env bash
# Installs everything Teardown Tracer needs on a fresh Debian machine, from scratch and idempotently:
# Debian packages (tshark and tcpdump for conformance and the benchmark, chromium for the webview
# tests, build tools and libkrb5-dev for the real-VS-Code harness), the npm packages, and the
# offline real-VS-Code harness (code-server under Node 24, see test/vscode-harness/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
APT_PKGS="tshark tcpdump chromium iproute2 iptables ethtool libkrb5-dev python3 make g++ time"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends $missing
fi
npm ci
if [ -x test/vscode-harness/setup.sh ]; then
  bash test/vscode-harness/setup.sh
fi
