#!/usr/bin/python3
"""Start/stop a named set of MariaDB servers recorded in a JSON state file.

Used by ctest fixtures and the demo:
  /usr/bin/python3 tests/harness/servers.py start --state DIR/state.json --ports 23301,23302
  /usr/bin/python3 tests/harness/servers.py start --state DIR/state.json --count 2 --port-range 23300-23349
  /usr/bin/python3 tests/harness/servers.py stop|status --state DIR/state.json
Servers are named shard0, shard1, ... (override with --names); data lives next to the state file.
State file: {"servers": [{"name":..., "port":..., "basedir":...}, ...]}
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.netutil import free_ports  # noqa: E402


def load_state(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def servers_from_state(path):
    """MariaDBServer objects for every server in a state file."""
    return [MariaDBServer(s["name"], s["port"], s["basedir"]) for s in load_state(path)["servers"]]


def start(state_path, ports=None, names=None, count=2, port_range=(23300, 23349)):
    """Start (or reuse running) servers and write the state file. Returns the servers."""
    state_path = os.path.abspath(state_path)
    basedir = os.path.dirname(state_path)
    os.makedirs(basedir, exist_ok=True)
    if os.path.exists(state_path):  # reuse the previous ports and data
        old = load_state(state_path)["servers"]
        if not ports:
            ports = [s["port"] for s in old]
            if len(ports) < count:  # an older, smaller set: add the missing servers
                ports += free_ports(port_range[0], port_range[1], count - len(ports), exclude=ports)
        names = names or [s["name"] for s in old]
    if not ports:
        ports = free_ports(port_range[0], port_range[1], count)
    names = list(names or [])
    names += [f"shard{i}" for i in range(len(names), len(ports))]
    servers = [MariaDBServer(n, p, basedir) for n, p in zip(names, ports)]
    with open(state_path, "w", encoding="utf-8") as f:
        json.dump({"servers": [{"name": s.name, "port": s.port, "basedir": basedir} for s in servers]}, f, indent=1)
    for s in servers:
        s.start()
    return servers


def stop(state_path):
    if not os.path.exists(state_path):
        return []
    servers = servers_from_state(state_path)
    for s in servers:
        s.stop()
    return servers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["start", "stop", "status"])
    ap.add_argument("--state", required=True)
    ap.add_argument("--ports", help="comma-separated ports")
    ap.add_argument("--names", help="comma-separated names (default shard0,shard1,...)")
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--port-range", default="23300-23349")
    a = ap.parse_args()
    if a.action == "start":
        ports = [int(p) for p in a.ports.split(",")] if a.ports else None
        names = a.names.split(",") if a.names else None
        lo, hi = (int(x) for x in a.port_range.split("-"))
        for s in start(a.state, ports, names, a.count, (lo, hi)):
            print(f"{s.name}: running on 127.0.0.1:{s.port} (pid {s.pid}, log {s.log_path})")
    elif a.action == "stop":
        for s in stop(a.state):
            print(f"{s.name}: stopped")
    else:
        if not os.path.exists(a.state):
            print("no servers")
            return 3
        rc = 0
        for s in servers_from_state(a.state):
            up = s.is_running()
            rc = rc if up else 3
            print(f"{s.name}: {'running' if up else 'stopped'} on 127.0.0.1:{s.port} (pid {s.pid or '-'})")
        return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
