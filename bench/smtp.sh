#!/usr/bin/env bash
# SMTP benchmark: the Netlab lab SMTP server against Postfix's smtp-sink and aiosmtpd, all three
# plain SMTP sinks on loopback: messages per second delivered by Postfix's smtp-source (parallel
# sessions, each sending its share of the messages over one connection, -d), with 1 KB and
# 100 KB payloads, and the latency of one whole dialogue (connect, greeting, EHLO, MAIL, RCPT,
# DATA, message, ".", QUIT) timed with Python's smtplib. Checks in the same run that the Netlab
# server accepted every message sent (its mailbox counter) and reported no warnings or errors.
# Prints a markdown table and saves it to bench/results/smtp.md (git-ignored).
#
# Settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 MESSAGES=1000 DIALOGUES=50 bench/smtp.sh
#   ROUNDS [3]  MESSAGES per throughput run [10000]  SESSIONS parallel smtp-source sessions [20]
#   DIALOGUES timed dialogues per server and round [500]
# Needs postfix (for smtp-source and smtp-sink) and python3-aiosmtpd (Debian: apt-get install
# postfix python3-aiosmtpd), dotnet.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
messages="${MESSAGES:-10000}"
sessions="${SESSIONS:-20}"
dialogues="${DIALOGUES:-500}"
PATH="$PATH:/usr/sbin"  # smtp-source and smtp-sink live there

source bench/lib.sh
require_positive rounds messages sessions dialogues
python="$(python_with aiosmtpd python3-aiosmtpd)"
require_tools "Debian: apt-get install postfix python3-aiosmtpd" smtp-source smtp-sink dotnet
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-smtp-bench.XXXXXX")"
netlab_pid="" sink_pid="" aio_pid=""
cleanup() {
    set +e
    stop_servers "$netlab_pid" "$sink_pid" "$aio_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The three servers. ----------------------------------------------------------------------
start_netlab serve-smtp

progress "Starting smtp-sink"
postfix_version="$(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo unknown)"
sink_args=()
[[ $EUID -eq 0 ]] && sink_args+=(-u nobody)  # it refuses to run as root otherwise
for attempt in 1 2 3 4 5; do
    sink_port="$(free_port)"  # smtp-sink needs a port number; it cannot report one the OS picked
    smtp-sink "${sink_args[@]}" "127.0.0.1:$sink_port" 1000 >"$tmp/sink.out" 2>&1 3>&- &
    sink_pid=$!
    for _ in $(seq 50); do
        (exec 5<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break
        kill -0 "$sink_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$sink_pid" 2>/dev/null && (exec 5<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break
    kill -TERM "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=""
    [[ $attempt -eq 5 ]] && { echo "smtp-sink did not start:" >&2; cat "$tmp/sink.out" >&2; exit 1; }
done

# aiosmtpd on a port the OS picks: counts what it accepts (printed on SIGTERM), keeps nothing.
cat >"$tmp/aiosmtpd_counter.py" <<'PY'
import asyncio, signal, socket
from aiosmtpd.smtp import SMTP

class Counter:
    accepted = 0
    async def handle_DATA(self, server, session, envelope):
        Counter.accepted += 1
        return "250 OK"

async def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Counter(), hostname="aiosmtpd.test"), sock=sock, backlog=1000)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await stop.wait()
    print(f"ACCEPTED {Counter.accepted}", flush=True)

asyncio.run(main())
PY
progress "Starting aiosmtpd ($python)"
"$python" -u "$tmp/aiosmtpd_counter.py" >"$tmp/aio.out" 2>"$tmp/aio.err" 3>&- &
aio_pid=$!
aio_port="$(await_line "$tmp/aio.out" 's/^PORT ([0-9]+)$/\1/p' "$aio_pid" aio)"

declare -A port=([Netlab]="$netlab_port" [smtp-sink]="$sink_port" [aiosmtpd]="$aio_port")
servers=(Netlab smtp-sink aiosmtpd)
progress "Netlab on port $netlab_port, smtp-sink on $sink_port, aiosmtpd on $aio_port"

# --- The dialogue timer: smtplib, one new connection per message. ------------------------------
cat >"$tmp/dialogue.py" <<'PY'
import smtplib, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
body = "Subject: latency\r\n\r\n" + ("x" * 70 + "\r\n") * 14  # about 1 KB
def dialogue():
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)  # connect, greeting
    refused = s.sendmail("bench@netlab.test", ["sink@netlab.test"], body)  # EHLO, MAIL, RCPT, DATA, message, "."
    assert not refused, refused
    s.quit()  # QUIT, 221
for _ in range(20):  # warm-up, not timed
    dialogue()
