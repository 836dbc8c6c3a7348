#!/usr/bin/env bash
# The portal-load benchmark (bench/portal-load.sh) on the three deployments of the scale-out
# issue, in one run: one portal on SQLite (the default), one on PostgreSQL, and two instances
# sharing PostgreSQL and Redis, where each student starts its run on one instance and follows it
# over the hub on the other (so every event crosses Redis). The PostgreSQL cluster and redis-server
# are throwaway ones this script starts on free ports and removes at the end.
#
#   STUDENTS="10 50" bench/portal-load-scaleout.sh
# Settings: STUDENTS [10 50], PINGS [200], INTERVAL_MS [20] (as bench/portal-load.sh).
# Needs Debian's postgresql and redis-server (apt-get install postgresql redis-server).
#
# Two instances are given to the bench by their own URLs, not through nginx: the compose file's
# nginx is sticky by client address (ip_hash, for Blazor circuits), so on one machine every
# simulated student would land on the same instance.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
export STUDENTS="${STUDENTS:-10 50}" PINGS="${PINGS:-200}" INTERVAL_MS="${INTERVAL_MS:-20}"
bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -1)"
require_tools "Debian: apt-get install postgresql redis-server" "$bindir/initdb" "$bindir/pg_ctl" redis-server curl python3
results=bench/results
mkdir -p "$results"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netlab-scaleout-bench.XXXXXX")"
chmod 755 "$tmp"
pids=()
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [[ -d "$tmp/pg" ]] && as_pg "$bindir/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

pgport="$(free_port)"
redisport="$(free_port)"
mkdir -p "$tmp/pg" "$tmp/pgsock"
[[ "$(id -u)" == 0 ]] && chown nobody "$tmp/pg" "$tmp/pgsock"
progress "PostgreSQL on 127.0.0.1:$pgport, redis on 127.0.0.1:$redisport"
as_pg "$bindir/initdb" -D "$tmp/pg" -U netlab --auth=trust -E UTF8 >/dev/null
as_pg "$bindir/pg_ctl" -D "$tmp/pg" -w -l "$tmp/pg/log" \
    -o "-p $pgport -k $tmp/pgsock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on" start >/dev/null
# Made here, so the portals' first connection finds them (EF would create them too, logging a failed connection first).
for db in netlab_single netlab_two; do "$bindir/createdb" -h 127.0.0.1 -p "$pgport" -U netlab "$db"; done
redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)

dotnet build src/Netlab.Web -c Release -v q -nologo -clp:NoSummary >&2
dll="$(dotnet msbuild src/Netlab.Web -nologo -p:Configuration=Release -getProperty:TargetPath)"
key="nlk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

# start_portal NAME DATABASE [REDIS]: a Release portal on a free port; prints "port pid".
start_portal() {
    local name="$1" database="$2" redis="${3:-}" port
    port="$(free_port)"
    local settings=(ASPNETCORE_ENVIRONMENT=Production Netlab__DataDirectory="$tmp/data-$name"
        Netlab__Database__Provider=Postgres ConnectionStrings__Netlab="Host=127.0.0.1;Port=$pgport;Database=$database;Username=netlab;Maximum Pool Size=200"
        Netlab__Instance__Name="$name" Netlab__Bootstrap__AdminEmail=bench@netlab.test Netlab__Bootstrap__AdminPassword="bench-$RANDOM-$RANDOM-$RANDOM"
        Netlab__Bootstrap__AdminApiKey="$key" Netlab__Limits__RunningProbes=100000)
    [[ -n "$redis" ]] && settings+=(Netlab__Redis="$redis")
    (cd src/Netlab.Web && exec env "${settings[@]}" dotnet "$dll" --urls "http://127.0.0.1:$port") >"$tmp/portal-$name.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "portal $name did not start:" >&2; cat "$tmp/portal-$name.log" >&2; exit 1; }
    echo "$port $pid"
}

status=0
out="$results/portal-load-scaleout.md"
: >"$out"

progress "== one portal, SQLite"
LABEL="SQLite, one instance" bench/portal-load.sh >/dev/null || status=1
cat "$results/portal-load.md" >>"$out"

progress "== one portal, PostgreSQL"
read -r port pid < <(start_portal single netlab_single)
pids+=("$pid")
PORTAL_URLS="http://127.0.0.1:$port" NETLAB_KEY="$key" PORTAL_PIDS="$pid" LABEL="PostgreSQL, one instance" \
    bench/portal-load.sh >/dev/null || status=1
cat "$results/portal-load.md" >>"$out"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true

progress "== two portals, PostgreSQL and Redis (runs on one, followed on the other)"
read -r port_a pid_a < <(start_portal a netlab_two "127.0.0.1:$redisport")
pids+=("$pid_a")
read -r port_b pid_b < <(start_portal b netlab_two "127.0.0.1:$redisport")
pids+=("$pid_b")
PORTAL_URLS="http://127.0.0.1:$port_a,http://127.0.0.1:$port_b" NETLAB_KEY="$key" PORTAL_PIDS="$pid_a,$pid_b" \
    LABEL="PostgreSQL + Redis, two instances" bench/portal-load.sh >/dev/null || status=1
cat "$results/portal-load.md" >>"$out"

cat "$out"
# EF Core's first look for its history table in a new PostgreSQL database is logged as a failed
# command (it then creates the table); any other error counts.
for f in "$tmp"/portal-*.log; do
    errors="$(python3 - "$f" <<'PY'
import re, sys
blocks = re.split(r'\n(?=\w+: )', open(sys.argv[1], errors='replace').read())
print('\n'.join(b for b in blocks if re.match(r'(fail|crit): ', b) and '__EFMigrationsHistory' not in b)[:4000])
PY
)"
    if [[ -n "$errors" ]]; then progress "$(basename "$f") logged errors:"; echo "$errors" >&2; status=1; fi
done
exit "$status"
