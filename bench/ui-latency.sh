#!/usr/bin/env bash
# Click Run to the first result row, in a real browser: the portal on a free port with its own
# data folder, Debian's Chromium driven by playwright-core, a UDP ping run against the lab's own
# server (no loss, 20 pings 20 ms apart), ROUNDS times. Then PAGES pages [10] start a run each at
# once (PINGS [200] pings INTERVAL_MS [20] apart) and follow it live: the delay from each ping's
# event timestamp to the moment its page shows it. Quick: ROUNDS=5 PAGES=3 bench/ui-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROUNDS="${ROUNDS:-21}" PAGES="${PAGES:-10}" PINGS="${PINGS:-200}" INTERVAL_MS="${INTERVAL_MS:-20}"
require_positive ROUNDS PAGES PINGS INTERVAL_MS
require_tools "apt-get install chromium nodejs npm" /usr/bin/chromium node npm

tmp="$(mktemp -d)"
trap 'kill "${portal:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
[[ -d bench/ui/node_modules/playwright-core ]] || npm ci --prefix bench/ui --no-audit --no-fund >&2
dotnet build src/Netlab.Web -c Release -v q -nologo >&2
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
progress "portal on 127.0.0.1:$port"
export NETLAB_EMAIL=bench@netlab.test NETLAB_PASSWORD="bench-$RANDOM-$RANDOM" NETLAB_KEY="nlk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
Netlab__DataDirectory="$tmp/data" Netlab__Bootstrap__AdminEmail="$NETLAB_EMAIL" Netlab__Bootstrap__AdminPassword="$NETLAB_PASSWORD" \
Netlab__Bootstrap__AdminApiKey="$NETLAB_KEY" dotnet run --project src/Netlab.Web -c Release --no-build --urls "http://127.0.0.1:$port" >"$tmp/portal.log" 2>&1 &
portal=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done
node bench/ui/first-row.js "http://127.0.0.1:$port" "$ROUNDS"
node bench/ui/follow-many.js "http://127.0.0.1:$port" "$PAGES" "$PINGS" "$INTERVAL_MS"
