"""A throw-away MariaDB server run as a plain child process on 127.0.0.1.

Layout (all under ``<basedir>/<name>/``): ``data/`` datadir, ``tmp/``,
``mariadbd.log`` (error log + stdout/stderr), ``mariadbd.pid``, ``mariadbd.sock``.

Accounts: ``root@localhost`` with an empty password (used only over the unix
socket by the harness) and the application user ``app`` / ``app`` at
``127.0.0.1`` and ``localhost`` with ``GRANT ALL PRIVILEGES ON *.*`` minus
``SUPER`` and ``READ_ONLY ADMIN`` (so ``read_only=ON`` applies to it, while it can
still create/drop databases). Databases ``shop`` and ``sbtest`` are created.

Binary log: off (``--skip-log-bin``) by default. ``log_bin=True`` starts the server with
``--log-bin=<dir>/binlog`` (relay log ``<dir>/relay-bin``), ``--server-id`` (default: the port),
``--binlog-format=ROW``, ``--log-slave-updates`` and ``--gtid-strict-mode``, so it can act as a
replication primary or replica (see ``replication.py``). The harness' own provisioning then runs with
``sql_log_bin=0``: it is local to each server and never replicated, so every binlog holds only
what tests write.
"""
import os
import signal
import subprocess
import time

import pymysql

from .netutil import LOOPBACK, pid_alive, port_accepts, tail, wait_until

APP_USER = "app"
APP_PASSWORD = "app"
START_TIMEOUT = 60
STOP_TIMEOUT = 30


