"""ProxySQL 2.7.2 as a side-by-side peer for benchmarks (built outside the project by
../shared/peers/proxysql/build.sh; never committed).

    peer = ProxySQL(listen_port, backend_port, workdir, user="app", password="app").start()
    ... peer.port, peer.pid ...
    peer.stop()

Like ../shared/peers/proxysql/start.sh: foreground mode (-f, no angel fork, so the pid is the
process that serves), a fresh datadir per start (--initial), one hostgroup with the one
backend, mysql-threads as given (2 = ShardGate's default worker count on this machine),
monitor on. With `tls=` (a dict of ca, cert, key file names) the front end speaks TLS with
that certificate (copied to the datadir names ProxySQL reads: proxysql-ca.pem,
proxysql-cert.pem, proxysql-key.pem), the user is `use_ssl=1` (a plain client is refused)
and the backend leg is TLS (mysql_servers.use_ssl=1, ssl_p2s_ca = the CA); user_ssl=False /
backend_ssl=False keep TLS optional for the client / off on the backend leg.

The binary: $PROXYSQL_BIN, else $PEERS/proxysql/src/src/proxysql (PEERS defaults to
/tmp/peers, as build.sh's default on this machine).
"""
import os
import shutil
import socket
import subprocess
import time


def binary():
    return os.environ.get("PROXYSQL_BIN") or os.path.join(
        os.environ.get("PEERS", "/tmp/peers"), "proxysql", "src", "src", "proxysql")


def available():
    return os.access(binary(), os.X_OK)


class ProxySQL:
    def __init__(self, port, backend_port, workdir, user="app", password="app", schema="sbtest",
                 threads=2, tls=None, max_connections=1000, user_ssl=None, backend_ssl=None):
        self.port, self.backend_port, self.workdir = port, backend_port, workdir
        self.user, self.password, self.schema = user, password, schema
        self.threads, self.tls, self.max_connections = threads, tls, max_connections
        # with tls: the user must use TLS and the backend leg is TLS, unless told otherwise
        self.user_ssl = int(bool(tls) if user_ssl is None else user_ssl)
        self.backend_ssl = int(bool(tls) if backend_ssl is None else backend_ssl)
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def _config(self, data):
        tls_vars = ""
        if self.tls:
            tls_vars = f'    have_ssl=true\n    ssl_p2s_ca="{self.tls["ca"]}"\n'
        return f"""datadir="{data}"
errorlog="{data}/proxysql.log"
admin_variables=
{{
    admin_credentials="admin:admin"
    mysql_ifaces="127.0.0.1:{self.port + 1}"
    web_enabled=false
    restapi_enabled=false
}}
mysql_variables=
{{
    threads={self.threads}
    max_connections=4096
    interfaces="127.0.0.1:{self.port}"
    default_schema="{self.schema}"
    monitor_username="{self.user}"
    monitor_password="{self.password}"
    monitor_enabled=true
{tls_vars}}}
mysql_servers=
(
    {{ address="127.0.0.1", port={self.backend_port}, hostgroup=0, max_connections={self.max_connections}, use_ssl={self.backend_ssl} }}
)
mysql_users=
(
    {{ username="{self.user}", password="{self.password}", default_hostgroup=0, default_schema="{self.schema}", active=1, use_ssl={self.user_ssl} }}
)
"""

    def start(self, timeout=30):
        if not available():
            raise FileNotFoundError(f"ProxySQL binary not found: {binary()} (build it with "
                                    "../shared/peers/proxysql/build.sh, or set PROXYSQL_BIN)")
        shutil.rmtree(self.workdir, ignore_errors=True)
        data = os.path.join(self.workdir, "data")
        os.makedirs(data)
        if self.tls:
            for src, dst in (("ca", "proxysql-ca.pem"), ("cert", "proxysql-cert.pem"),
                             ("key", "proxysql-key.pem")):
                shutil.copyfile(self.tls[src], os.path.join(data, dst))
        cnf = os.path.join(self.workdir, "proxysql.cnf")
        with open(cnf, "w") as f:
            f.write(self._config(data))
        self.log = open(os.path.join(self.workdir, "stdout.log"), "w")
        self.proc = subprocess.Popen([binary(), "-f", "--initial", "-c", cnf, "-D", data],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ProxySQL exited with {self.proc.returncode}; see {self.log.name}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"ProxySQL did not open 127.0.0.1:{self.port} in {timeout}s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
