#!/usr/bin/env bash
# HTTP benchmark: the Netlab lab web server against nginx and Python's http.server, all three
# serving the same two files (1 KB and 10 MB) from a temporary content root, measured with wrk.
# Prints a markdown table and saves it to bench/results/http.md (git-ignored).
#
# Quick settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 DURATION=1 bench/http.sh
#   ROUNDS [3]  DURATION whole seconds per run [5]  CONNECTIONS for the 1 KB runs [50]
#   BIG_CONNECTIONS for the 10 MB runs [4]  TIMEOUT wrk's per-request timeout, whole seconds [2]
#   NGINX_WORKERS worker_processes [auto]  NGINX_ACCESS_LOG on|off [on]
#   PYTHON [python3]  PY_PROTOCOL http.server --protocol [HTTP/1.0, its default]
# Needs wrk, nginx and curl (Debian: apt-get install wrk nginx curl), dotnet and Python 3.8+.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
duration="${DURATION:-5}"
connections="${CONNECTIONS:-50}"
big_connections="${BIG_CONNECTIONS:-4}"
timeout_s="${TIMEOUT:-2}"
nginx_workers="${NGINX_WORKERS:-auto}"
nginx_access_log="${NGINX_ACCESS_LOG:-on}"
py_protocol="${PY_PROTOCOL:-HTTP/1.0}"
[[ "$nginx_access_log" =~ ^(on|off)$ ]] || { echo "NGINX_ACCESS_LOG must be on or off." >&2; exit 2; }
# The interpreter's own path, not a version-manager shim: its pid is then the server's.
python="$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')"