class MariaDBServer:
    """One mariadbd instance; usable from a process other than the one that started it."""

    def __init__(self, name, port, basedir, extra_args=(), log_bin=False, server_id=None):
        self.name = name
        self.port = int(port)
        self.dir = os.path.abspath(os.path.join(basedir, name))
        self.datadir = os.path.join(self.dir, "data")
        self.tmpdir = os.path.join(self.dir, "tmp")
        self.log_path = os.path.join(self.dir, "mariadbd.log")
        self.pid_path = os.path.join(self.dir, "mariadbd.pid")
        sock = os.path.join(self.dir, "mariadbd.sock")
        self.socket = sock if len(sock) < 100 else f"/tmp/shardgate-mariadbd-{self.port}.sock"
        self.extra_args = list(extra_args)
        self.log_bin = bool(log_bin)
        if server_id is None and self.log_bin:
            server_id = self.port
        self.server_id = None if server_id is None else int(server_id)
        self._proc = None

    # ----- lifecycle -------------------------------------------------------
    def _common_args(self):
        args = [
            f"--datadir={self.datadir}",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        return args

    def _binlog_args(self):
        """``--skip-log-bin`` by default; binlog/replication options with log_bin=True."""
        args = []
        if self.log_bin:
            args += [
                f"--log-bin={os.path.join(self.dir, 'binlog')}",
                f"--relay-log={os.path.join(self.dir, 'relay-bin')}",
                "--binlog-format=ROW", "--log-slave-updates=ON", "--gtid-strict-mode=ON",
                f"--report-host={LOOPBACK}", f"--report-port={self.port}",
            ]
        else:
            args.append("--skip-log-bin")
        if self.server_id is not None:
            args.append(f"--server-id={self.server_id}")
        return args

    def initialize(self):
        """Run mariadb-install-db once per datadir (no-op if already initialised)."""
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return
        os.makedirs(self.datadir, exist_ok=True)
        os.makedirs(self.tmpdir, exist_ok=True)
        cmd = ["mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal",
               "--skip-test-db", "--skip-name-resolve", f"--tmpdir={self.tmpdir}"] + self._common_args()
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed for {self.name}:\n"
                               + res.stdout.decode("utf-8", "replace")[-4000:])

    def start(self):
        """Initialise if needed, start mariadbd, wait until it accepts connections, provision users."""
        if self.is_running():
            return self
        self.initialize()
        os.makedirs(self.tmpdir, exist_ok=True)
        cmd = ["mariadbd", "--no-defaults"] + self._common_args() + [
            f"--port={self.port}", f"--bind-address={LOOPBACK}", f"--socket={self.socket}",
            f"--pid-file={self.pid_path}", f"--log-error={self.log_path}", f"--tmpdir={self.tmpdir}",
            "--performance-schema=OFF", "--skip-name-resolve", "--max-connections=1000",
            "--innodb-flush-log-at-trx-commit=2", *self._binlog_args(), "--max-allowed-packet=64M",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
            "--innodb-use-native-aio=OFF", "--skip-external-locking",
        ] + self.extra_args
        if self.port_busy_by_other():
            raise RuntimeError(f"port {self.port} is already in use; cannot start {self.name}")
        log = open(self.log_path, "ab")
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mariadbd {self.name} exited with {self._proc.returncode}; log tail:\n"
                                   + tail(self.log_path))
            if port_accepts(self.port) and os.path.exists(self.socket):
                try:
                    self._provision()
                    return self
                except pymysql.err.OperationalError:
                    pass
            time.sleep(0.2)
        self.kill()
        raise TimeoutError(f"mariadbd {self.name} not ready on port {self.port} after {START_TIMEOUT}s; "
                           f"log tail:\n{tail(self.log_path)}")

    def port_busy_by_other(self):
        return port_accepts(self.port, timeout=0.2) and not pid_alive(self.pid)

    @property
    def pid(self):
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        try:
            with open(self.pid_path) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def is_running(self):
        return pid_alive(self.pid) and port_accepts(self.port)

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                if self._proc.poll() is not None:
                    return True
            elif not pid_alive(pid):
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        """Clean shutdown (SIGTERM), bounded; SIGKILL if it does not finish in time."""
        pid = self.pid
        if pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, STOP_TIMEOUT):
                self.kill()
        self._proc = None

    def kill(self):
        """SIGKILL the server (simulates a crash)."""
        pid = self.pid
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid, 10)
        self._proc = None

    def restart(self):
        self.stop()
        return self.start()

    # ----- SQL ------------------------------------------------------------
    def root_connect(self, db=None, **kw):
        return pymysql.connect(unix_socket=self.socket, user="root", password="", database=db,
                               charset="utf8mb4", autocommit=True, connect_timeout=5, **kw)

    def connect(self, user=APP_USER, password=APP_PASSWORD, db=None, **kw):
        """pymysql connection over TCP (autocommit on, utf8mb4)."""
        kw.setdefault("charset", "utf8mb4")
        kw.setdefault("autocommit", True)
        kw.setdefault("connect_timeout", 5)
        return pymysql.connect(host=LOOPBACK, port=self.port, user=user, password=password,
                               database=db, **kw)

    def sql(self, statement, db=None, root=True):
        """Run one statement (as root over the socket by default); returns all rows (or [])."""
        conn = self.root_connect(db) if root else self.connect(db=db)
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return list(cur.fetchall())
        finally:
            conn.close()

    def _provision(self):
        # With a binlog, provisioning stays local (not replicated, no GTID of its own).
        stmts = ["SET SESSION sql_log_bin=0"] if self.log_bin else []
        stmts += [
            "CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4",
            "CREATE DATABASE IF NOT EXISTS sbtest CHARACTER SET utf8mb4",
        ]
        for host in ("127.0.0.1", "localhost"):
            user = f"'{APP_USER}'@'{host}'"
            stmts += [
                f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY '{APP_PASSWORD}'",
                f"GRANT ALL PRIVILEGES ON *.* TO {user}",
                f"REVOKE SUPER, READ_ONLY ADMIN ON *.* FROM {user}",
            ]
        conn = self.root_connect()
        try:
            with conn.cursor() as cur:
                for s in stmts:
                    cur.execute(s)
        finally:
            conn.close()

    def __repr__(self):
        return f"MariaDBServer({self.name!r}, port={self.port}, dir={self.dir!r})"
