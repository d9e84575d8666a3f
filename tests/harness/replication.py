"""A MariaDB binlog replication pair on 127.0.0.1 (one writer, one reader), as a stand-in for an
Aurora-like cluster.

    primary, replica = start_pair("aurora", 23380, 23381, basedir)
    primary.sql("CREATE TABLE shop.t (id INT PRIMARY KEY)")
    wait_caught_up(primary, replica)
    promote(replica)                       # failover: the replica becomes writable
    demote_to_replica_of(primary, replica) # the old primary rejoins as a reader

How replication is set up (and why it is robust):

* Both servers run with a binlog, ROW format, ``log_slave_updates`` and ``gtid_strict_mode``
  (``MariaDBServer(log_bin=True)``), distinct server ids (the ports).
* Everything the harness creates on a server -- the ``app`` user and its grants, the ``shop`` and
  ``sbtest`` databases, the replication user ``repl`` -- is created on *each* server with
  ``sql_log_bin=0``. So it is never replicated and neither binlog holds any GTID from it:
  the primary's binlog starts empty, the replica has no local GTIDs that could collide with the
  primary's (which ``gtid_strict_mode`` would reject as out-of-order), and re-provisioning on a
  restart cannot break anything.
* The replica connects with ``MASTER_USE_GTID=slave_pos``. Its ``gtid_slave_pos`` is empty, so it
  reads the primary's binlog from the very beginning: every statement a test runs on the primary
  after ``start_pair`` returns (``CREATE DATABASE``/``TABLE``, DML in ``shop``, ``sbtest`` or
  anywhere else) reaches the replica, without any position bookkeeping or race between
  provisioning and ``START SLAVE``. Positions are GTIDs, so promotion/rejoin needs no file/offset
  arithmetic either (``log_slave_updates`` keeps the replicated GTIDs in the replica's binlog).
* The replica runs with ``read_only=ON`` (also on its command line, so it survives a restart;
  ``promote``/``demote_to_replica_of`` keep that flag in step). ``app`` has neither ``SUPER`` nor
  ``READ_ONLY ADMIN``, so its writes there fail with error 1290; ``app`` gets ``SLAVE MONITOR``
  on both servers so it can run ``SHOW SLAVE STATUS``.

Do not write to a replica as root (root bypasses read_only): such a write gets a local GTID and,
with ``gtid_strict_mode``, stops the replica's SQL thread at the next replicated transaction.
The helpers below run as root over the unix socket unless stated otherwise.
"""
import shutil
import threading
import time

import pymysql

from .mariadb_server import APP_USER, MariaDBServer
from .netutil import LOOPBACK, pid_alive

REPL_USER = "repl"
REPL_PASSWORD = "repl"
READ_ONLY_ARG = "--read-only=ON"
SEMI_SYNC_REPLICA_ARG = "--rpl-semi-sync-slave-enabled=ON"


def _run(server, statements):
    """Run statements as root on one connection; returns the rows of the last one."""
    conn = server.root_connect()
    try:
        with conn.cursor() as cur:
            rows = []
            for s in statements:
                cur.execute(s)
                rows = list(cur.fetchall())
            return rows
    finally:
        conn.close()


def _provision_replication(server):
    """repl user + SLAVE MONITOR for app, local to this server (not binlogged)."""
    stmts = ["SET SESSION sql_log_bin=0"]
    for host in ("127.0.0.1", "localhost"):
        stmts += [
            f"CREATE USER IF NOT EXISTS '{REPL_USER}'@'{host}' IDENTIFIED BY '{REPL_PASSWORD}'",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'{host}'",
            f"GRANT SLAVE MONITOR ON *.* TO '{APP_USER}'@'{host}'",
        ]
    _run(server, stmts)


def _set_read_only_arg(server, on):
    """Keep read_only across restarts: add/remove --read-only=ON in the server's extra args."""
    server.extra_args = [a for a in server.extra_args if a != READ_ONLY_ARG]
    if on:
        server.extra_args.append(READ_ONLY_ARG)


def slave_status(server, root=True):
    """SHOW SLAVE STATUS as a dict (None if the server is not a replica). root=False: as app."""
    conn = server.root_connect() if root else server.connect()
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            return dict(row) if row else None
    finally:
        conn.close()


def _replication_error(st):
    for kind in ("IO", "SQL"):
        if st.get(f"Last_{kind}_Errno"):
            return f"{kind} thread error {st[f'Last_{kind}_Errno']}: {st.get(f'Last_{kind}_Error')}"
    return None


