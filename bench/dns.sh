#!/usr/bin/env bash
# DNS benchmark: the Netlab DNS server against dnsmasq, both answering the same names (the lab's
# zone, wwwroot-content/dns/netlab.zone) from a mix of queries, measured with dnsperf over UDP and TCP.
# Prints a markdown table and saves it to bench/results/dns.md (git-ignored).
#
# Quick settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 DURATION=1 bench/dns.sh
#   ROUNDS [3]  DURATION whole seconds per run [10]  CLIENTS dnsperf -c [10]
#   OUTSTANDING dnsperf -q, queries in flight at most [100]  QPS dnsperf -Q, 0 for no limit [0]
#   TIMEOUT dnsperf -t, seconds after which a query counts as lost [1]  TRANSPORTS [udp tcp]
#   DNSMASQ_CACHE dnsmasq --cache-size [1000]
#   DNSMASQ_FOREGROUND keep-in-foreground|no-daemon [keep-in-foreground]: --no-daemon is dnsmasq's debug mode,
#     which answers TCP inline instead of forking a process per connection, and stalls under dnsperf's TCP load
# Needs dnsperf, dnsmasq and dig (Debian: apt-get install dnsperf dnsmasq bind9-dnsutils), dotnet and Python 3.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
duration="${DURATION:-10}"
clients="${CLIENTS:-10}"
outstanding="${OUTSTANDING:-100}"
qps="${QPS:-0}"
timeout_s="${TIMEOUT:-1}"
dnsmasq_cache="${DNSMASQ_CACHE:-1000}"
dnsmasq_foreground="${DNSMASQ_FOREGROUND:-keep-in-foreground}"
read -r -a transports <<<"${TRANSPORTS:-udp tcp}"
[[ "$qps" =~ ^[0-9]+$ ]] || { echo "QPS must be a whole number (0 for no limit); got '$qps'." >&2; exit 2; }
[[ "$dnsmasq_cache" =~ ^[0-9]+$ ]] || { echo "DNSMASQ_CACHE must be a whole number; got '$dnsmasq_cache'." >&2; exit 2; }
[[ "$dnsmasq_foreground" =~ ^(keep-in-foreground|no-daemon)$ ]] || { echo "DNSMASQ_FOREGROUND must be keep-in-foreground or no-daemon." >&2; exit 2; }
[[ ${#transports[@]} -gt 0 ]] || { echo "TRANSPORTS must name udp, tcp or both." >&2; exit 2; }
for transport in "${transports[@]}"; do
    [[ "$transport" =~ ^(udp|tcp)$ ]] || { echo "TRANSPORTS must name udp, tcp or both; got '$transport'." >&2; exit 2; }
done

source bench/lib.sh
require_positive rounds duration clients outstanding timeout_s
require_tools "Debian: apt-get install dnsperf dnsmasq bind9-dnsutils python3" dnsperf dnsmasq dig dotnet python3
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-dns-bench.XXXXXX")"
partial="$(mktemp "$results/dns.XXXXXX")"
netlab_pid="" dnsmasq_pid=""
cleanup() {
    set +e
    stop_servers "$netlab_pid" "$dnsmasq_pid"
    rm -rf "$tmp"
    rm -f "$partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- The zone and the queries: the same names for both servers. -----------------------------
content="$tmp/content"
mkdir -p "$content/dns"
cp wwwroot-content/dns/netlab.zone "$content/dns/netlab.zone"

# dnsmasq's records for the same names (TTLs too). dnsmasq has no SOA or NS outside its
# authoritative mode; --local makes it answer NXDOMAIN for the zone's unknown names.
dnsmasq_records=(
    --local=/netlab.test/
    --host-record=ns1.netlab.test,127.0.0.1,3600
    --host-record=www.netlab.test,192.165.1.1,2001:db8::1,260
    --host-record=www.netlab.test,192.165.1.10,260
    --host-record=mail.netlab.test,192.165.1.20,260
    --host-record=ftp.netlab.test,192.165.1.21,260
    --host-record=docs.netlab.test,192.165.1.22,260
    --cname=web.netlab.test,www.netlab.test,300
    --cname=alias.netlab.test,web.netlab.test,300
    --mx-host=netlab.test,mail.netlab.test,10
    --txt-record=netlab.test,"v=spf1 mx -all"
    --txt-record=info.netlab.test,"Netlab DNS lab","RFC 1035 wire format"
    --local-ttl=300  # the MX and TXT records'
)
# dnsperf goes through the file in order, again and again: 12 names that exist (one a NODATA,
# one a two-hop CNAME chain) and 3 that do not. The big TXT (TC over UDP) is left out.
queries=(
    "www.netlab.test A" "www.netlab.test AAAA" "mail.netlab.test A" "ftp.netlab.test A" "docs.netlab.test A"
    "ns1.netlab.test A" "netlab.test MX" "netlab.test TXT" "info.netlab.test TXT" "web.netlab.test A"
    "alias.netlab.test A" "web.netlab.test CNAME" "mail.netlab.test AAAA"
    "nothere.netlab.test A" "missing.netlab.test AAAA" "x.www.netlab.test A"
)
printf '%s\n' "${queries[@]}" >"$tmp/queries.txt"

# --- Helpers (the shared ones are in bench/lib.sh). ----------------------------------------
# dig's view of one query: "STATUS" then the answer section, one record a line, TTLs kept,
# whitespace squeezed, sorted (the order of an RRset is free).
dig_view() {
    local port="$1" name="$2" type="$3" out
    shift 3
    out="$(dig @127.0.0.1 -p "$port" +time=2 +tries=1 +noall +comments +answer "$@" "$name" "$type" 2>&1)" || { echo "dig failed: $(head -n1 <<<"$out")"; return 0; }
    sed -nE 's/.*status: ([A-Z]+),.*/\1/p' <<<"$out" | head -n1
    grep -vE '^(;|$)' <<<"$out" | tr -s ' \t' ' ' | sort || true
}

# The machine's UDP datagrams dropped for a full socket receive buffer (server's or dnsperf's).
udp_rcvbuf_errors() {
    awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

# --- The two servers. -----------------------------------------------------------------------
start_netlab serve-dns "$content" dns/netlab.zone

dnsmasq_version="$(dnsmasq --version | sed -n '1s/^Dnsmasq version \([^ ]*\).*/\1/p')"
progress "Starting dnsmasq $dnsmasq_version"
dnsmasq_user="$(id -un)"  # dnsmasq would otherwise drop to the user "dnsmasq" or nobody
if [[ "$dnsmasq_foreground" == keep-in-foreground ]]; then
    # As the daemon runs, forking for TCP, but in the foreground, logging to stderr, with no pid file.
    dnsmasq_mode=(--keep-in-foreground --log-facility=- --pid-file)
else
    dnsmasq_mode=(--no-daemon)
fi
for attempt in 1 2 3 4 5; do
    dnsmasq_port="$(free_port)"
    dnsmasq_args=("${dnsmasq_mode[@]}" "--port=$dnsmasq_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts
        --conf-file=/dev/null "--user=$dnsmasq_user" "--cache-size=$dnsmasq_cache" "${dnsmasq_records[@]}")
    dnsmasq "${dnsmasq_args[@]}" >"$tmp/dnsmasq.out" 2>"$tmp/dnsmasq.err" 3>&- &
    dnsmasq_pid=$!
    # Up once it answers; a port taken meanwhile makes dnsmasq exit, and we try another.
    for _ in $(seq 50); do
        dig @127.0.0.1 -p "$dnsmasq_port" +time=1 +tries=1 +short www.netlab.test A >/dev/null 2>&1 && break
        kill -0 "$dnsmasq_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$dnsmasq_pid" 2>/dev/null && dig @127.0.0.1 -p "$dnsmasq_port" +time=1 +tries=1 +short www.netlab.test A >/dev/null 2>&1; then
        break
    fi
    kill -TERM "$dnsmasq_pid" 2>/dev/null || true
    wait "$dnsmasq_pid" 2>/dev/null || true
    dnsmasq_pid=""
    [[ $attempt -eq 5 ]] && { echo "dnsmasq did not start:" >&2; cat "$tmp/dnsmasq.out" "$tmp/dnsmasq.err" >&2; exit 1; }
done

declare -A port=([Netlab]="$netlab_port" [dnsmasq]="$dnsmasq_port")
declare -A pid=([Netlab]="$netlab_pid" [dnsmasq]="$dnsmasq_pid")
servers=(Netlab dnsmasq)
progress "Netlab on port $netlab_port, dnsmasq on $dnsmasq_port (UDP and TCP each)"

# --- Before measuring: the answers. ---------------------------------------------------------
# Both must give www.netlab.test A with its two addresses, over UDP and TCP, or nothing is measured.
for server in "${servers[@]}"; do
    for transport in "${transports[@]}"; do
        got="$(dig @127.0.0.1 -p "${port[$server]}" +time=2 +tries=1 "+$([[ $transport == tcp ]] && echo tcp || echo notcp)" +short www.netlab.test A 2>&1 | sort | tr '\n' ' ')"
        if [[ "$got" != "192.165.1.1 192.165.1.10 " ]]; then
            echo "$server over ${transport^^} does not answer www.netlab.test A with 192.165.1.1 and 192.165.1.10; dig +short said: '$got'" >&2
            exit 1
        fi
    done
done
progress "Both servers answer www.netlab.test A with 192.165.1.1 and 192.165.1.10"
# Every query of the mix, side by side, for the report: the response code and the answer section.
answers="$tmp/answers.tsv"
: >"$answers"
for query in "${queries[@]}"; do
    read -r name type <<<"$query"
    netlab_view="$(dig_view "$netlab_port" "$name" "$type")"
    dnsmasq_view="$(dig_view "$dnsmasq_port" "$name" "$type")"
    printf '%s\t%s\t%s\t%s\n' "$name" "$type" "${netlab_view//$'\n'/|}" "${dnsmasq_view//$'\n'/|}" >>"$answers"
done
answer_diffs="$(awk -F'\t' '$3 != $4' "$answers" | wc -l | tr -d ' ')"
progress "Answer check: $answer_diffs of ${#queries[@]} queries answered differently (see the report)"

# --- The runs. ------------------------------------------------------------------------------
runs="$tmp/runs.tsv"
: >"$runs"
mkdir -p "$tmp/out"

# run_dnsperf TRANSPORT SERVER SECONDS [ROUND]: one dnsperf run; with a round, its numbers go to runs.tsv.
run_dnsperf() {
    local transport="$1" server="$2" seconds="$3" round="${4:-}" args out rc=0 result server_before perf_before udp_before
    args=(-m "$transport" -s 127.0.0.1 -p "${port[$server]}" -d "$tmp/queries.txt" -c "$clients" -q "$outstanding" -l "$seconds" -t "$timeout_s")
    [[ "$qps" -gt 0 ]] && args+=(-Q "$qps")
    server_before="$(proc_ticks "${pid[$server]}")"
    udp_before="$(udp_rcvbuf_errors)"
    own_children_ticks; perf_before=$own_children
    # dnsperf ends by itself after the duration; the kill is a guard against a wedged run.
    out="$tmp/out/${round:-warm-up}-$transport-$server.txt"
    timeout -k 5 $((seconds + timeout_s + 30)) dnsperf "${args[@]}" >"$out" 2>&1 3>&- || rc=$?
    own_children_ticks
    # sent completed lost qps avg min max stddev request-bytes response-bytes other-lines reconnections response-codes
    result="$(awk '
        /^ *Queries sent:/ { sent = $3 }
        /^ *Queries completed:/ { done = $3 }
        /^ *Queries lost:/ { lost = $3 }
        /^ *Queries per second:/ { qps = $4 }
        /^ *Average packet size:/ { gsub(/,/, ""); req = $5; resp = $7 }
        /^ *Average Latency \(s\):/ && avg == "" { l = $0; gsub(/[(),]/, " ", l); split(l, a, " "); avg = a[5]; mn = a[7]; mx = a[9] }
        /^ *Latency StdDev \(s\):/ && sd == "" { sd = $4 }
        /^ *Response codes:/ { c = $0; sub(/^ *Response codes: */, "", c); gsub(/ \([0-9.]+%\)/, "", c) }
        /^ *Reconnections:/ { rec = $2 }
        /^\[/ && !/^\[Status\]/ { other++ }
        END { if (qps != "") printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s", sent, done, lost, qps, avg, mn, mx, sd, req, resp, other, rec, c }
    ' "$out")"
    if [[ -z "$result" ]]; then
        progress "dnsperf failed against $server ($transport, exit $rc):"; progress "$(head -n 20 "$out")"
        echo "${round:-warm-up}, ${transport^^}, $server: dnsperf gave no statistics (exit $rc$([[ $rc -eq 124 || $rc -eq 137 ]] && echo ", killed")): $(grep -v '^\[Status\]' "$out" | head -c 200 | tr '\n' ' ')" >>"$tmp/failures"
        result="$(printf '0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t')"
    fi
    if ! kill -0 "${pid[$server]}" 2>/dev/null && [[ ! -e "$tmp/gone-$server" ]]; then
        : >"$tmp/gone-$server"
        progress "$server is no longer running"
        echo "${round:-warm-up}, ${transport^^}, $server: the server is no longer running" >>"$tmp/failures"
    fi
    [[ -z "$round" ]] && return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$transport" "$round" "$server" "$seconds" "$result" \
        "$(($(proc_ticks "${pid[$server]}") - server_before))" "$((own_children - perf_before))" "$(($(udp_rcvbuf_errors) - udp_before))" >>"$runs"
    progress "round $round, ${transport^^}, $server: $(tail -n1 "$runs" | awk -F'\t' '{
        printf "%.0f queries/s, %d sent, %d lost, average latency %.3f ms (max %.1f ms), %s; reconnections %d, UDP receive-buffer drops %d",
            $8, $5, $7, $9 * 1000, $11 * 1000, $17, $16, $20 }')"
}

started="$(date -u '+%Y-%m-%d %H:%M')"
load_average="$(cut -d' ' -f1 /proc/loadavg)"
progress "Warming up: 2 s of each transport against each server"
for transport in "${transports[@]}"; do
    for server in "${servers[@]}"; do
        run_dnsperf "$transport" "$server" 2
    done
done

for round in $(seq "$rounds"); do
    # Alternate which server goes first.
    if ((round % 2)); then order=(Netlab dnsmasq); else order=(dnsmasq Netlab); fi
    for transport in "${transports[@]}"; do
        for server in "${order[@]}"; do
            run_dnsperf "$transport" "$server" "$duration" "$round"
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
kill -TERM "$dnsmasq_pid" 2>/dev/null || true
wait "$dnsmasq_pid" 2>/dev/null || true
dnsmasq_pid=""

# --- The report. ----------------------------------------------------------------------------
export RUNS="$runs" ANSWERS="$answers" ROUNDS="$rounds" DURATION="$duration" CLIENTS="$clients" OUTSTANDING="$outstanding" \
    QPS="$qps" DNSMASQ_FOREGROUND="$dnsmasq_foreground" TIMEOUT="$timeout_s" CLK_TCK="$clk_tck" STARTED="$started" LOAD_AVERAGE="$load_average" \
    TRANSPORTS="${transports[*]}" QUERY_COUNT="${#queries[@]}" \
    DNSMASQ_VERSION="$dnsmasq_version" DNSMASQ_ARGS="$(printf '%s\n' "${dnsmasq_args[@]}" | grep -v -- '--port=')" \
    DOTNET_VERSION="$(dotnet --version)" DNSPERF_VERSION="$(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -n1)" \
    DIG_VERSION="$(dig -v 2>&1 | awk '{print $2}')" \
    NETLAB_EVENTS="$(sed -n 's/^EVENTS //p' "$tmp/netlab.out")" NETLAB_STDERR="$(head -c 2000 "$tmp/netlab.err")" \
    DNSMASQ_LOG="$(cat "$tmp/dnsmasq.out" "$tmp/dnsmasq.err" | grep -vE '^dnsmasq(\[[0-9]+\])?: (started|compile time options|warning: no upstream servers configured|using only locally-known addresses|cleared cache|exiting on receipt of SIGTERM)' | head -n 5 | cut -c1-300)" \
    DNSPERF_OTHER="$(cat "$tmp/out/"*.txt | grep -E '^\[' | grep -v '^\[Status\]' | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 5 | cut -c1-200)" \
    LOAD_AVERAGE_END="$(cut -d' ' -f1 /proc/loadavg)" FAILURES="$(cat "$tmp/failures" 2>/dev/null || true)" \
    CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" CPUS="$(nproc)" OS="$(uname -sr)"
python3 - <<'EOF' | tee "$partial"
import math, os, shlex, statistics

env = os.environ
tick = int(env["CLK_TCK"])
runs = []
for line in open(env["RUNS"]):
    f = line.rstrip("\n").split("\t")
    transport, rnd, server, seconds = f[0], int(f[1]), f[2], float(f[3])
    sent, done, lost = int(f[4]), int(f[5]), int(f[6])
    qps, avg, mn, mx, sd = map(float, f[7:12])
    req, resp, other, reconnections, codes = f[12], f[13], int(f[14]), int(f[15]), f[16]
    sticks, pticks, udp_drops = int(f[17]), int(f[18]), int(f[19])
    runs.append(dict(transport=transport, round=rnd, server=server, sent=sent, completed=done, lost=lost, qps=qps,
                     avg=avg * 1000, min=mn * 1000, max=mx * 1000, sd=sd * 1000, req=req, resp=resp, other=other,
                     codes=codes, reconnections=reconnections, server_ticks=sticks, server_cpu=sticks / tick / seconds * 100,
                     perf_cpu=pticks / tick / seconds * 100, udp_drops=udp_drops))

# dnsperf now and then reports a maximum latency of years (seen over TCP with reconnections):
# anything longer than the run and its timeout is an artefact, shown as such and left out of **all**.
longest = (float(env["DURATION"]) + float(env["TIMEOUT"])) * 1000
bogus = [r for r in runs if r["max"] > longest]
for r in bogus:
    r["bogus_max"], r["max"] = r["max"], float("nan")

servers = ["Netlab", "dnsmasq"]
transports = env["TRANSPORTS"].split()
qps_limit = f" -Q {env['QPS']}" if env["QPS"] != "0" else ""
dnsperf = f"dnsperf -c {env['CLIENTS']} -q {env['OUTSTANDING']} -l {env['DURATION']} -t {env['TIMEOUT']}{qps_limit}"

def ratio(a, b):
    if not b or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{a / b:.2f}×" if a / b >= 0.1 else f"{a / b:.2g}×"

def lost(rs):
    sent = sum(r["sent"] for r in rs)
    n = sum(r["lost"] for r in rs)
    return "–" if not n else f"{n:,} ({n / sent * 100:.2g}%)" if sent else f"{n:,}"

out = []
w = out.append
w("# DNS benchmark: Netlab DNS server, dnsmasq")
w("")
w(f"{env['STARTED']} UTC · {env['OS']} · {env['CPUS']} CPUs ({env['CPU_MODEL']}) · .NET SDK {env['DOTNET_VERSION']} · "
  f"dnsmasq {env['DNSMASQ_VERSION']} · dnsperf {env['DNSPERF_VERSION']} · dig {env['DIG_VERSION']} · "
  f"load average {env['LOAD_AVERAGE']} at start, {env['LOAD_AVERAGE_END']} at end")
w("")

answers = [line.rstrip("\n").split("\t") for line in open(env["ANSWERS"])]
diffs = [a for a in answers if a[2] != a[3]]
w(f"## Answers before the runs (dig, response code and answer section, TTLs included)")
w("")
w(f"Both servers answer `www.netlab.test A` with 192.165.1.1 and 192.165.1.10 over {' and '.join(t.upper() for t in transports)} "
  f"(checked first; nothing is measured otherwise). Of the {len(answers)} queries of the mix, "
  f"{len(answers) - len(diffs)} get the same response code and answer section from both"
  + (":" if not diffs else f"; {len(diffs)} differ:"))
w("")
w("| query | Netlab | dnsmasq |")
w("|---|---|---|")
cell = lambda v: "<br>".join(f"`{p}`" for p in v.split("|") if p) or "–"
for name, qtype, netlab, dnsmasq in answers:
    w(f"| {name} {qtype} | {cell(netlab)} | {'same' if netlab == dnsmasq else cell(dnsmasq)} |")
w("")

labels = {"udp": "UDP", "tcp": "TCP"}
for transport in transports:
    # UDP: datagrams the kernel dropped; TCP: connections dnsperf had to open again.
    extra, extra_key = ("UDP rcvbuf drops", "udp_drops") if transport == "udp" else ("reconnections", "reconnections")
    w(f"## {labels[transport]}: `{dnsperf} -m {transport}`, {env['QUERY_COUNT']} queries in a loop")
    w("")
    w(f"| round | server | queries/s | sent | lost | avg latency (ms) | stddev (ms) | max (ms) | response codes | packet size q/r (bytes) | {extra} | server CPU | dnsperf CPU |")
    w("|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|")
    for r in (r for r in runs if r["transport"] == transport):
        w(f"| {r['round']} | {r['server']} | {r['qps']:,.0f} | {r['sent']:,} | {lost([r])} | {r['avg']:.3f} | {r['sd']:.3f} | {'n/a¹' if 'bogus_max' in r else format(r['max'], '.1f')} | "
          f"{r['codes'] or '–'} | {r['req']}/{r['resp']} | {r[extra_key] or '–'} | {r['server_cpu']:.0f}% | {r['perf_cpu']:.0f}% |")
    for s in servers:
        rs = [r for r in runs if r["transport"] == transport and r["server"] == s]
        if not rs:
            continue
        v = [r["qps"] for r in rs]
        w(f"| **all** | **{s}** | **{statistics.mean(v):,.0f}** ({min(v):,.0f}–{max(v):,.0f}) | {sum(r['sent'] for r in rs):,} | {lost(rs)} | "
          f"{statistics.median(r['avg'] for r in rs):.3f} | {statistics.median(r['sd'] for r in rs):.3f} | {max((format(r['max'], '.1f') for r in rs if 'bogus_max' not in r), key=float, default='n/a')} | | | "
          f"{sum(r[extra_key] for r in rs) or '–'} | {statistics.mean(r['server_cpu'] for r in rs):.0f}% | {statistics.mean(r['perf_cpu'] for r in rs):.0f}% |")
    w("")

w("## Summary: mean of the rounds")
w("")
w("| test | Netlab | dnsmasq | Netlab/dnsmasq |")
w("|---|--:|--:|--:|")
def of(transport, s):
    return [r for r in runs if r["transport"] == transport and r["server"] == s]
for transport in transports:
    if not all(of(transport, s) for s in servers):
        continue
    t = labels[transport]
    q = {s: statistics.mean(r["qps"] for r in of(transport, s)) for s in servers}
    w(f"| {t}, queries/s | {q['Netlab']:,.0f} | {q['dnsmasq']:,.0f} | {ratio(q['Netlab'], q['dnsmasq'])} |")
    a = {s: statistics.median(r["avg"] for r in of(transport, s)) for s in servers}
    w(f"| {t}, average latency (ms, median of rounds) | {a['Netlab']:.3f} | {a['dnsmasq']:.3f} | {ratio(a['Netlab'], a['dnsmasq'])} |")
    l = {s: sum(r["lost"] for r in of(transport, s)) for s in servers}
    w(f"| {t}, lost queries (all rounds) | {l['Netlab']:,} | {l['dnsmasq']:,} | |")
    cost = {}
    for s in servers:
        rs = of(transport, s)
        done = sum(r["completed"] for r in rs)
        cost[s] = sum(r["server_ticks"] for r in rs) / tick / done * 1e6 if done else float("nan")
    cpu = lambda v: "n/a" if math.isnan(v) else f"{v:,.1f}"
    w(f"| {t}, server CPU (µs per answered query) | {cpu(cost['Netlab'])} | {cpu(cost['dnsmasq'])} | {ratio(cost['Netlab'], cost['dnsmasq'])} |")
w("")

if bogus:
    w("¹ dnsperf's maximum latency, " + "; ".join(f"round {r['round']}, {labels[r['transport']]}, {r['server']}: {r['bogus_max'] / 1000:,.0f} s" for r in bogus)
      + f", is longer than the run: a dnsperf artefact, left out of the maxima; the run's other numbers are kept.")
    w("")

if env["FAILURES"]:
    w("## Failed runs (counted as 0 queries)")
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
w(f"- dnsmasq (stderr, start-up lines left out; no query log): {'nothing' if not env['DNSMASQ_LOG'] else ''}")
for line in env["DNSMASQ_LOG"].splitlines():
    w(f"  - `{line}`")
w(f"- dnsperf's warnings and timeouts, all runs: {'none' if not env['DNSPERF_OTHER'] else ''}")
for line in env["DNSPERF_OTHER"].splitlines():
    w(f"  - `{line.strip()}`")
w("")

w("Notes:")
w(f"- Every run is one dnsperf process (one thread, {env['CLIENTS']} client sockets, at most {env['OUTSTANDING']} queries in flight"
  + (f", at most {env['QPS']} queries/s" if qps_limit else ", no rate limit") + f") for {env['DURATION']} s against one server; "
  "within a round the two servers run each transport back to back, and the first server alternates from round to round. "
  "Two warm-up seconds of each transport against each server come first and are not counted. "
  "**all** shows the mean of the rounds (min–max) for queries/s, the median of the rounds' average latency and stddev, and totals.")
w(f"- Lost: queries with no response within {env['TIMEOUT']} s (dnsperf -t). Latency is dnsperf's, from sending a query to reading its response. "
  "UDP rcvbuf drops: the machine's UDP datagrams dropped for a full socket receive buffer during the run (/proc/net/snmp RcvbufErrors; "
  "the server's socket or dnsperf's), which is where lost UDP queries go.")
w("- CPU columns: each process's CPU time over the run in % of one core (dnsmasq: with the children it forks for TCP connections); the server and "
  "dnsperf share the machine's CPUs. Where dnsperf's CPU is near 100% (its one thread), dnsperf is the limit and queries/s understates the server: "
  "the summary's server CPU per answered query compares the servers' cost regardless.")
w("- Netlab: `Netlab.Bench serve-dns` in a process of its own, DnsServer with default options (no hex dumps, TCP timeout 5 s), the zone "
  "wwwroot-content/dns/netlab.zone copied to a temporary content root. It logs every query as an event (drained and tallied, as the portal would).")
w("- dnsmasq: `dnsmasq " + " ".join(shlex.quote(a) for a in env["DNSMASQ_ARGS"].splitlines()) + " --port=P`, no query log. "
  "It has the zone's A, AAAA, CNAME, MX and TXT records with their TTLs, but no SOA or NS: its NXDOMAIN and NODATA answers carry no SOA in the "
  "authority section (Netlab's do, hence its larger average response) and are not flagged authoritative; "
  "its answers carry an EDNS OPT record when the query has one (dig's do, dnsperf's do not: no -e).")
w("- dnsmasq over TCP: "
  + ("it forks a process per connection (at most 20) and closes a connection after 100 queries (TCP_MAX_QUERIES in its config.h): "
     "queries dnsperf has already sent on a connection it closes are lost, and dnsperf reconnects (the reconnections column). "
     if env["DNSMASQ_FOREGROUND"] == "keep-in-foreground" else
     "with --no-daemon (its debug mode) it answers TCP in its main process, one connection at a time, without forking. ")
  + "Netlab keeps a connection open until the client closes it or sends nothing for 5 s.")
w("- The big TXT record of the zone (over 512 bytes: TC over UDP) is not in the mix.")
print("\n".join(out))
EOF
chmod 644 "$partial"  # mktemp makes it private
mv "$partial" "$results/dns.md"