source bench/lib.sh
require_positive rounds duration connections big_connections timeout_s
require_tools "Debian: apt-get install wrk nginx curl" wrk nginx curl dotnet
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-http-bench.XXXXXX")"
partial="$(mktemp "$results/http.XXXXXX")"
netlab_pid="" nginx_pid="" python_pid=""
cleanup() {
    set +e
    stop_servers "$netlab_pid" "$nginx_pid" "$python_pid"
    rm -rf "$tmp"
    rm -f "$partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The content root: the same files for all three servers. --------------------------------
content="$tmp/content"
mkdir -p "$content"
head -c 1024 /dev/urandom >"$content/1k.bin"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$content/10m.bin"
chmod 755 "$tmp" "$content"
chmod 644 "$content"/*

# --- wrk's report: one line to parse (the other helpers are in bench/lib.sh). ----------------
cat >"$tmp/report.lua" <<'EOF'
-- One machine-readable line at the end of a run; times in microseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
EOF

# --- The three servers. ---------------------------------------------------------------------
start_netlab serve-http "$content"

nginx_version="$(nginx -v 2>&1 | sed 's|.*nginx/||')"
progress "Starting nginx $nginx_version"
if [[ "$nginx_access_log" == on ]]; then
    access_log="access_log $tmp/nginx-access.log combined buffer=64k flush=1s;"
else
    access_log="access_log off;"
fi
nginx_user=""
[[ $EUID -eq 0 ]] && nginx_user="user $(id -un) $(id -gn);"  # workers would otherwise run as nobody
mkdir -p "$tmp/nginx"
for attempt in 1 2 3 4 5; do
    nginx_port="$(free_port)"
    cat >"$tmp/nginx/nginx.conf" <<EOF
# Minimal: the defaults but for sendfile (on, as in Debian's stock config) and the paths.
$nginx_user
worker_processes $nginx_workers;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
    default_type application/octet-stream;
    sendfile on;
    $access_log
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $content;
    }
}
EOF
    : >"$tmp/nginx-error.log"
    nginx -p "$tmp/nginx" -e "$tmp/nginx-error.log" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx.out" 2>&1 3>&- &
    nginx_pid=$!
    # Up once the port answers; a port taken meanwhile makes nginx exit, and we try another.
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$nginx_port/1k.bin" && break
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$nginx_pid" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$nginx_port/1k.bin"; then
        break
    fi
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
    [[ $attempt -eq 5 ]] && { echo "nginx did not start:" >&2; cat "$tmp/nginx-error.log" "$tmp/nginx.out" >&2; exit 1; }
done
sleep 0.2
nginx_worker_count="$(wc -w <"/proc/$nginx_pid/task/$nginx_pid/children" | tr -d ' ')"

progress "Starting Python's http.server ($python)"
py_args=(-u -m http.server --bind 127.0.0.1 --directory "$content")
[[ "$py_protocol" != HTTP/1.0 ]] && py_args+=(--protocol "$py_protocol")
"$python" "${py_args[@]}" 0 >"$tmp/python.out" 2>"$tmp/python.err" 3>&- &
python_pid=$!
python_port="$(await_line "$tmp/python.out" 's/^Serving HTTP on .* port ([0-9]+) .*/\1/p' "$python_pid" python)"

declare -A port=([Netlab]="$netlab_port" [nginx]="$nginx_port" [Python]="$python_port")
declare -A pid=([Netlab]="$netlab_pid" [nginx]="$nginx_pid" [Python]="$python_pid")
servers=(Netlab nginx Python)
progress "Netlab on port $netlab_port, nginx on $nginx_port ($nginx_worker_count workers), Python on $python_port"

# Every server must send both files byte for byte before it is measured.
content_check=""
for server in "${servers[@]}"; do
    for file in 1k.bin 10m.bin; do
        if ! curl -sf --max-time 30 "http://127.0.0.1:${port[$server]}/$file" | cmp -s - "$content/$file"; then
            content_check+="${content_check:+; }$server sent a different /$file"
        fi
    done
done
progress "Content check: ${content_check:-all files identical}"

# --- The runs. ------------------------------------------------------------------------------
declare -A test_file=([keepalive]=1k.bin [close]=1k.bin [big]=10m.bin)
declare -A test_conns=([keepalive]="$connections" [close]="$connections" [big]="$big_connections")
declare -A test_headers=([keepalive]="" [close]="Connection: close" [big]="")
tests=(keepalive close big)
runs="$tmp/runs.tsv"
: >"$runs"

# run_wrk TEST SERVER SECONDS [ROUND]: one wrk run; with a round, its numbers go to runs.tsv.
run_wrk() {
    local test="$1" server="$2" seconds="$3" round="${4:-}" args out rc=0 result server_before wrk_before
    args=(-t1 "-c${test_conns[$test]}" "-d${seconds}s" "--timeout" "${timeout_s}s" --latency -s "$tmp/report.lua")
    [[ -n "${test_headers[$test]}" ]] && args+=(-H "${test_headers[$test]}")
    server_before="$(proc_ticks "${pid[$server]}")"
    own_children_ticks; wrk_before=$own_children
    # wrk ends by itself after the duration; the kill is a guard against a wedged run.
    out="$(timeout -k 5 $((seconds + 30)) wrk "${args[@]}" "http://127.0.0.1:${port[$server]}/${test_file[$test]}" 2>&1)" || rc=$?
    own_children_ticks
    result="$(sed -n 's/^RESULT //p' <<<"$out")"
    if [[ -z "$result" ]]; then
        progress "wrk failed against $server ($test, exit $rc):"; progress "$out"
        echo "${round:-warm-up}, $test, $server: wrk gave no result (exit $rc$([[ $rc -eq 124 || $rc -eq 137 ]] && echo ", killed after $((seconds + 30)) s")): $(head -c 200 <<<"$out" | tr '\n' ' ')" >>"$tmp/failures"
        result="0 $((seconds * 1000000)) 0 0 0 0 0 0 0 0 0"
    fi
    if ! kill -0 "${pid[$server]}" 2>/dev/null && [[ ! -e "$tmp/gone-$server" ]]; then
        : >"$tmp/gone-$server"
        progress "$server is no longer running"
        echo "${round:-warm-up}, $test, $server: the server is no longer running" >>"$tmp/failures"
    fi
    [[ -z "$round" ]] && return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$round" "$server" "${result// /$'\t'}" \
        "$(($(proc_ticks "${pid[$server]}") - server_before))" "$((own_children - wrk_before))" >>"$runs"
    progress "round $round, $test, $server: $(tail -n1 "$runs" | awk -F'\t' '{
        printf "%d responses in %.1f s (%.0f/s, %.1f MB/s), p50 %.2f ms, p99 %.2f ms, errors c/r/w/t %d/%d/%d/%d, non-2xx %d",
            $4, $5 / 1e6, $4 / ($5 / 1e6), $6 / ($5 / 1e6) / 1048576, $12 / 1000, $13 / 1000, $7, $8, $9, $11, $10 }')"
}

started="$(date -u '+%Y-%m-%d %H:%M')"
load_average="$(cut -d' ' -f1 /proc/loadavg)"
progress "Warming up: 1 s of each test against each server"
for test in "${tests[@]}"; do
    for server in "${servers[@]}"; do
        run_wrk "$test" "$server" 1
    done
done

for round in $(seq "$rounds"); do
    # Rotate which server goes first: each one takes each place once every three rounds.
    shift_by=$(((round - 1) % 3))
    order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
    for test in "${tests[@]}"; do
        for server in "${order[@]}"; do
            run_wrk "$test" "$server" "$duration" "$round"
        done
    done
done

# --- What the servers themselves reported. --------------------------------------------------
exec 3>&-
for _ in $(seq 150); do kill -0 "$netlab_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$netlab_pid" 2>/dev/null; then
    progress "The Netlab server did not stop within 15 s of the end of its input; killed."
    echo "did not stop within 15 s of the end of its input; killed" >>"$tmp/netlab.err"
    kill -KILL "$netlab_pid"
fi
wait "$netlab_pid" 2>/dev/null || progress "The Netlab server exited with an error: $(cat "$tmp/netlab.err")"
netlab_pid=""
kill -TERM "$nginx_pid" "$python_pid" 2>/dev/null || true
wait "$nginx_pid" "$python_pid" 2>/dev/null || true
nginx_pid="" python_pid=""

# --- The report. ----------------------------------------------------------------------------
export RUNS="$runs" ROUNDS="$rounds" DURATION="$duration" CONNECTIONS="$connections" BIG_CONNECTIONS="$big_connections" \
    TIMEOUT="$timeout_s" CLK_TCK="$clk_tck" STARTED="$started" LOAD_AVERAGE="$load_average" CONTENT_CHECK="$content_check" \
    NGINX_VERSION="$nginx_version" NGINX_WORKERS="$nginx_workers" NGINX_WORKER_COUNT="$nginx_worker_count" \
    NGINX_ACCESS_LOG="$nginx_access_log" PY_PROTOCOL="$py_protocol" \
    PYTHON_VERSION="$("$python" -c 'import platform; print(platform.python_version())')" \
    DOTNET_VERSION="$(dotnet --version)" WRK_VERSION="$(wrk -v 2>&1 | head -n1 | awk '{print $2}')" \
    NETLAB_EVENTS="$(sed -n 's/^EVENTS //p' "$tmp/netlab.out")" NETLAB_STDERR="$(head -c 2000 "$tmp/netlab.err")" \
    NGINX_ERRORS="$(grep -c . "$tmp/nginx-error.log" || true)" NGINX_ERROR_SAMPLE="$(head -n3 "$tmp/nginx-error.log" | cut -c1-300)" \
    NGINX_ACCESS_STATUSES="$( [[ -f "$tmp/nginx-access.log" ]] && awk '{n[$9]++} END {for (s in n) printf "%s%s × %d", (i++ ? ", " : ""), s, n[s]}' "$tmp/nginx-access.log")" \
    PYTHON_REQUESTS="$(grep -c '" [0-9][0-9][0-9] ' "$tmp/python.err" || true)" \
    PYTHON_STATUSES="$(sed -nE 's/.*" ([0-9]{3}) .*/\1/p' "$tmp/python.err" | sort | uniq -c | awk '{printf "%s%s × %d", (NR > 1 ? ", " : ""), $2, $1}')" \
    PYTHON_TRACEBACKS="$(grep -c '^Traceback' "$tmp/python.err" || true)" \
    PYTHON_ERROR_SAMPLE="$(grep -E '^[A-Za-z.]+(Error|Exception): ' "$tmp/python.err" | sort | uniq -c | sort -rn | head -n3 | cut -c1-200)" \
    LOAD_AVERAGE_END="$(cut -d' ' -f1 /proc/loadavg)" FAILURES="$(cat "$tmp/failures" 2>/dev/null || true)" CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" CPUS="$(nproc)" OS="$(uname -sr)"
"$python" - <<'EOF' | tee "$partial"
import math, os, statistics

env = os.environ
tick = int(env["CLK_TCK"])
runs = []
for line in open(env["RUNS"]):
    f = line.rstrip("\n").split("\t")
    test, rnd, server = f[0], int(f[1]), f[2]
    req, dur, byt, conn, read, write, status, timeout, p50, p99, mx, sticks, wticks = map(float, f[3:16])
    secs = dur / 1e6
    runs.append(dict(test=test, round=rnd, server=server, requests=int(req), bytes=byt, server_ticks=sticks,
                     rps=req / secs, mbps=byt / secs / 1048576,
                     errors=(int(conn), int(read), int(write), int(timeout)), status=int(status),
                     p50=p50 / 1000, p99=p99 / 1000, max=mx / 1000,
                     server_cpu=sticks / tick / secs * 100, wrk_cpu=wticks / tick / secs * 100))

servers = ["Netlab", "nginx", "Python"]
conns, big = env["CONNECTIONS"], env["BIG_CONNECTIONS"]
wrk = f"wrk -t1 -d{env['DURATION']}s --timeout {env['TIMEOUT']}s --latency"
tests = {
    "keepalive": (f"1 KB file, keep-alive: `{wrk} -c{conns}`", "requests/s", "rps"),
    "close": (f"1 KB file, a new connection per request: `{wrk} -c{conns} -H 'Connection: close'`", "requests/s", "rps"),
    "big": (f"10 MB file, keep-alive: `{wrk} -c{big}`", "MB/s", "mbps"),
}

def errors(e):
    return "–" if not any(e) else "/".join(str(n) for n in e)

def rate(v, key):
    return f"{v:,.1f}" if key == "mbps" else f"{v:,.0f}"

out = []
w = out.append
w("# HTTP benchmark: Netlab web server, nginx, Python http.server")
w("")
w(f"{env['STARTED']} UTC · {env['OS']} · {env['CPUS']} CPUs ({env['CPU_MODEL']}) · .NET SDK {env['DOTNET_VERSION']} · "
  f"nginx {env['NGINX_VERSION']} (worker_processes {env['NGINX_WORKERS']} = {env['NGINX_WORKER_COUNT']}, access_log {env['NGINX_ACCESS_LOG']}, sendfile on) · "
  f"Python {env['PYTHON_VERSION']} http.server ({env['PY_PROTOCOL']}) · wrk {env['WRK_VERSION']} · "
  f"load average {env['LOAD_AVERAGE']} at start, {env['LOAD_AVERAGE_END']} at end")
w("")
w(f"Content check (each server's 1k.bin and 10m.bin compared byte for byte before the runs): {env['CONTENT_CHECK'] or 'all identical'}.")
w("")
for test, (title, unit, key) in tests.items():
    w(f"## {title}")
    w("")
    w(f"| round | server | {unit} | responses | p50 (ms) | p99 (ms) | max (ms) | socket errors c/r/w/t | non-2xx/3xx | server CPU | wrk CPU |")
    w("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in (r for r in runs if r["test"] == test):
        w(f"| {r['round']} | {r['server']} | {rate(r[key], key)} | {r['requests']:,} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.1f} | "
          f"{errors(r['errors'])} | {r['status'] or '–'} | {r['server_cpu']:.0f}% | {r['wrk_cpu']:.0f}% |")
    for s in servers:
        rs = [r for r in runs if r["test"] == test and r["server"] == s]
        v = [r[key] for r in rs]
        e = tuple(sum(r["errors"][i] for r in rs) for i in range(4))
        w(f"| **all** | **{s}** | **{rate(statistics.mean(v), key)}** ({rate(min(v), key)}–{rate(max(v), key)}) | {sum(r['requests'] for r in rs):,} | "
          f"{statistics.median(r['p50'] for r in rs):.2f} | {statistics.median(r['p99'] for r in rs):.2f} | {max(r['max'] for r in rs):.1f} | "
          f"{errors(e)} | {sum(r['status'] for r in rs) or '–'} | {statistics.mean(r['server_cpu'] for r in rs):.0f}% | {statistics.mean(r['wrk_cpu'] for r in rs):.0f}% |")
    w("")

w("## Summary: mean of the rounds")
w("")
w("| test | Netlab | nginx | Python | Netlab/nginx | Netlab/Python |")
w("|---|--:|--:|--:|--:|--:|")
labels = {"keepalive": "1 KB keep-alive", "close": "1 KB new connection per request", "big": "10 MB"}
def ratio(a, b):
    if not b or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{a / b:.2f}×" if a / b >= 0.1 else f"{a / b:.2g}×"
cpu = lambda v: "n/a" if math.isnan(v) else f"{v:,.1f}"
for test, (_, unit, key) in tests.items():
    mean = {s: statistics.mean(r[key] for r in runs if r["test"] == test and r["server"] == s) for s in servers}
    w(f"| {labels[test]} ({unit}) | {rate(mean['Netlab'], key)} | {rate(mean['nginx'], key)} | {rate(mean['Python'], key)} | "
      f"{ratio(mean['Netlab'], mean['nginx'])} | {ratio(mean['Netlab'], mean['Python'])} |")
for test in ("keepalive", "close"):
    p99 = {s: statistics.median(r["p99"] for r in runs if r["test"] == test and r["server"] == s) for s in servers}
    w(f"| {labels[test]}, p99 latency (ms, median of rounds) | {p99['Netlab']:.2f} | {p99['nginx']:.2f} | {p99['Python']:.2f} | "
      f"{ratio(p99['Netlab'], p99['nginx'])} | {ratio(p99['Netlab'], p99['Python'])} |")
# Server CPU per unit of work: what a server costs when the client, not the server, is the limit.
for test, unit, per in (("keepalive", "µs per response", lambda r: r["requests"] / 1e6),
                        ("close", "µs per response", lambda r: r["requests"] / 1e6),
                        ("big", "ms per GB sent", lambda r: r["bytes"] / 2**30 / 1e3)):
    cost = {}
    for s in servers:
        rs = [r for r in runs if r["test"] == test and r["server"] == s]
        work = sum(per(r) for r in rs)
        cost[s] = sum(r["server_ticks"] for r in rs) / tick / work if work else float("nan")
    w(f"| {labels[test]}, server CPU ({unit}) | {cpu(cost['Netlab'])} | {cpu(cost['nginx'])} | {cpu(cost['Python'])} | "
      f"{ratio(cost['Netlab'], cost['nginx'])} | {ratio(cost['Netlab'], cost['Python'])} |")
w("")

if env["FAILURES"]:
    w("## Failed runs (counted as 0 responses)")
    w("")
    for line in env["FAILURES"].splitlines():
        w(f"- {line}")
    w("")

w("## What the servers reported")
w("")
w("- Netlab (its event stream, drained as the portal does):")
for line in env["NETLAB_EVENTS"].splitlines() or ["no EVENTS lines: the server did not stop cleanly"]:
    w(f"  - {line}")
if env["NETLAB_STDERR"].strip():
    w(f"  - stderr: `{' '.join(env['NETLAB_STDERR'].split())[:500]}`")
w(f"- nginx: access log statuses: {env['NGINX_ACCESS_STATUSES'] or 'not logged'}; error.log lines (warn and up): {env['NGINX_ERRORS']}")
for line in env["NGINX_ERROR_SAMPLE"].splitlines():
    w(f"  - `{line}`")
w(f"- Python: logged requests: {env['PYTHON_REQUESTS']} ({env['PYTHON_STATUSES'] or 'none'}); tracebacks: {env['PYTHON_TRACEBACKS']}")
for line in env["PYTHON_ERROR_SAMPLE"].splitlines():
    w(f"  - `{line.strip()}`")
w("")

w("Notes:")
w("- Every run is one wrk thread for the given duration against one server; within a round the three servers run each test back to back, "
  "and the first server rotates from round to round. A warm-up second of each test against each server comes first and is not counted. "
  "**all** shows the mean of the rounds (min–max) for the rate, the median of the rounds' p50 and p99, and totals for the errors.")
w("- Latency is wrk's, from writing a request to reading its whole response; with a new connection per request the TCP handshake is not in it. "
  "Responses cut off by the end of the run are not counted as responses, but their bytes are in MB/s.")
w(f"- Socket errors are wrk's counts of connect/read/write errors and of requests with no response within {env['TIMEOUT']} s (timeouts); "
  "non-2xx/3xx counts responses with any other status.")
w("- New connection per request: wrk sends `Connection: close`, the server closes after the response and wrk reconnects. "
  + ("Python's http.server answers HTTP/1.0 and closes every connection anyway, so its keep-alive runs are also one connection per request. "
     if env["PY_PROTOCOL"] == "HTTP/1.0" else f"Python's http.server runs with --protocol {env['PY_PROTOCOL']}. ")
  + "Python's server listens with a backlog of 5: if its accept loop falls behind, connections wait for SYN retransmits (1 s and more), "
  "which would show as timeouts and long tails; wrk stops every run after its duration whatever the server does.")
w("- Netlab: `Netlab.Bench serve-http` in a process of its own, HttpServer with default options. nginx: its own minimal config in the temporary folder "
  "(non-daemon, defaults otherwise, so keepalive_requests 1000). Python: `python3 -m http.server --bind 127.0.0.1 --directory ROOT 0`, logging each request to stderr (to a file).")
w("- CPU columns: each process's CPU time over the run in % of one core (nginx: master and workers); the server and wrk share the machine's CPUs. "
  "Where wrk's CPU is near 100% (its one thread), wrk is the limit and the rate understates the server: the summary's server CPU per response "
  "(or per GB, in ms of CPU time) compares the servers' cost regardless. MB/s counts every byte wrk read, heads included (MB = 2^20 bytes).")
w("- What the servers reported covers the whole run, content check and warm-up included; Python's tracebacks are BrokenPipe/ConnectionReset "
  "when wrk closes connections mid-response at the end of a run.")
print("\n".join(out))
EOF
chmod 644 "$partial"  # mktemp makes it private
mv "$partial" "$results/http.md"