def wait_running(replica, timeout=30):
    """Wait until both replication threads run (Slave_IO_Running/Slave_SQL_Running = Yes)."""
    deadline = time.monotonic() + timeout
    while True:
        st = slave_status(replica)
        if st and st["Slave_IO_Running"] == "Yes" and st["Slave_SQL_Running"] == "Yes":
            return st
        err = st and _replication_error(st)
        if err and "No" in (st["Slave_SQL_Running"], st["Slave_IO_Running"]):
            raise RuntimeError(f"replication on {replica.name} failed: {err}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"replication threads on {replica.name} not running after {timeout}s: "
                               f"{st and {k: st[k] for k in ('Slave_IO_Running', 'Slave_SQL_Running')}}"
                               f" {err or ''}")
        time.sleep(0.1)


def _change_master(replica, primary, delay=0):
    _run(replica, [
        "STOP SLAVE",
        "RESET SLAVE ALL",
        f"CHANGE MASTER TO MASTER_HOST='{LOOPBACK}', MASTER_PORT={primary.port}, "
        f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{REPL_PASSWORD}', "
        f"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_DELAY={int(delay)}",
        "SET GLOBAL rpl_semi_sync_slave_enabled=ON",
        "START SLAVE",
    ])


def start_pair(name, primary_port, replica_port, basedir):
    """Start `<name>-primary` and `<name>-replica` under basedir (in parallel); returns
    (primary, replica), the replica replicating from the primary, read_only=ON, caught up."""
    # A pair starts from empty data directories: the replica replays the primary's binlog
    # from its start, which a previous run (promotions, swapped roles) would contradict.
    for role in ("primary", "replica"):
        old = MariaDBServer(f"{name}-{role}", primary_port, basedir)
        if pid_alive(old.pid):
            old.stop()
        shutil.rmtree(old.dir, ignore_errors=True)
    primary = MariaDBServer(f"{name}-primary", primary_port, basedir, log_bin=True)
    # (Semi-sync on the command line too: a restarted replica stays a semi-sync replica, as
    # it does on Aurora; set only at runtime it came back asynchronous, and the primary then
    # held every commit for rpl_semi_sync_master_timeout.)
    replica = MariaDBServer(f"{name}-replica", replica_port, basedir, log_bin=True,
                            extra_args=[READ_ONLY_ARG, SEMI_SYNC_REPLICA_ARG])
    errors = []

    def boot(server):
        try:
            server.start()
            _provision_replication(server)
        except Exception as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=boot, args=(s,)) for s in (primary, replica)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        primary.stop()
        replica.stop()
        raise errors[0]
    try:
        _change_master(replica, primary)
        wait_running(replica)
        wait_caught_up(primary, replica)
        _enable_semi_sync_primary(primary, replica)
    except Exception:
        primary.stop()
        replica.stop()
        raise
    return primary, replica


def _variable(server, name):
    """A global variable via SHOW (not SELECT, so Com_select stays untouched)."""
    rows = _run(server, [f"SHOW GLOBAL VARIABLES LIKE '{name}'"])
    return rows[0][1] if rows else None


def gtid_binlog_pos(server):
    return _variable(server, "gtid_binlog_pos")


def _gtid_seqs(pos):
    """'0-1-5,1-2-3' -> {0: 5, 1: 3} (domain -> seq_no)."""
    seqs = {}
    for gtid in filter(None, (pos or "").replace(" ", "").split(",")):
        domain, _server, seq = gtid.split("-")
        seqs[int(domain)] = int(seq)
    return seqs


def _reached(slave_pos, wanted):
    have = _gtid_seqs(slave_pos)
    return all(have.get(d, -1) >= n for d, n in _gtid_seqs(wanted).items())