times = []
for _ in range(count):
    t = time.perf_counter()
    dialogue()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print("%.3f %.3f" % (times[len(times) // 2], times[int(len(times) * 0.99)]))
PY

# --- The runs. -------------------------------------------------------------------------------
runs="$tmp/runs.tsv"
: >"$runs"
source_problems=""
sent_to_netlab=0
for round in $(seq "$rounds"); do
    shift_by=$(((round - 1) % 3))
    order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
    for size in 1024 102400; do
        for server in "${order[@]}"; do
            start="$EPOCHREALTIME"
            if smtp-source -d -s "$sessions" -m "$messages" -l "$size" "127.0.0.1:${port[$server]}" \
                >"$tmp/source.out" 2>&1 3>&-; then
                status=ok
            else
                status="exit $?"
            fi
            end="$EPOCHREALTIME"
            if [[ $status != ok || -s "$tmp/source.out" ]]; then
                source_problems+="${source_problems:+; }round $round, $server, $size B: smtp-source $status: $(head -c 200 "$tmp/source.out" | tr '\n' ' ')"
            fi
            [[ $server == Netlab ]] && sent_to_netlab=$((sent_to_netlab + messages))
            rate="$(awk -v m="$messages" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f %.3f", m / (b - a), b - a }')"
            printf 'source-%s\t%s\t%s\t%s\n' "$size" "$round" "$server" "${rate// /$'\t'}" >>"$runs"
            progress "round $round, smtp-source ${size} B, $server: ${rate%% *} messages/s ($status)"
        done
    done
    for server in "${order[@]}"; do
        out="$("$python" "$tmp/dialogue.py" "${port[$server]}" "$dialogues" 3>&- || echo "nan nan")"
        [[ $server == Netlab ]] && sent_to_netlab=$((sent_to_netlab + dialogues + 20))
        printf 'dialogue\t%s\t%s\t%s\n' "$round" "$server" "${out// /$'\t'}" >>"$runs"
        progress "round $round, dialogue, $server: p50 / p99 $out ms"
    done
done

exec 3>&-
for _ in $(seq 150); do kill -0 "$netlab_pid" 2>/dev/null || break; sleep 0.1; done
wait "$netlab_pid" 2>/dev/null || true
netlab_pid=""
kill -TERM "$aio_pid" 2>/dev/null || true
wait "$aio_pid" 2>/dev/null || true
aio_pid=""
sent_to_aio=$((rounds * (2 * messages + dialogues + 20)))

# --- The report. -----------------------------------------------------------------------------
export RUNS="$runs" ROUNDS="$rounds" MESSAGES="$messages" SESSIONS="$sessions" DIALOGUES="$dialogues" \
    SOURCE_PROBLEMS="$source_problems" SENT_TO_NETLAB="$sent_to_netlab" SENT_TO_AIO="$sent_to_aio" \
    AIO_ACCEPTED="$(sed -n 's/^ACCEPTED //p' "$tmp/aio.out")" AIO_ERR="$(head -c 300 "$tmp/aio.err")" \
    SINK_OUT="$(head -c 300 "$tmp/sink.out")" \
    STARTED="$(date -u '+%Y-%m-%d %H:%M')" POSTFIX_VERSION="$postfix_version" \
    AIOSMTPD_VERSION="$("$python" -c 'import aiosmtpd; print(aiosmtpd.__version__)')" \
    PYTHON_PATH="$python" PYTHON_VERSION="$("$python" -c 'import platform; print(platform.python_version())')" \
    DOTNET_VERSION="$(dotnet --version)" \
    NETLAB_EVENTS="$(sed -n 's/^EVENTS //p' "$tmp/netlab.out")" NETLAB_ERR="$(head -c 300 "$tmp/netlab.err")" \
    CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" CPUS="$(nproc)" OS="$(uname -sr)"
"$python" - <<'PY' | tee "$results/smtp.md"
import os, re, statistics
env = os.environ
rows = [l.split("\t") for l in open(env["RUNS"]).read().splitlines()]
servers = ["Netlab", "smtp-sink", "aiosmtpd"]
out = []
w = out.append
w(f"# SMTP benchmark ({env['STARTED']} UTC)")
w("")
w(f"{env['CPUS']} × {env['CPU_MODEL']}, {env['OS']}; .NET {env['DOTNET_VERSION']}, Postfix {env['POSTFIX_VERSION']} "
  f"(smtp-source, smtp-sink), aiosmtpd {env['AIOSMTPD_VERSION']} on Python {env['PYTHON_VERSION']}. "
  f"{env['ROUNDS']} rounds; {int(env['MESSAGES']):,} messages per smtp-source run over {env['SESSIONS']} parallel sessions; "
  f"{env['DIALOGUES']} timed dialogues per server and round.")
w("")

# Checks: every message sent to Netlab accepted, nothing reported, smtp-source and the peers quiet.
checks = []
events = env["NETLAB_EVENTS"].splitlines()
m = next((re.match(r"mailbox: (\d+) accepted", e) for e in events if e.startswith("mailbox:")), None)
accepted = int(m.group(1)) if m else None
sent = int(env["SENT_TO_NETLAB"])
checks.append(f"Netlab accepted {accepted:,} of {sent:,} messages sent" if accepted is not None
              else "Netlab did not report its mailbox (it did not stop cleanly)")
ok = accepted == sent
p = next((re.search(r"problems reported.*?: ([\d,]+); events dropped by the stream: ([\d,]+)", e) for e in events if e.startswith("problems")), None)
if p:
    checks.append(f"{p.group(1)} warnings/errors reported, {p.group(2)} events dropped")
    ok = ok and p.group(1) == "0"
if env["NETLAB_ERR"].strip():
    checks.append(f"Netlab stderr: {env['NETLAB_ERR'].strip()}"); ok = False
aio_sent = int(env["SENT_TO_AIO"])
checks.append(f"aiosmtpd accepted {env['AIO_ACCEPTED'] or '?'} of {aio_sent:,}")
ok = ok and env["AIO_ACCEPTED"] == str(aio_sent)
if env["SOURCE_PROBLEMS"]:
    checks.append(f"smtp-source: {env['SOURCE_PROBLEMS']}"); ok = False
else:
    checks.append("every smtp-source run exited 0 with no output")
for name, text in (("aiosmtpd stderr", env["AIO_ERR"]), ("smtp-sink output", env["SINK_OUT"])):
    if text.strip():
        checks.append(f"{name}: {text.strip()}"); ok = False
w(f"Checks: **{'passed' if ok else 'FAILED'}**: " + "; ".join(checks) + ".")
w("")

def cell(values, fmt):
    return f"{statistics.mean(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"

w("| measure | " + " | ".join(servers) + " | Netlab / smtp-sink | Netlab / aiosmtpd |")
w("|---|" + "---|" * (len(servers) + 2))
for size, label in (("1024", "1 KB"), ("102400", "100 KB")):
    v = {s: [float(r[3]) for r in rows if r[0] == f"source-{size}" and r[2] == s] for s in servers}
    means = {s: statistics.mean(v[s]) for s in servers}
    w(f"| smtp-source, {label} messages, messages/s, mean (min–max) | " + " | ".join(cell(v[s], ",.0f") for s in servers)
      + f" | {means['Netlab'] / means['smtp-sink']:.2f} | {means['Netlab'] / means['aiosmtpd']:.2f} |")
for label, col in (("p50", 3), ("p99", 4)):
    med = {s: statistics.median(float(r[col]) for r in rows if r[0] == "dialogue" and r[2] == s) for s in servers}
    w(f"| dialogue latency {label}, ms (median of rounds) | " + " | ".join(f"{med[s]:.3f}" for s in servers)
      + f" | {med['Netlab'] / med['smtp-sink']:.2f} | {med['Netlab'] / med['aiosmtpd']:.2f} |")
w("")
w(f"- Throughput: `smtp-source -d -s {env['SESSIONS']} -m {env['MESSAGES']} -l SIZE 127.0.0.1:PORT`: {env['SESSIONS']} sessions in parallel, "
  "each sending its share over one connection (-d: no reconnect per message, no pipelining); SIZE is the payload "
  "without headers; messages/s = messages ÷ the wall time of the smtp-source run. For throughput, ratios above 1 favour Netlab.")
w(f"- Latency: Python smtplib ({env['PYTHON_PATH']}), a new connection per message: connect, greeting, EHLO, MAIL, RCPT, DATA, "
  "a 1 KB message, \".\", QUIT and its 221, timed as one; 20 untimed warm-up dialogues per server and round. "
  "p50/p99 per round, then the median of the rounds. For latency, ratios below 1 favour Netlab. "
  "The client is Python, so the times include its overhead (the same for every server).")
w("- Netlab: `Netlab.Bench serve-smtp` (SmtpServer, STARTTLS off, mailbox of 10,000 messages; it also keeps "
  "every message in memory, which the sinks do not); smtp-sink: `smtp-sink -u nobody 127.0.0.1:PORT 1000` "
  "(discards everything); aiosmtpd: its SMTP class with a handler that only counts. The server order rotates from round to round.")
w("- What the Netlab server reported: " + "; ".join(events or ["nothing (it did not stop cleanly)"]))
print("\n".join(out))
PY
