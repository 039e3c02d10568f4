#!/usr/bin/env bash
# Builds the benchmark capture .bench/loopback-1m.pcap once, from real traffic.
#
# Inside a fresh network namespace (so the host's loopback, ports and sysctls are untouched):
#   nginx (one worker) serves a 1,000-byte file on 127.0.0.1:18080,
#   ab (ApacheBench, HTTP/1.0, a NEW connection per request, 32 at a time) sends CONNECTIONS requests,
#   tcpdump -i lo -s 128 writes every TCP segment of port 18080.
# The namespace's ephemeral port range is restricted (PORT_RANGE) so each client port, and so each
# 4-tuple, carries several connections: the server closes first and holds TIME-WAIT, and the next
# SYN on the same 4-tuple reopens it (RFC 9293 3.10.7.4 / RFC 6191 with timestamps).
#
# Cached: nothing is done when the capture exists and its manifest (.bench/loopback-1m.json) records
# the same recipe and the file's sha256. --force rebuilds. The manifest also holds the independent
# ground truth the benchmark compares with: capinfos' packet count and, from tshark, the number of
# distinct handshakes (4-tuple + client ISN of SYNs without ACK), distinct 4-tuples and reuse.
#
# Needs root (ip netns), nginx, ab (apache2-utils), tcpdump, tshark, capinfos; installs the missing
# Debian packages when run as root. Takes about a minute; the machine is busy ~15 s of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

RECIPE=3 # bump when anything below changes what is captured
OUT=.bench/loopback-1m.pcap
MANIFEST=.bench/loopback-1m.json
CONNECTIONS=${CONNECTIONS:-120000}
CONCURRENCY=${CONCURRENCY:-32}
PORT_RANGE=${PORT_RANGE:-16000 59999}
BODY_BYTES=1000
PORT=18080
MIN_PACKETS=1000000
MIN_CONNECTIONS=100000
FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "make-capture: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
recipe_id="recipe=$RECIPE connections=$CONNECTIONS concurrency=$CONCURRENCY ports=$PORT_RANGE body=$BODY_BYTES"

log() { printf '[make-capture] %s\n' "$*" >&2; }

# --- cache check ----------------------------------------------------------------------------
if [ "$FORCE" -eq 0 ] && [ -f "$OUT" ] && [ -f "$MANIFEST" ]; then
  want_sha=$(node -e 'const m=require(process.argv[1]); if (m.recipe===process.argv[2]) process.stdout.write(m.sha256)' "$PWD/$MANIFEST" "$recipe_id" 2>/dev/null || true)
  if [ -n "$want_sha" ]; then
    have_sha=$(sha256sum "$OUT" | cut -d' ' -f1)
    if [ "$have_sha" = "$want_sha" ]; then
      log "cached: $OUT (sha256 ${have_sha:0:16}… matches $MANIFEST)"
      exit 0
    fi
    log "sha256 of $OUT does not match $MANIFEST: rebuilding"
  else
    log "$MANIFEST is for another recipe: rebuilding"
  fi
fi

# --- tools ------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || { echo "make-capture: needs root (ip netns, tcpdump)" >&2; exit 2; }
need=""
command -v nginx >/dev/null || need="$need nginx-light"
command -v ab >/dev/null || need="$need apache2-utils"
command -v tcpdump >/dev/null || need="$need tcpdump"
command -v tshark >/dev/null || need="$need tshark"
command -v capinfos >/dev/null || need="$need wireshark-common"
command -v ip >/dev/null || need="$need iproute2"
if [ -n "$need" ]; then
  log "installing:$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # RUNLEVEL=1: the nginx package must not start a server on the host's port 80.
  RUNLEVEL=1 apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

mkdir -p .bench
df_avail=$(df -Pk .bench | awk 'NR==2{print $4}')
[ "$df_avail" -gt 1048576 ] || { echo "make-capture: less than 1 GiB free under .bench" >&2; exit 2; }

# --- namespace, server, capture, load -----------------------------------------------------------
NS="ttbench-$$"
TMP=$(mktemp -d /tmp/ttbench.XXXXXX)
NGINX_PID=""
TCPDUMP_PID=""
AB_PID=""
cleanup() {
  set +e
  [ -n "$AB_PID" ] && kill "$AB_PID" 2>/dev/null && wait "$AB_PID" 2>/dev/null
  [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP" "$OUT.tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s.%N)
mkdir -p "$TMP/www"
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' > "$TMP/www/index.html"
cat > "$TMP/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$PORT backlog=4096;
    location / { root $TMP/www; }
  }
}
EOF

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_local_port_range="$PORT_RANGE"
ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_tw_reuse=1

ip netns exec "$NS" nginx -c "$TMP/nginx.conf" -p "$TMP" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 100); do [ -s "$TMP/nginx.pid" ] && break; sleep 0.05; done

ip netns exec "$NS" tcpdump -i lo -s 128 -B 65536 -Z root -w "$OUT.tmp" "tcp port $PORT" 2> "$TMP/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 100); do grep -q listening "$TMP/tcpdump.err" && break; sleep 0.05; done
grep -q listening "$TMP/tcpdump.err" || { cat "$TMP/tcpdump.err" >&2; exit 1; }

