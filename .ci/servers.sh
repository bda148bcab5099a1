# Starts throw-away PostgreSQL and Redis servers on loopback for the tests,
# and exports their URLs (WSS_TEST_POSTGRES_URL, WSS_TEST_REDIS_URL).
# Sourced by .ci/run; usable by hand: `. .ci/servers.sh && start_redis && start_postgres`.

CI_SERVERS_DIR="${CI_SERVERS_DIR:-/tmp/wss-gateway-ci}"
REDIS_PORT="${REDIS_PORT:-6391}"
POSTGRES_PORT="${POSTGRES_PORT:-5441}"

start_redis() {
  mkdir -p "$CI_SERVERS_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$CI_SERVERS_DIR/redis" --daemonize yes --pidfile "$CI_SERVERS_DIR/redis/redis.pid" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export WSS_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  echo "redis on $WSS_TEST_REDIS_URL"
}

start_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  local data="$CI_SERVERS_DIR/pg"
  rm -rf "$data" && mkdir -p "$data" && chown postgres: "$data"
  su postgres -s /bin/sh -c "$bin/initdb -D '$data/db' -U postgres --auth=trust -E UTF8 >/dev/null"
  su postgres -s /bin/sh -c "$bin/pg_ctl -D '$data/db' -o '-p $POSTGRES_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off' -l '$data/log' -w start >/dev/null"
  export WSS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$POSTGRES_PORT/postgres"
  echo "postgres on $WSS_TEST_POSTGRES_URL"
}

stop_servers() {
  [ -f "$CI_SERVERS_DIR/redis/redis.pid" ] && kill "$(cat "$CI_SERVERS_DIR/redis/redis.pid")" 2>/dev/null || true
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -d "$CI_SERVERS_DIR/pg/db" ] && su postgres -s /bin/sh -c "$bin/pg_ctl -D '$CI_SERVERS_DIR/pg/db' -m fast stop >/dev/null" 2>/dev/null || true
}
