"""unittest base class: fixture MariaDB servers + a ShardGate in front of them.

Environment:
  SHARDGATE_TEST_STATE  state.json of servers started by `servers.py start` (ctest fixture).
                        Unset or missing file: the test starts its own 5 servers in a temp dir and stops them
                        at exit (0-3 serve as shards, 4 is the differential test's plain reference).
  SHARDGATE_DIRECT=1    talk to MariaDB directly instead of through the proxy (harness self-check).
  SHARDGATE_BIN         proxy binary (default <repo>/build/shardgate).
  SHARDGATE_TEST_WORKDIR where proxy configs/logs go (default: next to the state file).
"""
import atexit
import os
import shutil
import sys
import tempfile
import unittest

import pymysql

from . import servers as servers_mod
from .mariadb_server import MariaDBServer
from .netutil import LOOPBACK, free_port, tail
from .shardgate_process import ShardGate, make_config

DIRECT = os.environ.get("SHARDGATE_DIRECT", "") not in ("", "0")
proxy_only = unittest.skipIf(DIRECT, "needs the proxy (SHARDGATE_DIRECT=1)")
PROXY_PORTS = (26033, 26099)
ADMIN_PORTS = (29104, 29199)
OWN_SERVER_PORTS = (23350, 23399)

_standalone = {}


def fixture_servers():
    """The shared servers (from SHARDGATE_TEST_STATE, or a private set of 5 started on first use)."""
    state = os.environ.get("SHARDGATE_TEST_STATE")
    if state and os.path.exists(state):
        servers = servers_mod.servers_from_state(state)
        for s in servers:
            if not s.is_running():  # a previous test may have left it down; be robust
                s.start()
        return servers
    if "servers" not in _standalone:
        tmp = tempfile.mkdtemp(prefix="shardgate-it-")
        _standalone["dir"] = tmp
        _standalone["servers"] = servers_mod.start(os.path.join(tmp, "state.json"), count=5,
                                                   port_range=OWN_SERVER_PORTS)

        def cleanup():
            for s in _standalone["servers"]:
                s.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        atexit.register(cleanup)
    return _standalone["servers"]


def workdir(name):
    base = os.environ.get("SHARDGATE_TEST_WORKDIR")
    if not base:
        state = os.environ.get("SHARDGATE_TEST_STATE")
        if state and os.path.exists(state):
            base = os.path.dirname(os.path.abspath(state))
        else:
            fixture_servers()
            base = _standalone["dir"]
    path = os.path.join(base, "work", name)
    os.makedirs(path, exist_ok=True)
    return path


def own_server(name):
    """A private MariaDBServer (for tests that kill/restart it); caller must stop() it."""
    port = free_port(*OWN_SERVER_PORTS)
    return MariaDBServer(name, port, workdir("own-servers"))


def start_proxy(name, clusters, **kw):
    """Start ShardGate on free ports. `clusters`: name -> 'host:port'. Returns the ShardGate."""
    port = free_port(*PROXY_PORTS)
    admin = free_port(*ADMIN_PORTS)
    cfg = make_config(port, admin, clusters, **kw)
    return ShardGate(cfg, workdir(name), name=name).start()


class ProxyTestCase(unittest.TestCase):
    """Starts one ShardGate (default cluster = fixture server 0) for the whole class.

    self.port is the port tests talk to: the proxy, or the backend itself when SHARDGATE_DIRECT=1.
    """
    proxy_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.servers = fixture_servers()
        cls.backend = cls.servers[0]
        cls.proxy = None
        if DIRECT:
            cls.port = cls.backend.port
            return
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.servers}
        cls.proxy = start_proxy(cls.__name__, clusters, default_cluster=cls.backend.name, **cls.proxy_kwargs)
        cls.port = cls.proxy.port

    @classmethod
    def tearDownClass(cls):
        if cls.proxy:
            sys.stderr.write(f"\n[{cls.__name__}] proxy log: {cls.proxy.log_path}\n"
                             f"{tail(cls.proxy.log_path, 15)}\n")
            cls.proxy.stop_and_check()  # a crash or sanitizer report fails the class

    @classmethod
    def connect(cls, user="app", password="app", db=None, **kw):
        """pymysql connection to the system under test (proxy or direct)."""
        kw.setdefault("charset", "utf8mb4")
        kw.setdefault("autocommit", True)
        kw.setdefault("connect_timeout", 10)
        kw.setdefault("read_timeout", 60)
        kw.setdefault("write_timeout", 60)
        return pymysql.connect(host=LOOPBACK, port=cls.port, user=user, password=password, database=db, **kw)

    def query(self, sql, db=None, args=None):
        """One-shot query through the system under test; returns all rows."""
        conn = self.connect(db=db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()


def main():
    """Run the calling module's tests verbosely with a bounded overall buffer."""
    unittest.main(verbosity=2)
