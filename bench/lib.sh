# Helpers shared by the bench scripts (sourced from the repository root; start_netlab needs
# "tmp" to name the run's temporary folder).

progress() { echo "$*" >&2; }

# Exits with a message unless each named setting holds a positive whole number.
require_positive() {
    local setting
    for setting in "$@"; do
        [[ "${!setting}" =~ ^[1-9][0-9]*$ ]] || { echo "${setting^^} must be a positive whole number; got '${!setting}'." >&2; exit 2; }
    done
}

# Exits with a message unless each tool is installed. $1 says how to install them.
require_tools() {
    local hint="$1" tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$tool is needed ($hint)." >&2; exit 2; }
    done
}

# Prints the Python that has a module installed by apt (Debian's; a version manager's python3
# on PATH may lack it), or PYTHON if set; exits with a message if it lacks the module.
python_with() {
    local module="$1" package="$2" python
    python="${PYTHON:-$( [[ -x /usr/bin/python3 ]] && echo /usr/bin/python3 || echo python3 )}"
    "$python" -c "import $module" 2>/dev/null || { echo "$python has no $module (Debian: apt-get install $package)." >&2; exit 2; }
    echo "$python"
}

# For the EXIT trap: stops the Netlab server (it ends when its stdin, fd 3, closes) and the
# reference servers (TERM), waits up to 5 s for each, then kills what is left.
stop_servers() {
    local netlab="$1" pid
    shift
    exec 3>&- 2>/dev/null
    for pid in "$@"; do [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; done
    for pid in $netlab "$@"; do
        [[ -n "$pid" ]] || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}

# Builds the bench project quietly (stdout carries only the report) and sets bench_dll.
build_bench() {
    dotnet build bench/Netlab.Bench -c Release --nologo -v quiet -clp:NoSummary -warnaserror >&2
    bench_dll="$(dotnet msbuild bench/Netlab.Bench -nologo -p:Configuration=Release -getProperty:TargetPath)"
}

# Waits up to 15 s for a line matching a sed expression in a file; prints what it captured.
await_line() {
    local file="$1" expr="$2" pid="$3" name="$4" found
    for _ in $(seq 150); do
        found="$(sed -nE "$expr" "$file" 2>/dev/null | head -n1)"
        if [[ -n "$found" ]]; then echo "$found"; return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name did not start; its output:" >&2
    cat "$file" "$tmp/$name.err" >&2 2>/dev/null || true
    return 1
}

# A port free for both UDP and TCP on 127.0.0.1, chosen now.
free_port() {
    python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        u.close(); t.close()'
}

# Starts "Netlab.Bench MODE ARGS..." (a lab server in its own process) with its stdin on a fifo
# held by this shell as fd 3, so it stops when the shell closes fd 3 (or dies); sets netlab_pid
# and netlab_port. Everything started later must get 3>&-.
start_netlab() {
    progress "Starting the Netlab server ($bench_dll $1)"
    mkfifo "$tmp/netlab.in"
    dotnet "$bench_dll" "$@" <"$tmp/netlab.in" >"$tmp/netlab.out" 2>"$tmp/netlab.err" &
    netlab_pid=$!
    exec 3>"$tmp/netlab.in"
    netlab_port="$(await_line "$tmp/netlab.out" 's/^PORT ([0-9]+)$/\1/p' "$netlab_pid" netlab)"
}

# CPU time in clock ticks of a process, its reaped children (dnsmasq forks one per TCP
# connection) and its live children (nginx's workers), without forking.
clk_tck="$(getconf CLK_TCK)"
proc_ticks() {
    local pid="$1" line fields children child total=0
    if read -r line <"/proc/$pid/stat" 2>/dev/null; then
        read -r -a fields <<<"${line##*) }"
        total=$((fields[11] + fields[12] + fields[13] + fields[14]))
    fi
    if [[ -r "/proc/$pid/task/$pid/children" ]]; then
        read -r children <"/proc/$pid/task/$pid/children" || true
        for child in $children; do
            total=$((total + $(proc_ticks "$child")))
        done
    fi
    echo "$total"
}

# CPU time of this shell's finished children (wrk, dnsperf), in clock ticks, into own_children.
own_children_ticks() {
    local line fields
    read -r line <"/proc/$$/stat"
    read -r -a fields <<<"${line##*) }"
    own_children=$((fields[13] + fields[14]))
}
