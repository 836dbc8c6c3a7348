#!/usr/bin/env bash
# Port scanner benchmark: the lab's TCP connect scan (PortScanProbe, as the portal runs it) against
# nmap -sT (a TCP connect scan too) over the same range of 127.0.0.1, in alternating rounds, with a
# few listeners the script opens so both must find the same open ports. On loopback a closed port
# answers at once with a reset, so this measures how fast each one connects and tells ports apart.
# Prints a markdown table and saves it to bench/results/port-scan.md (git-ignored).
#
# Settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 FROM=40000 TO=41023 bench/port-scan.sh
#   ROUNDS [3]  FROM [20000]  TO [29999]  CONCURRENCY Netlab's connects at once [100]  TIMEOUT_MS [1000]
# Needs nmap (Debian: apt-get install nmap), python3, dotnet.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
from="${FROM:-20000}"
to="${TO:-29999}"
concurrency="${CONCURRENCY:-100}"
timeout_ms="${TIMEOUT_MS:-1000}"

source bench/lib.sh
require_positive rounds from to concurrency timeout_ms
require_tools "Debian: apt-get install nmap python3" nmap python3 dotnet
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-scan-bench.XXXXXX")"
listeners_pid=""
cleanup() {
    set +e
    [[ -n "$listeners_pid" ]] && kill -TERM "$listeners_pid" 2>/dev/null && wait "$listeners_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Five listeners inside the range (whatever else listens there is found too, by both).
python3 -u - "$from" "$to" >"$tmp/listeners.out" 2>&1 <<'PY' &
import random, signal, socket, sys, time
lo, hi = int(sys.argv[1]), int(sys.argv[2])
socks = []
while len(socks) < 5:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(lo, hi))); s.listen(128); socks.append(s)
    except OSError:
        s.close()
print("OPEN", ",".join(str(x.getsockname()[1]) for x in socks), flush=True)
signal.sigwait([signal.SIGTERM])
PY
listeners_pid=$!
await_line "$tmp/listeners.out" 's/^OPEN (.*)$/\1/p' "$listeners_pid" listeners >/dev/null

nmap_version="$(nmap --version | sed -n 's/^Nmap version \([^ ]*\).*/\1/p')"
ports=$((to - from + 1))
netlab_secs="" nmap_secs="" netlab_open="" nmap_open=""
for round in $(seq "$rounds"); do
    order=(netlab nmap); (( round % 2 == 0 )) && order=(nmap netlab)
    for name in "${order[@]}"; do
        progress "Round $round: $name, ports $from-$to"
        if [[ $name == netlab ]]; then
            out="$(dotnet "$bench_dll" scan "$from" "$to" "$concurrency" "$timeout_ms")"
            read -r _ scanned secs open closed filtered <<<"$(grep '^SCAN' <<<"$out")"
            (( scanned == ports )) || { echo "Netlab scanned $scanned of $ports ports" >&2; exit 1; }
            netlab_secs="$netlab_secs $secs"
            netlab_open="$(sed -n 's/^OPEN //p' <<<"$out")"
        else
            start=$(date +%s.%N)
            nmap -sT -n -Pn -T4 --max-retries 1 -p "$from-$to" -oG "$tmp/nmap.gnmap" 127.0.0.1 >/dev/null
            end=$(date +%s.%N)
            nmap_secs="$nmap_secs $(python3 -c "print('%.4f' % ($end - $start))")"
            nmap_open="$(grep -o '[0-9]*/open/' "$tmp/nmap.gnmap" | cut -d/ -f1 | sort -n | paste -sd, -)"
        fi
    done
done
[[ "$netlab_open" == "$nmap_open" ]] || { echo "The scanners disagree on the open ports: Netlab $netlab_open, nmap $nmap_open" >&2; exit 1; }

report="$(python3 - "$netlab_secs" "$nmap_secs" "$ports" "$rounds" "$concurrency" "$timeout_ms" "$nmap_version" "$netlab_open" <<'PY'
import statistics, sys
n = [float(x) for x in sys.argv[1].split()]; m = [float(x) for x in sys.argv[2].split()]
ports, rounds, conc, timeout, version, open_ = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
print(f"TCP connect scan of {ports:,} ports of 127.0.0.1, {rounds} alternating round(s); both found the same open ports ({open_}).")
print(f"Netlab: PortScanProbe, concurrency {conc}, timeout {timeout} ms. nmap {version}: -sT -n -Pn -T4 --max-retries 1 (its own parallelism).\n")
print("| test | Netlab | nmap -sT | Netlab/nmap |")
print("|---|--:|--:|--:|")
print(f"| seconds (median of rounds) | {statistics.median(n):.3f} | {statistics.median(m):.3f} | {statistics.median(n) / statistics.median(m):.2f}x |")
print(f"| ports/s (median of rounds) | {ports / statistics.median(n):,.0f} | {ports / statistics.median(m):,.0f} | {statistics.median(m) / statistics.median(n):.2f}x |")
PY
)"
echo "$report" | tee "$results/port-scan.md"
