#!/usr/bin/env bash
# Screenshots of the extension's real views, taken in a real VS Code (code-server + headless
# chromium, test/vscode-harness) for docs/screenshots/ and the README.
#
#   npm run screenshots                      # build, then every shot below
#   test/integration/screenshots.sh [--dev EXT_DIR] [--out DIR] [--theme "Default Light Modern"]
#
# Captures are opened the way users open them: a click in the Explorer (the capture editor opens
# its summary tab and the text view). Webviews draw inside nested iframes the driver cannot see
# into, so a short --wait lets them paint. Look at every PNG before committing it.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dev="$repo"
out="$repo/docs/screenshots"
theme="Default Dark Modern"
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --theme) theme="$2"; shift 2 ;;
    *) echo "screenshots.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
shot() { "$repo/test/vscode-harness/shot.sh" --dev "$dev" --out "$out" --theme "$theme" --size 1440x900 "$@"; }
widen=(--command "Increase Current View Size" --command "Increase Current View Size" --command "Increase Current View Size")

# 1. A capture of eight connections opened from the Explorer: the text view with its squiggles, the
#    Teardown side bar (connections by how they ended, findings under them), the status bar; a
#    click on a finding has revealed its segment in the editor and in the ladder diagram.
shot --open "$repo/test/integration/fixtures" \
  --click-text mixed.pcap --wait-selector '.squiggly-warning' \
  --command "Teardown: Focus on Connections View" --wait-selector '.monaco-list-row .codicon-pass' \
  --click-text "Abrupt reset" --wait 2500 --command "Teardown: Focus on Connections View" "${widen[@]}" --wait 1500 \
  --shot capture-sidebar.png

# 2. The same click with the ladder diagram opened as an editor panel: editor, side bar and diagram
#    on the same segment.
shot --open "$repo/test/integration/fixtures" \
  --click-text mixed.pcap --wait-selector '.squiggly-warning' \
  --command "Teardown: Focus on Connections View" --wait-selector '.monaco-list-row .codicon-pass' \
  --click-text "Abrupt reset" --wait 2500 --command "Open Ladder Diagram in Editor" --wait 3500 \
  --shot ladder-sync.png

# 3. The capture's own tab: its summary.
shot --open "$repo/test/integration/fixtures" \
  --click-text mixed.pcap --wait-selector '.squiggly-warning' \
  --click-text mixed.pcap --wait 3000 \
  --shot capture-summary.png

# 4. The hover on a FIN: both endpoints' states.
shot --open "$repo/test/fixtures/kernel" \
  --click-text 04-half-close-lingering.pcap --wait-selector '.squiggly-warning' \
  --hover "18:09:26.503890" --shot hover-fin.png

# 5. The Problems panel for a capture; a click opens the text view at the segment.
shot --open "$repo/test/integration/fixtures" \
  --click-text mixed.pcap --wait-selector '.squiggly-warning' \
  --key Control+Shift+M --wait-selector '.markers-panel .monaco-list-row' \
  --shot problems.png

# 6. A capture of 1,200 connections (synthetic, all graceful): the side bar counts the group from
#    the server and lists it 500 at a time, "Load more (500 of 1,200 shown)" at the end of the page;
#    the ladder's connection picker is paged too.
many="$(mktemp -d)"
trap 'rm -rf "$many"' EXIT
# An RFC figure whose last claim for A (TIME-WAIT) reads SYN-SENT: the error and its quick fix.
mkdir "$many/figure"
sed 's/5\.  TIME-WAIT   -->/5.  SYN-SENT    -->/' "$repo/test/integration/fixtures/normal-close.tcptrace" > "$many/figure/close-figure.tcptrace"
shot --open "$many/figure/close-figure.tcptrace" \
  --wait-selector '.squiggly-error' --click-text SYN-SENT --key Control+. --wait 1500 \
  --shot quickfix-claim.png

node --input-type=module -e "
  await import('$repo/test/webview/tsHook.mjs');
  const { createRequire } = await import('module');
  createRequire('$repo/package.json')('$repo/test/unit/server/synthetic.ts').writeSyntheticPcap('$many/many-connections.pcap', 1200);"
shot --open "$many" \
  --click-text many-connections.pcap \
  --command "Teardown: Focus on Connections View" --wait-selector '.monaco-list-row .codicon-pass' \
  --click-text "10.1.0.3:20003 → 10.2.0.1:80" --wait 2500 \
  --command "Teardown: Focus on Connections View" "${widen[@]}" --command "Teardown: Focus on Connections View" --wait 800 \
  --key End --wait 1500 \
  --shot sidebar-paged.png

# 7. The Teardown overview (issue 16), light and dark (and high contrast on the public capture): on the bench capture (120,005 connections;
#    `npm run bench` or scripts/bench/make-capture.sh builds .bench/loopback-1m.pcap) and on a public
#    capture with resets (../shared/corpus, never committed). Skipped when they are absent.
corpus="${TT_CORPUS:-$repo/../shared/corpus}/captures/ppa__ek_to_cryptowall4.pcapng"
for t in "Default Dark Modern:dark" "Default Light Modern:light" "Default High Contrast:hc"; do
  if [ -f "$repo/.bench/loopback-1m.pcap" ] && [ "${t##*:}" != hc ]; then
    "$repo/test/vscode-harness/shot.sh" --dev "$dev" --out "$out" --theme "${t%%:*}" --size 1440x900 --open "$repo/.bench" \
      --click-text loopback-1m.pcap --wait 25000 --command "Teardown: Focus on Connections View" --wait 1500 \
      --command "Teardown Tracer: Show Teardown Overview" --wait 15000 --shot "overview-bench-${t##*:}.png"
  fi
  if [ -f "$corpus" ]; then
    mkdir -p "$many/public" && cp "$corpus" "$many/public/"
    "$repo/test/vscode-harness/shot.sh" --dev "$dev" --out "$out" --theme "${t%%:*}" --size 1440x900 --open "$many/public" \
      --click-text "$(basename "$corpus")" --wait 4000 --command "Teardown: Focus on Connections View" --wait 1500 \
      --command "Teardown Tracer: Show Teardown Overview" --wait 5000 --shot "overview-public-${t##*:}.png"
  fi
done
# The overview panel after a window reload (its serializer draws the same capture again).
if [ -f "$corpus" ]; then
  "$repo/test/vscode-harness/shot.sh" --dev "$dev" --out "$out" --theme "Default High Contrast" --size 1440x900 --open "$many/public" \
    --click-text "$(basename "$corpus")" --wait 4000 --command "Teardown: Focus on Connections View" --wait 1500 \
    --command "Teardown Tracer: Show Teardown Overview" --wait 5000 \
    --command "Developer: Reload Window" --wait 12000 --shot overview-restored-after-reload.png
fi

rm -rf "$out/vscode-logs" "$out"/*.log "$out/timings.json" "$out/web-logs"
echo "screenshots in $out"
