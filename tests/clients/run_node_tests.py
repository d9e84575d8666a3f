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


def main():
    ensure_modules()
    servers = fixture_servers()
    proxy = None
    if DIRECT:
        port = servers[0].port
    else:
        proxy = start_proxy("node_mysql2", {s.name: f"{LOOPBACK}:{s.port}" for s in servers},
                            default_cluster=servers[0].name)
        port = proxy.port
    try:
        env = dict(os.environ, SG_PORT=str(port))
        return subprocess.run(["node", "--test", "test_node_mysql2.js"], cwd=HERE, env=env, timeout=240).returncode
    finally:
        if proxy:
            proxy.stop()
            print(f"proxy log: {proxy.log_path}")


if __name__ == "__main__":
    sys.exit(main())
