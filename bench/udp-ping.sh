#!/usr/bin/env bash
# UDP pinger benchmark: the Netlab probe's RTT against the handout-style Python client's, and the
# pings per second the Netlab server sustains against the handout's Python server.
# Prints a markdown table and saves it to bench/results/udp-ping.md (git-ignored).
#
# Quick settings (defaults in brackets), e.g. a smoke test: ROUNDS=1 PINGS=100 DURATION=1 bench/udp-ping.sh
#   ROUNDS [3]  PINGS [1000]  CLIENTS [16]  DURATION seconds [5]  LOAD_TIMEOUT_MS [200]  PYTHON [python3]
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"

# Built first and quietly, so that stdout carries only the report.
dotnet build bench/Netlab.Bench -c Release --nologo -v quiet -clp:NoSummary -warnaserror >&2

# Written next to the final file and moved on success: a failed run keeps the last results.
partial="$(mktemp "$results/udp-ping.XXXXXX")"
trap 'rm -f "$partial"' EXIT
dotnet run -c Release --no-build --project bench/Netlab.Bench -- \
    --rounds "${ROUNDS:-3}" \
    --pings "${PINGS:-1000}" \
    --clients "${CLIENTS:-16}" \
    --duration "${DURATION:-5}" \
    --load-timeout-ms "${LOAD_TIMEOUT_MS:-200}" \
    --python "${PYTHON:-python3}" \
    --peers tests/peers \
    | tee "$partial"
chmod 644 "$partial"  # mktemp makes it private
mv "$partial" "$results/udp-ping.md"
