#!/usr/bin/python3
"""ctest entry point for stmt_client_test (MariaDB Connector/C prepared statements): starts
ShardGate with the sharded `pstest` schema of the Node tests in front of the fixture servers
(or uses MariaDB directly with SHARDGATE_DIRECT=1) and runs the test binary. Through
ShardGate the shards allow only 6 prepared statements each, so the backend statement cache
must evict and retry (the test has 160 distinct statements)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, start_proxy  # noqa: E402
from run_node_tests import prepared_schema  # noqa: E402


def main():
    binary = sys.argv[1]
    servers = fixture_servers()
    shards = servers[:4]
    for s in shards:
        s.sql("CREATE DATABASE IF NOT EXISTS pstest")
    env = dict(os.environ)
    proxy = None
    if DIRECT:
        env.update(SG_PORT=str(servers[0].port), SG_DIRECT="1", SG_SHARD_PORTS="")
    else:
        small = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app",
                          "pool": {"max_connections": 2}} for s in shards}
        schemas = prepared_schema([s.name for s in shards])
        schemas["pstest"]["tables"]["cc_orders"] = {"shard_key": "order_no", "same_as": "ps_orders"}
        proxy = start_proxy("stmt_client", small, default_cluster=shards[0].name, schemas=schemas)
        env.update(SG_PORT=str(proxy.port), SG_SHARD_PORTS=",".join(str(s.port) for s in shards))
    if proxy:
        # A tiny server-side statement limit: ShardGate must give back cached statements
        # (error 1461 -> evict the least recently used, retry) instead of failing clients.
        for s in shards:
            s.sql("SET GLOBAL max_prepared_stmt_count = 6")
    try:
        return subprocess.run([binary], env=env, timeout=240).returncode
    finally:
        for s in shards:
            s.sql("SET GLOBAL max_prepared_stmt_count = DEFAULT")
        if proxy:
            proxy.stop_and_check()
            print(f"proxy log: {proxy.log_path}")


if __name__ == "__main__":
    sys.exit(main())
