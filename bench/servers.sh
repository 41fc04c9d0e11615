# Sourced by the benchmarks that need remote stores: starts nginx (WebDAV: the Bazel HTTP cache
# protocol), redis-server and docker-registry (OCI) on 127.0.0.1 under DIR, each on a free
# port, and waits until they answer.
#   bench_start_servers DIR   sets bench_http_port, bench_redis_port, bench_oci_port; returns 1
#                             when a server did not start
#   bench_stop_servers        stops them (by PID; call it from the caller's EXIT trap)
bench_server_pids=()
bench_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bench_wait_port() {
  for _ in $(seq 200); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
bench_start_servers() {
  local d=$1
  mkdir -p "$d/www" "$d/redis" "$d/reg"
  bench_http_port=$(bench_free_port) bench_redis_port=$(bench_free_port) bench_oci_port=$(bench_free_port)
  cat >"$d/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $d/nginx.pid; error_log $d/nginx.err;
events { worker_connections 256; }
http { access_log off; client_body_temp_path $d/body; client_max_body_size 0;
  server { listen 127.0.0.1:$bench_http_port; root $d/www;
    location / { dav_methods PUT DELETE; create_full_put_path on; } } }
CONF
  nginx -e "$d/nginx.err" -p "$d" -c "$d/nginx.conf" >/dev/null 2>&1 & bench_server_pids+=($!)
  redis-server --port "$bench_redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$d/redis" >/dev/null 2>&1 &
  bench_server_pids+=($!)
  cat >"$d/reg.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $d/reg}}
http: {addr: 127.0.0.1:$bench_oci_port}
YML
  docker-registry serve "$d/reg.yml" >/dev/null 2>&1 & bench_server_pids+=($!)
  bench_wait_port "$bench_http_port" && bench_wait_port "$bench_redis_port" && bench_wait_port "$bench_oci_port"
}
bench_stop_servers() {
  for p in "${bench_server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${bench_server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_server_pids=()
}
