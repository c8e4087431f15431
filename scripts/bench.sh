#!/usr/bin/env bash
# make bench: Go benchmarks, then a load run against the real server built
# from this repository, on 127.0.0.1 with the demo data. Figures only: no
# test depends on timing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "make bench needs $1: run 'sudo apt-get install -y $2'" >&2
    exit 1
  fi
}
need wrk wrk
need hey hey

echo "== Go benchmarks"
go test -run '^$' -bench . -benchmem ./views/ ./db/ ./billing/ | grep -E '^(Benchmark|ok)'

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=${BENCH_PORT:-18080}
base="http://127.0.0.1:$port"
key="bench-server-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

echo "== Building"
go build -o "$tmp/portal" .
go build -o "$tmp/loadgen" ./bench/loadgen
BILLING_API_KEY=$key "$tmp/portal" -demo -db "$tmp/bench.db" -addr "127.0.0.1:$port" -demo-app-addr "127.0.0.1:$((port + 1))" \
  >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
# The request log goes to a file; the load run measures the server, not the terminal.

echo "== Signing in 100 customers"
"$tmp/loadgen" sessions -portal "$base" -key "$key" -n 100 -c 8 -out "$tmp/cookies.txt"

rps() { awk '/Requests\/sec/ {print $2}'; }
echo "== Throughput (wrk, 2 threads, 32 connections, 10 s each)"
wrk -t2 -c32 -d10s --latency "$base/healthz" >"$tmp/static.txt"
wrk -t2 -c32 -d10s --latency -s bench/subscription.lua "$base/subscription" -- "$tmp/cookies.txt" >"$tmp/page.txt"
static=$(rps <"$tmp/static.txt")
page=$(rps <"$tmp/page.txt")
grep -E 'Latency|50%|99%|Requests/sec|Non-2xx' "$tmp/static.txt" | sed 's/^/  static \/healthz: /'
grep -E 'Latency|50%|99%|Requests/sec|Non-2xx' "$tmp/page.txt" | sed 's/^/  signed-in \/subscription: /'
awk -v p="$page" -v s="$static" 'BEGIN {printf "  ratio subscription/static: %.0f%%\n", 100 * p / s}'

echo "== Latency at 1,000 requests per second (hey, 10 workers x 100 rps, 10 s, signed-in /subscription)"
hey -z 10s -c 10 -q 100 -H "Cookie: $(head -1 "$tmp/cookies.txt")" "$base/subscription" >"$tmp/hey.txt"
grep -E 'Requests/sec|50% in|90% in|99% in|\[200\]|\[[345][0-9][0-9]\]' "$tmp/hey.txt" | sed 's/^ */  /'

echo "== Plan changes (change -> checkout -> webhook -> applied), 300 customers, 32 at once"
"$tmp/loadgen" changes -portal "$base" -key "$key" -n 300 -c 32 -db "$tmp/bench.db" -prefix change | sed 's/^/  /'

echo "== Memory and sizes"
echo "  peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
echo "  binary: $(du -h "$tmp/portal" | cut -f1) ($(stat -c %s "$tmp/portal") bytes)"
cookie=$(head -1 "$tmp/cookies.txt")
for path in /subscription /billing/history "/subscription/change?plan=business-monthly"; do
  echo "  HTML $path: $(curl -s -H "Cookie: $cookie" "$base$path" | wc -c) bytes"
done
echo "  HTML /login: $(curl -s "$base/login" | wc -c) bytes"
echo "  CSS static/app.css: $(stat -c %s static/app.css) bytes ($(gzip -c static/app.css | wc -c) gzipped)"