def wait_caught_up(primary, replica, timeout=30):
    """Wait until the replica has applied everything in the primary's binlog at call time:
    the primary's @@gtid_binlog_pos, waited for with MASTER_GTID_WAIT on the replica and checked
    against its @@gtid_slave_pos. Raises TimeoutError, or RuntimeError as soon as the replica's
    SQL thread stops with an error. Uses only DO/SHOW statements, so it does not change Com_select
    on either server. Returns the position waited for."""
    pos = gtid_binlog_pos(primary)
    deadline = time.monotonic() + timeout
    conn = replica.root_connect(read_timeout=timeout + 10)
    try:
        with conn.cursor() as cur:
            while True:
                left = deadline - time.monotonic()
                # short waits so a broken replication thread is reported early
                cur.execute("DO MASTER_GTID_WAIT(%s, %s)", (pos, round(max(0.0, min(1.0, left)), 3)))
                cur.execute("SHOW GLOBAL VARIABLES LIKE 'gtid_slave_pos'")
                slave_pos = cur.fetchone()[1]
                if _reached(slave_pos, pos):
                    return pos
                st = slave_status(replica)
                err = st and _replication_error(st)
                if err and st["Slave_SQL_Running"] == "No":
                    raise RuntimeError(f"replica {replica.name} stopped: {err}")
                if time.monotonic() >= deadline:
                    state = st and {k: st.get(k) for k in (
                        "Slave_IO_State", "Slave_IO_Running", "Slave_SQL_Running", "Gtid_IO_Pos",
                        "Read_Master_Log_Pos", "Exec_Master_Log_Pos", "SQL_Delay")}
                    raise TimeoutError(f"replica {replica.name} did not reach {pos} in {timeout}s "
                                       f"(gtid_slave_pos={slave_pos}{', ' + err if err else ''}; "
                                       f"{state})")
    finally:
        conn.close()


def _enable_semi_sync_primary(primary, replica, timeout=10):
    """Lossless semi-sync (AFTER_SYNC) on `primary` once `replica` acknowledges: a commit is
    answered only after the replica has it, as with Aurora's shared storage no write a client
    saw committed is lost when the replica is promoted."""
    _run(primary, ["SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC",
                   "SET GLOBAL rpl_semi_sync_master_timeout=10000",
                   "SET GLOBAL rpl_semi_sync_master_enabled=ON"])
    deadline = time.monotonic() + timeout
    while True:
        rows = _run(primary, ["SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'"])
        if rows and int(rows[0][1]) >= 1:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{replica.name} never became a semi-sync replica of {primary.name}")
        time.sleep(0.05)


def promote(replica, timeout=30):
    """What a failover does: stop receiving, apply everything already received (with lossless
    semi-sync that is every transaction a client saw committed), then STOP SLAVE; RESET SLAVE
    ALL; SET GLOBAL read_only=0."""
    _run(replica, ["STOP SLAVE IO_THREAD"])
    st = slave_status(replica)
    received = st.get("Gtid_IO_Pos") if st else None
    if received:
        conn = replica.root_connect(read_timeout=timeout + 10)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (received, timeout))
                if cur.fetchone()[0] != 0:
                    raise TimeoutError(f"{replica.name} did not apply its relay log ({received})")
        finally:
            conn.close()
    _run(replica, ["STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL rpl_semi_sync_master_enabled=OFF",
                   "SET GLOBAL read_only=0"])
    _set_read_only_arg(replica, False)


def demote_to_replica_of(server, primary, timeout=30):
    """Rejoin `server` (e.g. an old primary) as a read_only replica of `primary`.

    Its replication starts from its own @@gtid_binlog_pos (it has everything up to there), so it
    must not have transactions the new primary lacks (gtid_strict_mode reports that as an error).
    """
    _run(server, ["SET GLOBAL read_only=1", "SET GLOBAL rpl_semi_sync_master_enabled=OFF",
                  "STOP SLAVE", "RESET SLAVE ALL",
                  "SET GLOBAL gtid_slave_pos=@@GLOBAL.gtid_binlog_pos"])
    _set_read_only_arg(server, True)
    _change_master(server, primary)
    wait_running(server, timeout)
    wait_caught_up(primary, server, timeout)
    _enable_semi_sync_primary(primary, server)


def set_delay(replica, seconds):
    """MASTER_DELAY=seconds (STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=N; START SLAVE)."""
    _run(replica, ["STOP SLAVE", f"CHANGE MASTER TO MASTER_DELAY={int(seconds)}", "START SLAVE"])


def stop_sql_thread(replica):
    """STOP SLAVE SQL_THREAD: events still arrive in the relay log but are not applied."""
    _run(replica, ["STOP SLAVE SQL_THREAD"])


def start_sql_thread(replica):
    _run(replica, ["START SLAVE SQL_THREAD"])


def seconds_behind(replica):
    """Seconds_Behind_Master as an int; None when NULL (threads stopped) or not a replica."""
    st = slave_status(replica)
    if not st or st.get("Seconds_Behind_Master") is None:
        return None
    return int(st["Seconds_Behind_Master"])


def com_select(server):
    """Global Com_select status counter (SELECTs the server executed), to see who served reads."""
    rows = _run(server, ["SHOW GLOBAL STATUS LIKE 'Com_select'"])
    return int(rows[0][1])
