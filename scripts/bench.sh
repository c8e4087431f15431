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
pgdir=/tmp/portal-bench-pg-$$
engine_pids=()
cleanup() {
  kill "$pid" "${engine_pids[@]}" 2>/dev/null || true
  [ -d "$pgdir" ] && bash scripts/postgres.sh stop "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT
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

# One row of the engines table: start $2 portal processes on the database $3 (a SQLite file or a postgres://
# URL), sign in 100 customers spread over them, load the signed-in page through all of them at once (32
# connections in all, 10 s), then 300 plan changes, 32 at once, each asked at one portal and paid at the other.
engine_row() {
  local label=$1 procs=$2 target=$3 slug=$4 urls=() wrks=() k p
  engine_pids=()
  for k in $(seq 0 $((procs - 1))); do
    p=$((port + 10 + 2 * k))
    if [[ $target == postgres* ]]; then
      DATABASE_URL=$target BILLING_API_KEY=$key "$tmp/portal" -demo -addr "127.0.0.1:$p" -demo-app-addr "127.0.0.1:$((p + 1))" \
        >"$tmp/server-$slug-$k.log" 2>&1 &
    else
      BILLING_API_KEY=$key "$tmp/portal" -demo -db "$target" -addr "127.0.0.1:$p" -demo-app-addr "127.0.0.1:$((p + 1))" \
        >"$tmp/server-$slug-$k.log" 2>&1 &
    fi
    engine_pids+=($!)
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
    urls+=("http://127.0.0.1:$p")
  done
  local portals
  portals=$(IFS=,; echo "${urls[*]}")
  "$tmp/loadgen" sessions -portal "$portals" -key "$key" -n 100 -c 8 -out "$tmp/cookies-$slug.txt" -prefix "page-$slug"
  for k in "${!urls[@]}"; do
    wrk -t$((2 / procs)) -c$((32 / procs)) -d10s --latency -s bench/subscription.lua "${urls[$k]}/subscription" -- \
      "$tmp/cookies-$slug.txt" >"$tmp/wrk-$slug-$k.txt" &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  local rps p99 changes
  rps=$(cat "$tmp"/wrk-"$slug"-*.txt | awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}')
  # wrk writes latencies as 850.00us, 12.30ms or 1.20s: the slowest process's p99, in ms.
  p99=$(cat "$tmp"/wrk-"$slug"-*.txt | awk '$1 == "99%" {v = $2; m = 1; if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1; else if (v ~ /s$/) m = 1000;
    sub(/[a-z]+$/, "", v); if (v * m > max) max = v * m} END {printf "%.1f", max}')
  changes=$("$tmp/loadgen" changes -portal "$portals" -key "$key" -n 300 -c 32 -db "$target" -prefix "change-$slug")
  kill "${engine_pids[@]}" 2>/dev/null || true
  wait "${engine_pids[@]}" 2>/dev/null || true
  engine_pids=()
  echo "$changes" | awk -v l="$label" -v r="$rps" -v p="$p99" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s lost, %s doubled, %s failed |\n", l, f["changes_per_second"], r, p, f["lost"], f["doubled"], f["failed"] }'
}

echo "== Engines side by side: SQLite, PostgreSQL with one process, PostgreSQL with two"
if ! pgurl=$(bash scripts/postgres.sh start "$pgdir"); then
  echo "  PostgreSQL could not start: engines table skipped" >&2
  exit 1
fi
for db in bench_pg1 bench_pg2; do psql -q "$pgurl" -c "CREATE DATABASE $db" >/dev/null; done
echo "| database | plan changes per second | signed-in /subscription req/s | p99 (ms) | changes |"
echo "|---|---|---|---|---|"
engine_row "SQLite, 1 process" 1 "$tmp/engines.db" sqlite
engine_row "PostgreSQL, 1 process" 1 "$(echo "$pgurl" | sed "s|/postgres?|/bench_pg1?|")" pg1
engine_row "PostgreSQL, 2 processes" 2 "$(echo "$pgurl" | sed "s|/postgres?|/bench_pg2?|")" pg2
