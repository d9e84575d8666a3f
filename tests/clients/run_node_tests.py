#!/usr/bin/python3
"""ctest entry point for the Node client tests: installs mysql2 if missing, starts ShardGate
in front of the fixture servers (or uses MariaDB directly with SHARDGATE_DIRECT=1), runs `node --test`."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, start_proxy  # noqa: E402


def ensure_modules():
    if os.path.isfile(os.path.join(HERE, "node_modules", "mysql2", "package.json")):
        return
    cmd = ["npm", "ci" if os.path.exists(os.path.join(HERE, "package-lock.json")) else "install",
           "--no-audit", "--no-fund"]
    subprocess.run(cmd, cwd=HERE, check=True, timeout=300)


def prepared_schema(names):
    """pstest.ps_orders sharded by order number (2 shards before 2026-12-01, 4 from then on);
    ps_types co-located with it."""
    pattern = r"^ORD(?<date>\d{8})(?<seq>\d{8})$"
    return {"pstest": {"default_cluster": names[0], "tables": {
        "ps_orders": {"shard_key": "order_no", "key": {"kind": "order_number", "pattern": pattern},
                      "strategy": {"kind": "hash", "function": "modulo", "shards": names[:2]},
                      "generations": [{"since": "2026-12-01", "shards": names}]},
        "ps_types": {"shard_key": "order_no", "same_as": "ps_orders"},
    }}}


def main():
    ensure_modules()
    servers = fixture_servers()
    shards = servers[:4]
    for s in shards:
        s.sql("CREATE DATABASE IF NOT EXISTS pstest")
    proxies = []
    env = dict(os.environ)
    if DIRECT:
        env.update(SG_PORT=str(servers[0].port), SG_PS_PORT=str(servers[0].port), SG_DIRECT="1")
    else:
        plain = start_proxy("node_mysql2", {s.name: f"{LOOPBACK}:{s.port}" for s in servers},
                            default_cluster=servers[0].name)
        proxies.append(plain)
        # Two backend connections per shard (one per worker): prepared statements must
        # survive multiplexing over them.
        small = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app",
                          "pool": {"max_connections": 2}} for s in shards}
        sharded = start_proxy("node_prepared", small, default_cluster=shards[0].name,
                              schemas=prepared_schema([s.name for s in shards]))
        proxies.append(sharded)
        env.update(SG_PORT=str(plain.port), SG_PS_PORT=str(sharded.port),
                   SG_SHARD_PORTS=",".join(str(s.port) for s in shards))
    try:
        files = ["test_node_mysql2.js", "test_node_prepared.js"]
        return subprocess.run(["node", "--test", *files], cwd=HERE, env=env, timeout=300).returncode
    finally:
        for p in proxies:
            p.stop_and_check()  # a crash or sanitizer report fails the run
            print(f"proxy log: {p.log_path}")


if __name__ == "__main__":
    sys.exit(main())
