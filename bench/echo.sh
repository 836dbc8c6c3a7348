#!/usr/bin/env bash
# TCP echo benchmark: the Netlab echo server (lab echo, TCP, as is) against a plain epoll echo
# server in Python (selectors, one thread) and socat (a process per connection, PIPE), in
# alternating rounds. The load is one Python client process (epoll): CONNS connections, each
# with one 64-byte message in flight (send, read the 64 bytes back, send the next) for DURATION
# seconds; then a single connection for LATENCY round trips, timed one by one (p50, p99).
# The client is the same for every server, so the figures compare the servers, and the
# client's own cost caps them all alike. Prints a markdown table and saves it to
# bench/results/echo.md (git-ignored).
#
# Settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 DURATION=1 LATENCY=200 bench/echo.sh
#   ROUNDS [3]  DURATION seconds per throughput run [5]  CONNS connections [32]  LATENCY round trips [2000]
# Needs python3, socat (Debian: apt-get install socat), dotnet.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
duration="${DURATION:-5}"
conns="${CONNS:-32}"
latency="${LATENCY:-2000}"

source bench/lib.sh
require_positive rounds duration conns latency
require_tools "Debian: apt-get install python3 socat" python3 socat dotnet
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-echo-bench.XXXXXX")"
netlab_pid="" python_pid="" socat_pid=""
cleanup() {
    set +e
    stop_servers "$netlab_pid" "$python_pid" "$socat_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$tmp/epoll_echo.py" <<'PY'
# A plain epoll echo server: one thread, non-blocking sockets, each recv() sent straight back.
import selectors, socket, sys
sel = selectors.DefaultSelector()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1024); srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ)
print("PORT", srv.getsockname()[1], flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept(); c.setblocking(False); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sel.register(c, selectors.EVENT_READ)
            continue
        try:
            data = s.recv(65536)
        except ConnectionError:
            data = b""
        if not data:
            sel.unregister(s); s.close(); continue
        s.sendall(data)
PY

cat >"$tmp/echo_load.py" <<'PY'
# Closed-loop load: N connections, one 64-byte message in flight each, for D seconds; then one
# connection, L timed round trips. Prints "THROUGHPUT msgs seconds" and "LATENCY p50_us p99_us".
import selectors, socket, sys, time
port, n, seconds, rounds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
msg = b"x" * 63 + b"\n"
sel = selectors.DefaultSelector()
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False); socks.append(s); sel.register(s, selectors.EVENT_READ, [0])
for s in socks: s.send(msg)
done, end = 0, time.perf_counter() + seconds
start = time.perf_counter()
while time.perf_counter() < end:
    for key, _ in sel.select(1):
        got = key.fileobj.recv(65536)
        if not got: sys.exit("server closed a connection")
        key.data[0] += len(got)
        while key.data[0] >= 64:
            key.data[0] -= 64; done += 1; key.fileobj.send(msg)
elapsed = time.perf_counter() - start
print("THROUGHPUT", done, "%.4f" % elapsed, flush=True)
for s in socks: sel.unregister(s); s.close()
s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
times = []
for _ in range(rounds):
    t = time.perf_counter(); s.sendall(msg); got = 0
    while got < 64: got += len(s.recv(65536))
    times.append(time.perf_counter() - t)
times.sort()
print("LATENCY %.1f %.1f" % (times[len(times) // 2] * 1e6, times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6), flush=True)
PY

start_netlab serve-echo
progress "Starting the Python epoll echo server"
python3 -u "$tmp/epoll_echo.py" 0 >"$tmp/python.out" 2>"$tmp/python.err" 3>&- &
python_pid=$!
python_port="$(await_line "$tmp/python.out" 's/^PORT ([0-9]+)$/\1/p' "$python_pid" python)"
socat_port="$(free_port)"
progress "Starting socat on $socat_port"
socat "TCP-LISTEN:$socat_port,bind=127.0.0.1,reuseaddr,fork,backlog=1024" PIPE 3>&- 2>"$tmp/socat.err" &
socat_pid=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $socat_port)).close()" 2>/dev/null && break; sleep 0.1; done

declare -A msgs secs p50 p99
names=(netlab python socat)
declare -A ports=([netlab]="$netlab_port" [python]="$python_port" [socat]="$socat_port")
for round in $(seq "$rounds"); do
    # Alternate the order each round (see DESIGN.md: CPU placement moves figures run to run).
    order=("${names[@]}"); (( round % 2 == 0 )) && order=(socat python netlab)
    for name in "${order[@]}"; do
        progress "Round $round: $name"
        out="$(python3 "$tmp/echo_load.py" "${ports[$name]}" "$conns" "$duration" "$latency" 3>&-)"
        read -r _ m s <<<"$(grep '^THROUGHPUT' <<<"$out")"
        read -r _ a b <<<"$(grep '^LATENCY' <<<"$out")"
        msgs[$name]="${msgs[$name]:-} $m"; secs[$name]="${secs[$name]:-} $s"
        p50[$name]="${p50[$name]:-} $a"; p99[$name]="${p99[$name]:-} $b"
    done
done

report="$(python3 - "${msgs[netlab]}" "${secs[netlab]}" "${p50[netlab]}" "${p99[netlab]}" \
    "${msgs[python]}" "${secs[python]}" "${p50[python]}" "${p99[python]}" \
    "${msgs[socat]}" "${secs[socat]}" "${p50[socat]}" "${p99[socat]}" "$rounds" "$duration" "$conns" "$latency" <<'PY'
import statistics, sys
a = sys.argv[1:]
def server(i):
    m = [float(x) for x in a[i].split()]; s = [float(x) for x in a[i + 1].split()]
    return (statistics.mean(x / y for x, y in zip(m, s)), statistics.median(float(x) for x in a[i + 2].split()), statistics.median(float(x) for x in a[i + 3].split()))
n, p, s = server(0), server(4), server(8)
rounds, duration, conns, latency = a[12:16]
print(f"TCP echo, {rounds} alternating round(s): {conns} connections x {duration} s of 64-byte messages (one in flight each), then {latency} one-at-a-time round trips.\n")
print("| test | Netlab | Python epoll | socat | Netlab/epoll |")
print("|---|--:|--:|--:|--:|")
print(f"| messages/s (mean of rounds) | {n[0]:,.0f} | {p[0]:,.0f} | {s[0]:,.0f} | {n[0] / p[0]:.2f}x |")
print(f"| round trip p50 (us, median of rounds) | {n[1]:.1f} | {p[1]:.1f} | {s[1]:.1f} | {n[1] / p[1]:.2f}x |")
print(f"| round trip p99 (us, median of rounds) | {n[2]:.1f} | {p[2]:.1f} | {s[2]:.1f} | {n[2] / p[2]:.2f}x |")
PY
)"
echo "$report" | tee "$results/echo.md"
