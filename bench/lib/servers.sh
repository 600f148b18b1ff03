# Shared by the load benchmarks (bench/http/run, bench/experiments/sdk-run): a private PostgreSQL cluster, `pagelift
# serve` on it, nginx as the reference server, and wrk's measurement. Source it after `cd` to the repository root and
# after setting `work` (a scratch directory) and `binary`; call bench_cleanup from the caller's EXIT trap.
# Fair on 2 cores: each server gets one worker thread, wrk one thread, same connections and duration.

bench_pids=()

bench_cleanup() {
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  tests/support/pg-cluster stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}

bench_free_port() {  # a port nothing listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# Starts the private cluster with a database "bench"; sets PGHOST/PGPORT (pagelift needs its database to start).
bench_start_pg() {
  tests/support/pg-cluster start "$work/pg" >/dev/null
  source "$work/pg/env"
  psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -qc "CREATE DATABASE bench" postgres
}

bench_sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d bench "$@"; }

# bench_start_pagelift PORT: `pagelift serve` with one I/O thread; returns once /readyz answers (migrations applied).
bench_start_pagelift() {
  local port=$1
  DATABASE_URL="host=$PGHOST port=$PGPORT user=postgres dbname=bench" PAGELIFT_LISTEN=127.0.0.1:$port \
    PAGELIFT_IO_THREADS=${BENCH_IO_THREADS:-1} PAGELIFT_TOKEN_KEYS="bench:$(head -c 32 /dev/urandom | base64)" \
    SHOPIFY_API_KEY=bench SHOPIFY_API_SECRET=bench PAGELIFT_LOG_LEVEL=warn "$binary" serve >"$work/pagelift.log" 2>&1 &
  bench_pids+=($!)
  bench_wait_http "http://127.0.0.1:$port/readyz" || { echo "pagelift did not become ready:" >&2; cat "$work/pagelift.log" >&2; return 1; }
}

# bench_start_nginx PORT 'LOCATION BLOCKS': nginx with one worker and the given location blocks.
bench_start_nginx() {
  local port=$1 locations=$2
  mkdir -p "$work/nginx"
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$port;
    $locations
  }
}
CONF
  nginx -p "$work/nginx" -c "$work/nginx.conf"
}

bench_wait_http() {  # URL: polls up to 30 s
  for _ in $(seq 300); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# bench_measure URL [CONNECTIONS] [DURATION]: prints "requests_per_second p99_ms".
bench_measure() {
  local out rps p99
  out=$(wrk -t1 -c"${2:-32}" -d"${3:-10s}" --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
