#!/usr/bin/env bash
# Side-by-side throughput of spoolgate, nullmailer and Postfix on one
# machine, in one run (issue 5, section 1). Linux only; run as root.
#
#   bench/compare.sh            the full run: medians of 3 runs each (about 12 minutes)
#   bench/compare.sh --quick    a smoke run: 1 run each, smaller queues (under 3 minutes)
#   bench/compare.sh --runs 5   more runs per figure
#   bench/compare.sh --no-pin   no CPU pinning (see below)
#   bench/compare.sh --connections 4   spoolgate's [smtp] connections in the
#                               drains (8 by default; a second row always
#                               shows its default of 1)
#   bench/compare.sh --only drain,big,startup,latency,rate   some parts only
#   bench/compare.sh --keep     keep the work folder (logs, results.json)
#
# Pinning: by default each relay, with every process it starts, runs on
# CPU 0 and the sink (and the driver) on CPU 1, so each relay gets one
# whole core and the sink never competes with it; runs are steadier so.
# It is not neutral: spoolgate's Go runtime then has one core
# (GOMAXPROCS 1), while unpinned it uses both. --no-pin shows the other
# picture; the README quotes both.
#
# What it does:
#   - installs Postfix from Debian's packages (debconf: "No configuration",
#     so no system instance is set up) for smtp-sink and a private instance;
#   - downloads nullmailer's .deb with `apt-get download` and unpacks it
#     with dpkg-deb -x into a private prefix: it conflicts with the postfix
#     package, so it is never installed;
#   - builds spoolgate and bench/slowsink from this checkout;
#   - then bench/compare/run.py drains the same queues through the three
#     relays into Postfix's smtp-sink on loopback and prints a Markdown
#     summary. See the top of run.py for how each figure is taken.
#
# Everything lives in a temporary folder (--keep keeps it). Three empty
# mount points are created if missing, and removed again afterwards:
# /etc/nullmailer, /var/spool/nullmailer and /usr/lib/nullmailer.
# nullmailer's paths are compiled in, so it runs in a private mount
# namespace (unshare -m) with private folders bind-mounted over them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin

[ "$(uname -s)" = Linux ] || { echo "compare.sh: Linux only" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (private Postfix, mount namespace, cgroups)" >&2; exit 2; }

need=()
command -v smtp-sink >/dev/null && command -v postfix >/dev/null || need+=(postfix)
command -v python3 >/dev/null || need+=(python3)
command -v unshare >/dev/null && command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "compare.sh: installing ${need[*]} from Debian's packages" >&2
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/sgcompare.XXXXXX)
chmod 755 "$work"  # the private Postfix runs its daemons as user postfix
keep=0
for a in "$@"; do [ "$a" = --keep ] && keep=1; done
cleanup() {
  if [ $keep = 1 ]; then echo "compare.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# nullmailer, unpacked into a private prefix.
mkdir -p "$work/nullmailer"
(cd "$work/nullmailer" && apt-get download -q nullmailer >/dev/null 2>&1) ||
  { apt-get update -q >/dev/null && (cd "$work/nullmailer" && apt-get download -q nullmailer >/dev/null 2>&1); }
dpkg-deb -x "$work"/nullmailer/nullmailer_*.deb "$work/nullmailer/root"
nmversion=$(dpkg-deb -f "$work"/nullmailer/nullmailer_*.deb Version)

go build -o "$work/bin/spoolgate" ./cmd/spoolgate
go build -o "$work/bin/slowsink" ./bench/slowsink

python3 bench/compare/run.py --work "$work" --bin "$work/bin" \
  --nullmailer "$work/nullmailer/root" --nullmailer-version "$nmversion" \
  --spoolgate-version "$(git describe --always --dirty 2>/dev/null || echo unknown)" "$@"
