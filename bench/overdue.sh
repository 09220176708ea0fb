#!/usr/bin/env bash
# The morning overdue scan of a big loans export with the real binary:
# writes an export of N loans (1,000,000 by default; patrons of one to
# eight loans, a tenth of them reaching a notice on the scan day), then
# runs `spoolgate overdue` on it for two days in a row, in capture mode
# (notices are written to the queue folder, nothing is sent), and prints
# each run's time and peak resident memory. Linux only (GNU time).
#
#   bench/overdue.sh            1,000,000 loans
#   bench/overdue.sh 200000     fewer
#   BENCH=1 bench/overdue.sh    also BenchmarkScan1M, the peak heap of the scan alone
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
n=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "overdue.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

go build -o "$work/spoolgate" ./cmd/spoolgate
SPOOLGATE_BENCH_EXPORT="$work/loans.csv" SPOOLGATE_BENCH_LOANS="$n" \
  go test -count 1 -run 'TestWriteBenchExport_ForBench' ./gateway/overdue/ >/dev/null
mkdir -p "$work/queue"
cat > "$work/spoolgate.ini" <<INI
[spool]
folder = queue
data = data

[smtp]
capture = outbox

[message]
from = library@example.org
from_name = Stadsbiblioteket

[overdue]
enabled = true
loans = $work/loans.csv

[unit.central]
from = central@example.org
from_name = Stadsbiblioteket
contact = Sveavägen 73 | 08-508 311 00

[unit.bokbussen]
from_name = Bokbussen
language = sv

[service]
timezone = Europe/Stockholm
INI
echo "loans export: $n loans, $(( $(stat -c %s "$work/loans.csv") >> 20 )) MB"
for day in 2026-11-25 2026-11-26; do
  /usr/bin/time -f "%e %M" -o "$work/time" "$work/spoolgate" overdue --config "$work/spoolgate.ini" --date "$day" > "$work/out.txt"
  read -r secs kb < "$work/time"
  files=$(find "$work/queue" -maxdepth 1 -name 'notice-*' | wc -l)
  printf 'scan of %s: %s s, peak RSS %d MB, %d notice files in the queue so far\n' "$day" "$secs" $(( kb >> 10 )) "$files"
done
if [ "${BENCH:-0}" = 1 ]; then
  go test -run XXX -bench 'Scan1M' -benchtime 1x ./gateway/overdue/ | grep -E '^Benchmark'
fi
