#!/usr/bin/env bash
# ShardGate demo: two MariaDB shards (127.0.0.1:3311 shard0, 127.0.0.1:3312 shard1) and ShardGate
# on 127.0.0.1:6033, with ~1,000 sample orders loaded through the proxy. Data lives in <repo>/.demo/.
# Usage: packaging/demo.sh [start|stop|status]      (start is the default; re-running is safe)
# Env: SHARDGATE_BIN=<binary> to use another build; DEMO_SKIP_BUILD=1 skips install-deps and the build.
# Any failing step stops the demo with "demo: error: step '...' failed" and a non-zero exit.
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO="$REPO/.demo"
PY=/usr/bin/python3
STATE="$DEMO/state.json"
SG_BIN="${SHARDGATE_BIN:-$REPO/build/shardgate}"
SG_CONF="$DEMO/shardgate.yaml"
SG_LOG="$DEMO/shardgate.log"
SG_PID="$DEMO/shardgate.pid"
PROXY_PORT=6033
ADMIN_PORT=9104
export PYTHONPATH="$REPO/tests${PYTHONPATH:+:$PYTHONPATH}"

STEP="starting"
say() { STEP="$*"; printf '\033[1m==> %s\033[0m\n' "$*"; }
on_error() {  # on_error LINE COMMAND: the step that failed and the command that failed it
  local rc=$?
  echo "demo: error: step '$STEP' failed (exit $rc) at line $1: $2" >&2
  exit "$rc"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR
servers() { "$PY" "$REPO/tests/harness/servers.py" "$@" --state "$STATE"; }
proxy_pid() { if [ -f "$SG_PID" ]; then cat "$SG_PID" 2>/dev/null || true; fi; }
proxy_running() { local p; p=$(proxy_pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

stop_proxy() {
  if proxy_running; then
    local p; p=$(proxy_pid)
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
    echo "shardgate: stopped (pid $p)"
  fi
  rm -f "$SG_PID"
}

status() {
  servers status || true
  if proxy_running; then
    echo "shardgate: running on 127.0.0.1:$PROXY_PORT (pid $(proxy_pid), log $SG_LOG)"
    if curl -fsS --max-time 2 "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null 2>&1; then
      echo "admin: http://127.0.0.1:$ADMIN_PORT/healthz ok"
    else
      echo "admin: /healthz not answering"
    fi
  else
    echo "shardgate: stopped"
  fi
  "$PY" - <<'EOF' || true
from harness.mariadb_server import MariaDBServer
for name, port in (("shard0", 3311), ("shard1", 3312)):
    s = MariaDBServer(name, port, ".")
    try:
        with s.connect(db="shop") as c, c.cursor() as cur:
            cur.execute("SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_items)")
            o, i = cur.fetchone()
            print(f"{name}: shop.orders={o} shop.order_items={i}")
    except Exception as e:  # noqa: BLE001
        print(f"{name}: cannot count rows ({e})")
EOF
}

wait_port_free() {  # $1 port: fail if something else is listening there
  if "$PY" -c "import sys; from harness.netutil import port_accepts; sys.exit(0 if port_accepts($1) else 1)"; then
    echo "error: 127.0.0.1:$1 is already in use by another process" >&2; return 1
  fi
}

start() {
  mkdir -p "$DEMO"
  local build_ok=1
  if [ "${DEMO_SKIP_BUILD:-0}" = 1 ]; then
    say "Skipping install-deps and build (DEMO_SKIP_BUILD=1)"
  else
    say "Installing dependencies"
    "$REPO/packaging/install-deps.sh"
    say "Building ShardGate"
    (cd "$REPO" && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2 --target shardgate) \
    || { build_ok=0; echo "demo: error: the build failed; starting the servers only, then exiting 1" >&2; }
  fi

  say "Starting MariaDB shards"
  servers start --ports 3311,3312 --names shard0,shard1

  say "Creating schema on both shards"
  "$PY" - <<'EOF'
from harness.mariadb_server import MariaDBServer
DDL = [
    """CREATE TABLE IF NOT EXISTS shops (
         shop_id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, region VARCHAR(20) NOT NULL
       ) DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE IF NOT EXISTS orders (
         order_no VARCHAR(20) PRIMARY KEY, member_id BIGINT NOT NULL, shop_id INT NOT NULL,
         amount DECIMAL(12,2) NOT NULL, status VARCHAR(16) NOT NULL, ordered_at DATETIME NOT NULL,
         note VARCHAR(200) NULL, KEY idx_member (member_id), KEY idx_ordered_at (ordered_at)
       ) DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE IF NOT EXISTS order_items (
         order_no VARCHAR(20) NOT NULL, line_no INT NOT NULL, sku VARCHAR(32) NOT NULL,
         qty INT NOT NULL, price DECIMAL(12,2) NOT NULL, PRIMARY KEY (order_no, line_no)
       ) DEFAULT CHARSET=utf8mb4""",
]
SHOPS = [(1, "서울 강남점", "seoul"), (2, "부산 해운대점", "busan"), (3, "대구 동성로점", "daegu"),
         (4, "인천 송도점", "incheon"), (5, "Online Store", "online")]
for name, port in (("shard0", 3311), ("shard1", 3312)):
    with MariaDBServer(name, port, ".").connect(db="shop") as c, c.cursor() as cur:
        for ddl in DDL:
            cur.execute(ddl)
        cur.executemany("INSERT IGNORE INTO shops VALUES (%s, %s, %s)", SHOPS)  # reference table: every shard
        print(f"{name}: schema ready")
EOF

  say "Writing $SG_CONF"
  cat > "$SG_CONF" <<EOF
# ShardGate demo configuration (written by packaging/demo.sh)
listen:
  address: 127.0.0.1
  port: $PROXY_PORT
  workers: 2
admin:
  address: 127.0.0.1
  port: $ADMIN_PORT
users:
  - name: app
    password: app
    default_schema: shop
clusters:
  shard0:
    writer: 127.0.0.1:3311
    user: app
    password: app
    pool: { max_connections: 32, acquire_timeout_ms: 5000 }
  shard1:
    writer: 127.0.0.1:3312
    user: app
    password: app
    pool: { max_connections: 32, acquire_timeout_ms: 5000 }
default_cluster: shard0
schemas:
  shop:
    default_cluster: shard0          # unsharded tables (shops) live here
    tables:
      orders:
        shard_key: order_no
        key: { kind: order_number, pattern: '^ORD(?<date>\d{8})(?<seq>\d{8})$' }
        strategy: { kind: hash, function: modulo, shards: [shard0, shard1] }   # seq % 2
      order_items:
        shard_key: order_no
        same_as: orders              # co-located with its order
logging:
  level: info
EOF

  say "Starting ShardGate"
  stop_proxy
  if [ "$build_ok" -ne 1 ] || [ ! -x "$SG_BIN" ]; then
    echo "error: $SG_BIN is missing (build failed?); servers are running, the proxy is not" >&2
    return 1
  fi
  local rc=0
  "$SG_BIN" --check-config --config "$SG_CONF" >>"$SG_LOG" 2>&1 || rc=$?
  if [ "$rc" -eq 2 ]; then echo "error: shardgate rejected $SG_CONF (see $SG_LOG)" >&2; return 1; fi
  wait_port_free "$PROXY_PORT"
  wait_port_free "$ADMIN_PORT"
  setsid "$SG_BIN" --config "$SG_CONF" </dev/null >>"$SG_LOG" 2>&1 &
  echo $! > "$SG_PID"
  local ok=0
  for _ in $(seq 1 100); do
    proxy_running || break
    if "$PY" -c "import sys; from harness.netutil import port_accepts; sys.exit(0 if port_accepts($PROXY_PORT) else 1)"; then
      ok=1; break
    fi
    sleep 0.2
  done
  if [ "$ok" -ne 1 ]; then
    echo "error: shardgate did not start listening on $PROXY_PORT; last log lines:" >&2
    tail -n 20 "$SG_LOG" >&2; stop_proxy; return 1
  fi
  echo "shardgate: running (pid $(proxy_pid))"

  say "Loading sample data through ShardGate (127.0.0.1:$PROXY_PORT)"
  "$PY" - <<'EOF'
import datetime
import random

import pymysql

from harness.mariadb_server import MariaDBServer

total = 0
for name, port in (("shard0", 3311), ("shard1", 3312)):
    with MariaDBServer(name, port, ".").connect(db="shop") as c, c.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        total += cur.fetchone()[0]
if total:
    print(f"sample data already present ({total} orders); not reloading")
    raise SystemExit(0)

rng = random.Random(20261122)
NOTES = ["부재 시 경비실에 맡겨 주세요", "빠른 배송 부탁드립니다", "선물 포장 해주세요 🎁",
         "문 앞에 놓아 주세요", "Leave at the front desk", None, None, None]
STATUSES = ["PAID", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "PENDING"]
SKUS = [f"SKU-{n:05d}" for n in range(1, 60)]
days = [datetime.date(2026, 11, 18) + datetime.timedelta(days=d) for d in range(5)]
orders, items = [], []
for day in days:
    for seq in range(1, 201):  # dense sequence per day: ORDyyyymmdd00000001 ...
        order_no = f"ORD{day:%Y%m%d}{seq:08d}"
        at = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=seq * 400 + rng.randint(0, 399))
        lines = []
        for line_no in range(1, rng.randint(1, 3) + 1):
            price = rng.choice([4900, 12000, 15900, 23000, 39000, 129000])
            lines.append((order_no, line_no, rng.choice(SKUS), rng.randint(1, 4), price))
        amount = sum(q * p for _, _, _, q, p in lines)
        orders.append((order_no, rng.randint(100000, 100999), rng.randint(1, 5), amount,
                       rng.choice(STATUSES), at, rng.choice(NOTES)))
        items.extend(lines)

conn = pymysql.connect(host="127.0.0.1", port=6033, user="app", password="app", database="shop",
                       charset="utf8mb4", connect_timeout=10, read_timeout=60, write_timeout=60,
                       autocommit=True)  # each multi-row INSERT is split over the shards
with conn, conn.cursor() as cur:
    for i in range(0, len(orders), 100):
        cur.executemany("INSERT INTO orders (order_no, member_id, shop_id, amount, status, ordered_at, note)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s)", orders[i:i + 100])
    for i in range(0, len(items), 200):
        cur.executemany("INSERT INTO order_items (order_no, line_no, sku, qty, price) VALUES (%s, %s, %s, %s, %s)",
                        items[i:i + 200])
    cur.execute("SELECT order_no FROM orders")  # a scatter read: every shard's rows
    n = len(cur.fetchall())
placed = []
for name, port in (("shard0", 3311), ("shard1", 3312)):
    with MariaDBServer(name, port, ".").connect(db="shop") as c, c.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        placed.append(f"{name} {cur.fetchone()[0]}")
print(f"loaded {len(orders)} orders and {len(items)} items through ShardGate (proxy reads {n} back;"
      f" orders per shard: {', '.join(placed)})")
EOF

  say "Demo is up"
  status
  cat <<EOF

Connect:   mariadb -h127.0.0.1 -P$PROXY_PORT -uapp -papp shop
           e.g.  SELECT * FROM orders WHERE order_no = 'ORD2026112200000123';
Shards:    mariadb -h127.0.0.1 -P3311 -uapp -papp shop    (shard0)
           mariadb -h127.0.0.1 -P3312 -uapp -papp shop    (shard1)
Logs:      $SG_LOG
           $DEMO/shard0/mariadbd.log, $DEMO/shard1/mariadbd.log
Config:    $SG_CONF
Status:    packaging/demo.sh status
Stop:      packaging/demo.sh stop
EOF
}

case "${1:-start}" in
  start) start ;;
  stop) stop_proxy; servers stop ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 64 ;;
esac
