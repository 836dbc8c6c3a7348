#!/usr/bin/env bash
# The portal under a class: STUDENTS simulated students (their own accounts and keys) each start
# a UDP ping run at the same moment (PINGS pings INTERVAL_MS apart, against a no-loss Netlab UDP
# ping server in the bench process) and follow it live over SSE and over the hub's run group.
# Reports runs completed, events stored and delivered (checked against GET /api/runs/{id}/events),
# the delay from each event's timestamp to its arrival, /healthz latency sampled every 100 ms,
# and the portal's CPU time, peak memory and database growth. The bench client runs on the same
# machine and competes with the portal for its cores.
#
#   bench/portal-load.sh                       STUDENTS=10, a Release portal of its own (own data folder)
#   STUDENTS="10 50 200" bench/portal-load.sh  one fresh portal per size, one table row each
# An existing deployment (PostgreSQL, several instances behind a proxy): give its URL(s) and an
# admin or instructor key; CPU/memory only with PORTAL_PIDS, database size only with PORTAL_DB.
#   PORTAL_URLS=http://127.0.0.1:8080,http://127.0.0.1:8081 NETLAB_KEY=nlk_... [PORTAL_PIDS=123,456] bench/portal-load.sh
# Other settings: PINGS [200]  INTERVAL_MS [20]  TARGET host:port (a UDP ping server the portal may reach)
#   FOLLOW [both]  sse, hub, or none (students only poll their run's status): what following costs
#   LABEL  a note for the report's first line
#   PORTAL_DLL  a Netlab.Web.dll built elsewhere (e.g. an older commit, to compare) instead of building this one
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
STUDENTS="${STUDENTS:-10}" PINGS="${PINGS:-200}" INTERVAL_MS="${INTERVAL_MS:-20}"
for n in $STUDENTS; do require_positive n; done
require_positive PINGS INTERVAL_MS
results=bench/results
mkdir -p "$results"
tmp="$(mktemp -d)"
portal=""
# TERM (the portal marks nothing Interrupted: every run has ended), up to 10 s, then KILL.
stop_portal() {
    [[ -n "$portal" ]] || return 0
    kill -TERM "$portal" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$portal" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$portal" 2>/dev/null || true
    wait "$portal" 2>/dev/null || true
    portal=""
}
trap 'stop_portal; rm -rf "$tmp"' EXIT
build_bench
exec > >(tee "$results/portal-load.md")

run_bench() { # $1 students, $2 urls, $3 key, $4 pids, $5 db
    local args=(portal-load --students "$1" --url "$2" --key "$3" --pings "$PINGS" --interval-ms "$INTERVAL_MS" --label "${LABEL:-}" --follow "${FOLLOW:-both}")
    [[ -n "$4" ]] && args+=(--portal-pid "$4")
    [[ -n "$5" ]] && args+=(--db "$5")
    [[ -n "${TARGET:-}" ]] && args+=(--target "$TARGET")
    dotnet "$bench_dll" "${args[@]}"
}

if [[ -n "${PORTAL_URLS:-}" ]]; then
    [[ -n "${NETLAB_KEY:-}" ]] || { echo "NETLAB_KEY (an admin or instructor key of that portal) is needed with PORTAL_URLS." >&2; exit 2; }
    status=0
    for n in $STUDENTS; do run_bench "$n" "$PORTAL_URLS" "$NETLAB_KEY" "${PORTAL_PIDS:-}" "${PORTAL_DB:-}" || status=1; done
    exit "$status"
fi

if [[ -n "${PORTAL_DLL:-}" ]]; then
    dll="$(realpath "$PORTAL_DLL")"
else
    dotnet build src/Netlab.Web -c Release -v q -nologo -clp:NoSummary >&2
    dll="$(dotnet msbuild src/Netlab.Web -nologo -p:Configuration=Release -getProperty:TargetPath)"
fi
key="nlk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
status=0
for n in $STUDENTS; do
    # A fresh portal per size: its memory peak and database growth are this size's alone.
    data="$tmp/data-$n"
    port="$(free_port)"
    progress "portal (Release) on 127.0.0.1:$port, data in $data"
    # Run from the project folder, as `dotnet run` does, so its relative content root resolves;
    # started directly (not through `dotnet run`) so that $! is the portal itself for /proc.
    (cd src/Netlab.Web && ASPNETCORE_ENVIRONMENT=Production Netlab__DataDirectory="$data" \
        Netlab__Bootstrap__AdminEmail=bench@netlab.test Netlab__Bootstrap__AdminPassword="bench-$RANDOM-$RANDOM-$RANDOM" \
        Netlab__Bootstrap__AdminApiKey="$key" Netlab__Limits__RunningProbes=100000 \
        exec dotnet "$dll" --urls "http://127.0.0.1:$port") >"$tmp/portal-$n.log" 2>&1 &
    portal=$!
    for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; kill -0 "$portal" 2>/dev/null || break; sleep 0.2; done
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "the portal did not start; its output:" >&2; cat "$tmp/portal-$n.log" >&2; exit 1; }
    run_bench "$n" "http://127.0.0.1:$port" "$key" "$portal" "$data/netlab.db" || status=1
    stop_portal
    if grep -qE '(fail|crit):' "$tmp/portal-$n.log"; then
        progress "the portal logged errors:"; grep -E -A3 '(fail|crit):' "$tmp/portal-$n.log" | head -40 >&2; status=1
    fi
done
exit "$status"
