# Shared by the load benchmarks (bench/http/run, bench/experiments/sdk-run): a private PostgreSQL cluster, `pagelift
# serve` on it, nginx as the reference server, and wrk's measurement. Source it after `cd` to the repository root and
# after setting `work` (a scratch directory) and `binary`; call bench_cleanup from the caller's EXIT trap.
# A fair comparison, on 2 cores and more:
# - each server gets one I/O thread (pagelift: PAGELIFT_IO_THREADS=1; nginx: worker_processes 1), wrk one thread,
#   same connections and duration, and a warm-up for each;
# - both are pinned the same way: every server process (all of its threads) on CPU $BENCH_SERVER_CPU, wrk on CPU
#   $BENCH_CLIENT_CPU (defaults 1 and 0), so neither server's threads compete with wrk differently (unpinned, the
#   scheduler's choices moved the ratio by ±0.2 between runs);
# - the same keep-alive: nginx's keepalive_requests is unlimited in effect (its default, 1000, closes every
#   connection after 1000 requests, which pagelift never does) and keepalive_timeout 60 s like pagelift's idle timeout;
#   access_log off, as a production config serving this traffic would have (pagelift logs requests at info; the
#   benchmarks run it at warn);
# - pagelift runs without its background workers (PAGELIFT_WORKERS=false; BENCH_WORKERS=true keeps them): their
#   scheduler and job polling are not HTTP work, and nginx runs nothing like them.
# Besides wrk's requests/s, bench_measure reports each server's CPU time per request (all its processes and threads,
# from /proc): on a machine loaded by other work that figure is steadier than requests/s.

bench_pids=()
bench_server_cpu=${BENCH_SERVER_CPU:-1}
bench_client_cpu=${BENCH_CLIENT_CPU:-0}
if (($(nproc) < 2)); then bench_server_cpu=0; bench_client_cpu=0; fi
bench_server() { taskset -c "$bench_server_cpu" "$@"; }  # runs a server command pinned to the server CPU

bench_cleanup() {
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  tests/support/pg-cluster stop "$work/pg" >/dev/null 2>&1 || true
  # pg-cluster keeps the data under /tmp/pagelift-pg-<hash of DIR> and `stop` leaves it there; a benchmark's cluster
  # is scratch, and every run leaked one (gigabytes after a collect or aggregation run) until /tmp filled up.
  local hash
  hash=$(printf '%s' "$(realpath -m -- "$work/pg")" | sha256sum | cut -c1-12)
  rm -rf "/tmp/pagelift-pg-$hash" "/tmp/pagelift-pg-$hash.cmdlock" "/tmp/pagelift-pg-$hash.lock"
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

# bench_start_pagelift PORT: `pagelift serve` with one I/O thread, pinned; returns once /readyz answers (migrations
# applied). Sets bench_pagelift_pid.
bench_start_pagelift() {
  local port=$1
  DATABASE_URL="host=$PGHOST port=$PGPORT user=postgres dbname=bench" PAGELIFT_LISTEN=127.0.0.1:$port \
    PAGELIFT_IO_THREADS=${BENCH_IO_THREADS:-1} PAGELIFT_TOKEN_KEYS="bench:$(head -c 32 /dev/urandom | base64)" \
    PAGELIFT_WORKERS=${BENCH_WORKERS:-false} SHOPIFY_API_KEY=bench SHOPIFY_API_SECRET=bench PAGELIFT_LOG_LEVEL=warn \
    taskset -c "$bench_server_cpu" "$binary" serve >"$work/pagelift.log" 2>&1 &
  bench_pagelift_pid=$!
  bench_pids+=($!)
  bench_wait_http "http://127.0.0.1:$port/readyz" || { echo "pagelift did not become ready:" >&2; cat "$work/pagelift.log" >&2; return 1; }
}

# bench_start_nginx PORT 'LOCATION BLOCKS': nginx with one worker, pinned, and the given location blocks.
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
  keepalive_timeout 60s;
  keepalive_requests 1000000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$port;
    $locations
  }
}
CONF
  bench_server nginx -p "$work/nginx" -c "$work/nginx.conf"
}

