#!/usr/bin/env bash
# FTP benchmark: the Netlab lab FTP server against vsftpd and pyftpdlib, all three serving the
# same folder: RETR throughput of a generated file with curl, in active (-P -) and passive mode,
# and the round-trip time of LIST on an open session (Python's ftplib, passive, a small folder).
# Prints a markdown table and saves it to bench/results/ftp.md (git-ignored).
#
# Settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 SIZE_MB=16 LISTS=20 bench/ftp.sh
#   ROUNDS [3]  SIZE_MB size of the RETR file [256]  LISTS LIST round trips per server and round [200]
# Needs curl, vsftpd and python3-pyftpdlib (Debian: apt-get install curl vsftpd python3-pyftpdlib), dotnet.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

rounds="${ROUNDS:-3}"
size_mb="${SIZE_MB:-256}"
lists="${LISTS:-200}"

source bench/lib.sh
require_positive rounds size_mb lists
python="$(python_with pyftpdlib python3-pyftpdlib)"
require_tools "Debian: apt-get install curl vsftpd python3-pyftpdlib" curl vsftpd dotnet
build_bench

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-ftp-bench.XXXXXX")"
netlab_pid="" vsftpd_pid="" pyftpd_pid=""
cleanup() {
    set +e
    stop_servers "$netlab_pid" "$vsftpd_pid" "$pyftpd_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The folder all three serve. -------------------------------------------------------------
content="$tmp/content"
mkdir -p "$content/small" "$tmp/empty"
progress "Generating a ${size_mb} MB file"
head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$content/big.bin"
for i in $(seq 20); do echo "file $i" >"$content/small/file$i.txt"; done
chmod 755 "$tmp" "$content" "$content/small"
chmod 644 "$content/big.bin" "$content"/small/*

# --- The three servers. ----------------------------------------------------------------------
start_netlab serve-ftp "$content"

progress "Starting vsftpd"
vsftpd_version="$(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null || echo unknown)"  # vsftpd -v prints nothing when not on a terminal
for attempt in 1 2 3 4 5; do
    vsftpd_port="$(free_port)"
    cat >"$tmp/vsftpd.conf" <<CONF
# Anonymous read-only on loopback, unprivileged: run as the launching user, no port 20, sendfile on.
listen=YES
listen_address=127.0.0.1
listen_port=$vsftpd_port
background=NO
run_as_launching_user=YES
anonymous_enable=YES
anon_root=$content
no_anon_password=YES
local_enable=NO
write_enable=NO
seccomp_sandbox=NO
connect_from_port_20=NO
secure_chroot_dir=$tmp/empty
xferlog_enable=NO
use_sendfile=YES
CONF
    vsftpd "$tmp/vsftpd.conf" >"$tmp/vsftpd.out" 2>&1 3>&- &
    vsftpd_pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "ftp://127.0.0.1:$vsftpd_port/small/file1.txt" && break
        kill -0 "$vsftpd_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$vsftpd_pid" 2>/dev/null && curl -s -o /dev/null "ftp://127.0.0.1:$vsftpd_port/small/file1.txt" && break
    kill -TERM "$vsftpd_pid" 2>/dev/null || true
    wait "$vsftpd_pid" 2>/dev/null || true
    vsftpd_pid=""
    [[ $attempt -eq 5 ]] && { echo "vsftpd did not start:" >&2; cat "$tmp/vsftpd.out" >&2; exit 1; }
done

progress "Starting pyftpdlib ($python)"
"$python" -u tests/peers/ftp_pyftpdlib_server.py "$content" >"$tmp/pyftpd.out" 2>"$tmp/pyftpd.err" 3>&- &
pyftpd_pid=$!
pyftpd_port="$(await_line "$tmp/pyftpd.out" 's/^PORT ([0-9]+)$/\1/p' "$pyftpd_pid" pyftpd)"

declare -A port=([Netlab]="$netlab_port" [vsftpd]="$vsftpd_port" [pyftpdlib]="$pyftpd_port")
servers=(Netlab vsftpd pyftpdlib)
progress "Netlab on port $netlab_port, vsftpd on $vsftpd_port, pyftpdlib on $pyftpd_port"

content_check=""
for server in "${servers[@]}"; do
    for mode in active passive; do
        args=(-s --max-time 120); [[ $mode == active ]] && args+=(-P -)
        curl "${args[@]}" "ftp://127.0.0.1:${port[$server]}/big.bin" | cmp -s - "$content/big.bin" \
            || content_check+="${content_check:+; }$server ($mode) sent a different big.bin"
    done
done
progress "Content check: ${content_check:-all copies identical}"

# --- The runs. -------------------------------------------------------------------------------
runs="$tmp/runs.tsv"
: >"$runs"
cat >"$tmp/list.py" <<'PY'
import ftplib, sys, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", int(sys.argv[1]), timeout=30)
ftp.login()
ftp.set_pasv(True)
times = []
for _ in range(int(sys.argv[2])):
    lines = []
    t = time.perf_counter()
    ftp.retrlines("LIST small", lines.append)
    times.append((time.perf_counter() - t) * 1000)
    assert len(lines) == 20, lines
ftp.quit()
times.sort()
print("%.3f %.3f" % (times[len(times) // 2], times[int(len(times) * 0.99)]))
PY
for round in $(seq "$rounds"); do
    shift_by=$(((round - 1) % 3))
    order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
    for mode in active passive; do
        for server in "${order[@]}"; do
            args=(-s -o /dev/null --max-time 300 -w '%{speed_download} %{time_total}'); [[ $mode == active ]] && args+=(-P -)
            out="$(curl "${args[@]}" "ftp://127.0.0.1:${port[$server]}/big.bin" || echo "0 0")"
            printf 'retr-%s\t%s\t%s\t%s\n' "$mode" "$round" "$server" "${out// /$'\t'}" >>"$runs"
            progress "round $round, RETR $mode, $server: $(awk '{printf "%.0f MB/s", $1 / 1048576}' <<<"$out")"
        done
    done
    for server in "${order[@]}"; do
        out="$("$python" "$tmp/list.py" "${port[$server]}" "$lists" 3>&- || echo "nan nan")"
        printf 'list\t%s\t%s\t%s\n' "$round" "$server" "${out// /$'\t'}" >>"$runs"
        progress "round $round, LIST, $server: p50 / p99 $out ms"
    done
done

exec 3>&-
for _ in $(seq 150); do kill -0 "$netlab_pid" 2>/dev/null || break; sleep 0.1; done
wait "$netlab_pid" 2>/dev/null || true
netlab_pid=""

# --- The report. -----------------------------------------------------------------------------
export RUNS="$runs" ROUNDS="$rounds" SIZE_MB="$size_mb" LISTS="$lists" CONTENT_CHECK="$content_check" \
    STARTED="$(date -u '+%Y-%m-%d %H:%M')" VSFTPD_VERSION="$vsftpd_version" \
    PYFTPD_VERSION="$("$python" -c 'import pyftpdlib; print(pyftpdlib.__ver__)')" \
    PYTHON_VERSION="$("$python" -c 'import platform; print(platform.python_version())')" \
    DOTNET_VERSION="$(dotnet --version)" CURL_VERSION="$(curl --version | head -n1 | awk '{print $2}')" \
    NETLAB_EVENTS="$(sed -n 's/^EVENTS //p' "$tmp/netlab.out")" \
    CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" CPUS="$(nproc)" OS="$(uname -sr)"
"$python" - <<'PY' | tee "$results/ftp.md"
import os, statistics
env = os.environ
rows = [l.split("\t") for l in open(env["RUNS"]).read().splitlines()]
servers = ["Netlab", "vsftpd", "pyftpdlib"]
out = []
w = out.append
w(f"# FTP benchmark ({env['STARTED']} UTC)")
w("")
w(f"{env['CPUS']} × {env['CPU_MODEL']}, {env['OS']}; .NET {env['DOTNET_VERSION']}, vsftpd {env['VSFTPD_VERSION']}, "
  f"pyftpdlib {env['PYFTPD_VERSION']} on Python {env['PYTHON_VERSION']}, curl {env['CURL_VERSION']}. "
  f"{env['ROUNDS']} rounds; RETR of a {env['SIZE_MB']} MB file; {env['LISTS']} LISTs per server and round.")
w("")
w(f"Content check: {env['CONTENT_CHECK'] or 'every server sent the file byte for byte, in both modes'}.")
w("")
w("| measure | " + " | ".join(servers) + " |")
w("|---|" + "---|" * len(servers))
for mode in ("active", "passive"):
    cells = []
    for s in servers:
        v = [float(r[3]) / 2**20 for r in rows if r[0] == f"retr-{mode}" and r[2] == s]
        cells.append(f"{statistics.mean(v):,.0f} ({min(v):,.0f}–{max(v):,.0f})")
    w(f"| RETR {mode}, MB/s, mean (min–max) | " + " | ".join(cells) + " |")
for label, col in (("p50", 3), ("p99", 4)):
    cells = []
    for s in servers:
        v = [float(r[col]) for r in rows if r[0] == "list" and r[2] == s]
        cells.append(f"{statistics.median(v):.3f}")
    w(f"| LIST round trip {label}, ms (median of rounds) | " + " | ".join(cells) + " |")
w("")
w("- RETR: `curl -o /dev/null` (with `-P -` for active mode), a new session per download; MB = 2^20 bytes; curl's average download speed.")
w("- LIST: Python ftplib on one logged-in session, passive: PASV, LIST of a 20-file folder, read to the end, 226; from sending PASV to the 226.")
w("- Netlab: `Netlab.Bench serve-ftp` (FtpServer, default options, 256 KB buffered copy); vsftpd: anonymous, sendfile on, run as the launching user; "
  "pyftpdlib: `tests/peers/ftp_pyftpdlib_server.py`. The server order rotates from round to round.")
w("- What the Netlab server reported: " + "; ".join(env["NETLAB_EVENTS"].splitlines() or ["nothing (it did not stop cleanly)"]))
print("\n".join(out))
PY
