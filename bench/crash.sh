#!/usr/bin/env bash
# The crash test, full size: queues MESSAGES notices, then KILLS times starts
# the real spoolgate, relaying with batch = 0 to bench/slowsink (a separate
# SMTP server process that answers each DATA after DELAY plus up to JITTER),
# and SIGKILLs it: half the kills at a random moment 50-400 ms into a run,
# half right after the sink's 250 for a message. Then it lets spoolgate
# finish and checks that every message reached the sink, the journal records
# each as sent and the queue folder is empty, and counts the duplicates,
# each of which must come from a kill that landed after the sink had taken
# the message and before the journal committed its acceptance.
#
# It is cmd/spoolgate's TestCrash_SIGKILLWhileRelaying (CI runs it small),
# with the sizes below; the test builds spoolgate and the sink itself.
#
# Usage: bench/crash.sh [MESSAGES] [KILLS] [DELAY] [JITTER] [SEED] [CONNECTIONS]
#   bench/crash.sh                  2000 messages, 24 kills, 20ms+10ms, 1 connection
#   bench/crash.sh 5000 50 5ms 0    more kills, a faster relay
#   bench/crash.sh 2000 24 20ms 10ms "" 8   8 connections
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
messages=${1:-2000}
kills=${2:-24}
delay=${3:-20ms}
jitter=${4:-10ms}
seed=${5:-$(( RANDOM * 32768 + RANDOM ))}
connections=${6:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

export SPOOLGATE_CRASH="messages=$messages kills=$kills connections=$connections delay=$delay jitter=$jitter min=50ms max=400ms seed=$seed"
echo "crash test: $SPOOLGATE_CRASH"
if ! go test -count=1 -timeout 60m -run '^TestCrash_SIGKILLWhileRelaying$' -v ./cmd/spoolgate > "$out" 2>&1; then
  cat "$out"
  echo "crash test FAILED"
  exit 1
fi
# The figures: one line a kill, then the totals.
sed -n 's/^ *crash_test.go:[0-9]*: crash: //p' "$out"