# The PIDs of a server's processes: pagelift's one process, or nginx's master and its workers.
bench_server_pids() {
  if [[ $1 == nginx ]]; then
    local master
    master=$(cat "$work/nginx.pid")
    echo "$master" $(pgrep -P "$master" || true)
  else
    echo "$bench_pagelift_pid"
  fi
}

bench_cpu_ticks() {  # PIDS...: their user + system clock ticks, all threads, children not included
  local total=0 pid fields
  for pid in "$@"; do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + $(awk '{print $12 + $13}' <<<"$fields")))
  done
  echo "$total"
}

bench_wait_http() {  # URL: polls up to 30 s
  for _ in $(seq 300); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# bench_measure URL [CONNECTIONS] [DURATION] [SERVER]: wrk pinned to the client CPU; prints "requests_per_second
# p99_ms cpu_us_per_request", the last from the CPU time SERVER ("pagelift" or "nginx") used during the run ("-" when
# SERVER is not given).
bench_measure() {
  local out rps p99 requests before="" after cpu_us="-" pids=""
  [[ -n ${4:-} ]] && pids=$(bench_server_pids "$4") && before=$(bench_cpu_ticks $pids)
  out=$(taskset -c "$bench_client_cpu" wrk -t1 -c"${2:-32}" -d"${3:-10s}" --latency "$1")
  if [[ -n $before ]]; then
    after=$(bench_cpu_ticks $pids)
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu_us=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
      'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
  fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99 $cpu_us"
}

# bench_compare NAME PAGELIFT_URL NGINX_URL CONNECTIONS DURATION TARGET_RATIO [TARGET_RPS]: warms both servers up,
# measures them alternately BENCH_ROUNDS times (default 3; alternating spreads the other load of a shared machine over
# both), and prints each server's best round, their CPU time per request, and the ratios.
bench_compare() {
  local name=$1 p_url=$2 n_url=$3 connections=$4 duration=$5 target=$6 target_rps=${7:-}
  local rounds=${BENCH_ROUNDS:-3} i p n p_best=(0 0 0) n_best=(0 0 0)
  taskset -c "$bench_client_cpu" wrk -t1 -c"$connections" -d2s "$p_url" >/dev/null   # warm-up
  taskset -c "$bench_client_cpu" wrk -t1 -c"$connections" -d2s "$n_url" >/dev/null
  for ((i = 0; i < rounds; i++)); do
    read -r -a p < <(bench_measure "$p_url" "$connections" "$duration" pagelift)
    read -r -a n < <(bench_measure "$n_url" "$connections" "$duration" nginx)
    echo "  round $((i + 1)): pagelift ${p[0]} requests/s (${p[2]} us CPU/request), nginx ${n[0]} requests/s (${n[2]} us CPU/request)" >&2
    awk -v a="${p[0]}" -v b="${p_best[0]}" 'BEGIN {exit !(a > b)}' && p_best=("${p[@]}")
    awk -v a="${n[0]}" -v b="${n_best[0]}" 'BEGIN {exit !(a > b)}' && n_best=("${n[@]}")
  done
  echo "$name, keep-alive, $connections connections, $duration x $rounds rounds (best of each), 1 server thread each, server on CPU $bench_server_cpu, wrk on CPU $bench_client_cpu"
  printf '  pagelift: %10.0f requests/s  p99 %6.2f ms  CPU %6s us/request%s\n' "${p_best[0]}" "${p_best[1]}" "${p_best[2]}" \
    "${target_rps:+  (target >= $target_rps)}"
  printf '  nginx:    %10.0f requests/s  p99 %6.2f ms  CPU %6s us/request\n' "${n_best[0]}" "${n_best[1]}" "${n_best[2]}"
  echo "  ratio pagelift/nginx: $(bench_ratio "${p_best[0]}" "${n_best[0]}") (target >= $target)"
  echo "  CPU per request nginx/pagelift: $(bench_ratio "${n_best[2]}" "${p_best[2]}") (the same ratio from CPU time; steadier on a loaded machine)"
  echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the figures are only as good as an idle machine)"
}

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
