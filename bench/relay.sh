#!/usr/bin/env bash
# Relays N queued ~2 KB messages with batch = 0 to a local SMTP sink (a
# separate process) and prints messages per second and spoolgate's peak
# memory (VmHWM). Usage: bench/relay.sh [N] [CONNECTIONS]
#   bench/relay.sh 10000        the issue's figure
#   bench/relay.sh 100000       peak memory with 100,000 files waiting
#   PIN=1 bench/relay.sh        spoolgate on CPU 0, the sink on CPU 1 (as compare.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
n=${1:-10000}
conns=${2:-1}
work=$(mktemp -d)
relay=() side=()
if [ "${PIN:-0}" = 1 ]; then relay=(taskset -c 0) side=(taskset -c 1); fi
trap 'kill $sg $sink 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/spoolgate" ./cmd/spoolgate
go build -o "$work/smtpsink" ./bench/smtpsink
port=$(( 20000 + RANDOM % 20000 ))
"${side[@]}" "$work/smtpsink" -listen "127.0.0.1:$port" -status "$work/sink.count" > "$work/sink.out" &
sink=$!

mkdir -p "$work/queue"
size=$(python3 - "$work/queue" "$n" <<'PY'
import os, sys
q, n = sys.argv[1], int(sys.argv[2])
body = ("Dear patron,\r\n\r\nThe following item is due back soon. Please return or renew it.\r\n" * 24)[:1700]
for i in range(n):
    m = ("From: Example Library <library@example.org>\r\nTo: patron%d@example.net\r\n"
         "Subject: Due soon: item %d\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
         "Message-ID: <bench-%d@example.org>\r\n\r\n%s\r\n") % (i, i, i, body)
    with open(os.path.join(q, "m%07d.tmp" % i), "w", newline="") as f:
        f.write(m)
print(len(m))
PY
)
cat > "$work/spoolgate.ini" <<INI
[spool]
folder = queue
data = data
batch = 0
settle = 0s
interval = 1m
[smtp]
host = 127.0.0.1
port = $port
security = none
connections = $conns
[message]
from = library@example.org
INI
sleep 0.5
start=$(date +%s.%N)
"${relay[@]}" "$work/spoolgate" run --config "$work/spoolgate.ini" 2> "$work/spoolgate.log" &
sg=$!
# Wait until the sink has them all (reading its count file costs nothing;
# listing a folder of 100,000 files would slow the run it measures).
while [ "$(cat "$work/sink.count" 2>/dev/null || echo 0)" -lt "$n" ]; do
  kill -0 $sg 2>/dev/null || { echo "spoolgate died:"; tail "$work/spoolgate.log"; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
# Then until the last files are removed (after their journal commit).
while [ -n "$(find "$work/queue" -maxdepth 1 -name '*.tmp*' -print -quit)" ]; do sleep 0.05; done
peak=$(awk '/VmHWM/{print $2}' /proc/$sg/status)
kill -TERM $sg; wait $sg || true
kill -TERM $sink; wait $sink || true
accepted=$(awk '{print $2}' "$work/sink.out")
bad=$(find "$work/queue" -name '*.BAD' | wc -l)
python3 - "$n" "$start" "$end" "$peak" "$accepted" "$bad" "$conns" "$size" <<'PY'
import sys
n, start, end, peak, acc, bad, conns, size = sys.argv[1:]
secs = float(end) - float(start)
print(f"spoolgate: {n} messages of {int(size)/1024:.1f} KB, batch=0, connections={conns}")
print(f"  relayed:   {acc} accepted by the sink, {bad} .BAD")
print(f"  time:      {secs:.2f} s")
print(f"  rate:      {int(n)/secs:.0f} messages/s")
print(f"  peak RSS:  {int(peak)/1024:.1f} MB (VmHWM)")
PY