log "load: $CONNECTIONS connections, $CONCURRENCY at a time, client ports $PORT_RANGE"
t_load0=$(date +%s.%N)
# ab is bounded by -n and by -t-less completion; timeout bounds it in time as well.
timeout 600 ip netns exec "$NS" ab -q -r -n "$CONNECTIONS" -c "$CONCURRENCY" "http://127.0.0.1:$PORT/index.html" > "$TMP/ab.out" 2>&1 &
AB_PID=$!
wait "$AB_PID" || { cat "$TMP/ab.out" >&2; AB_PID=""; exit 1; }
AB_PID=""
t_load1=$(date +%s.%N)
sleep 0.5 # the last closes' final ACKs
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=""
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
ip netns del "$NS"

complete=$(awk '/^Complete requests:/{print $3}' "$TMP/ab.out")
failed=$(awk '/^Failed requests:/{print $3}' "$TMP/ab.out")
rps=$(awk '/^Requests per second:/{print $4}' "$TMP/ab.out")
captured=$(awk '/packets captured/{print $1}' "$TMP/tcpdump.err")
dropped=$(awk '/dropped by kernel/{print $1}' "$TMP/tcpdump.err")
log "ab: $complete complete, $failed failed, $rps req/s; tcpdump: $captured captured, $dropped dropped by kernel"
[ "$dropped" = "0" ] || { echo "make-capture: tcpdump dropped $dropped packets; try again on a quieter machine" >&2; exit 1; }

# --- independent ground truth ---------------------------------------------------------------------
log "counting with capinfos and tshark"
packets=$(capinfos -M -c -T "$OUT.tmp" | awk -F'\t' 'NR==2{print $2}')
# SYNs without ACK: src port, client ISN (all connections share 127.0.0.1 -> 127.0.0.1:PORT).
tshark -r "$OUT.tmp" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields \
  -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.seq_raw 2>/dev/null > "$TMP/syns.tsv"
bytes=$(stat -c %s "$OUT.tmp")
sha=$(sha256sum "$OUT.tmp" | cut -d' ' -f1)
t1=$(date +%s.%N)

node - "$TMP/syns.tsv" "$MANIFEST" <<EOF
const fs = require('fs');
const [syns, manifest] = process.argv.slice(2);
const lines = fs.readFileSync(syns, 'utf8').split('\n').filter(Boolean);
const handshakes = new Set(lines);
const perTuple = new Map();
for (const l of handshakes) {
  const tuple = l.split('\t').slice(0, 4).join(' ');
  perTuple.set(tuple, (perTuple.get(tuple) ?? 0) + 1);
}
const counts = [...perTuple.values()];
const hist = {};
for (const c of counts) hist[c] = (hist[c] ?? 0) + 1;
const m = {
  file: '$OUT',
  recipe: '$recipe_id',
  sha256: '$sha',
  bytes: $bytes,
  packets: $packets,
  synSegments: lines.length,
  handshakes: handshakes.size,
  tuples: perTuple.size,
  reuse: {
    tuplesReused: counts.filter((c) => c > 1).length,
    connectionsPerTupleMean: +(handshakes.size / perTuple.size).toFixed(2),
    connectionsPerTupleMax: Math.max(...counts),
    connectionsPerTupleMin: Math.min(...counts),
    histogram: hist,
  },
  generation: {
    date: new Date().toISOString(),
    totalSeconds: +($t1 - $t0).toFixed(1),
    loadSeconds: +($t_load1 - $t_load0).toFixed(1),
    requestsPerSecond: Number('$rps'),
    requests: { complete: Number('$complete'), failed: Number('$failed') },
    tcpdump: { captured: Number('$captured'), droppedByKernel: Number('$dropped') },
    kernel: '$(uname -r)',
    tools: {
      nginx: '$(nginx -v 2>&1 | sed 's/.*\///')',
      ab: '$(ab -V | awk '/^This is ApacheBench/{print $5}' | tr -d ',')',
      tcpdump: '$(tcpdump --version 2>&1 | awk 'NR==1{print $3}')',
      tshark: '$(tshark --version 2>/dev/null | awk 'NR==1{print $3}')',
    },
  },
};
fs.writeFileSync(manifest, JSON.stringify(m, null, 2) + '\n');
console.error('[make-capture] ' + JSON.stringify({ packets: m.packets, bytes: m.bytes, handshakes: m.handshakes, tuples: m.tuples, reuse: m.reuse.connectionsPerTupleMean, seconds: m.generation.totalSeconds }));
if (m.packets < $MIN_PACKETS || m.handshakes < $MIN_CONNECTIONS) {
  console.error('make-capture: fewer than $MIN_PACKETS packets or $MIN_CONNECTIONS connections: raise CONNECTIONS');
  process.exit(1);
}
EOF
mv "$OUT.tmp" "$OUT"
log "wrote $OUT and $MANIFEST"
