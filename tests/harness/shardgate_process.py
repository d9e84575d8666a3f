"""Run the ShardGate binary as a child process with a generated YAML config."""
import json
import os
import signal
import subprocess
import time

from .netutil import LOOPBACK, REPO_ROOT, port_accepts, tail

START_TIMEOUT = 30
STOP_TIMEOUT = 15


def default_binary():
    """$SHARDGATE_BIN, else <repo>/build/shardgate."""
    return os.environ.get("SHARDGATE_BIN") or os.path.join(REPO_ROOT, "build", "shardgate")


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v), ensure_ascii=False)  # JSON strings are valid YAML double-quoted scalars


def to_yaml(value, indent=0):
    """Tiny block-style YAML emitter for dicts/lists/scalars (enough for ShardGate configs)."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, (dict, list)) else '{}' if isinstance(v, dict) else '[]'}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 1).splitlines()
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines.extend(body[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


def make_config(port, admin_port, clusters, default_cluster=None, users=None, level="info", schemas=None,
                transactions=None, routing=None, top=None, **listen_extra):
    """Build a config dict. `clusters` maps name -> "127.0.0.1:PORT" (writer) or a full dict;
    `top`: more top-level sections (merged over the built ones, e.g. reload or logging)."""
    cl = {}
    for name, c in clusters.items():
        cl[name] = c if isinstance(c, dict) else {"writer": c, "user": "app", "password": "app"}
    listen = {"address": LOOPBACK, "port": port, "workers": 2}
    listen.update(listen_extra)
    cfg = {
        "listen": listen,
        "admin": {"address": LOOPBACK, "port": admin_port},
        "users": users or [{"name": "app", "password": "app"}],
        "clusters": cl,
        "default_cluster": default_cluster or next(iter(cl)),
        "logging": {"level": level},
    }
    if schemas:
        cfg["schemas"] = schemas
    if transactions:
        cfg["transactions"] = transactions
    if routing:
        cfg["routing"] = routing
    for key, section in (top or {}).items():
        if isinstance(section, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = dict(cfg[key], **section)
        else:
            cfg[key] = section
    return cfg


class ShardGate:
    """ShardGate child process. `config` is a dict (see make_config) or YAML text."""

    def __init__(self, config, workdir, binary=None, name="shardgate"):
        self.binary = binary or default_binary()
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.config_path = os.path.join(self.workdir, f"{name}.yaml")
        self.log_path = os.path.join(self.workdir, f"{name}.log")
        text = config if isinstance(config, str) else to_yaml(config) + "\n"
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text)
        self.config = config if isinstance(config, dict) else None
        self.port = self.config["listen"]["port"] if self.config else None
        admin = (self.config or {}).get("admin") or {}
        self.admin_port = admin.get("port") if admin.get("enabled", True) else None
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=START_TIMEOUT, env=None):
        """Start and wait (bounded) until the MySQL port - and the admin port, when one is
        configured - accept TCP connections (the two listeners open one after the other).
        `env`: extra environment variables for the process."""
        if not os.access(self.binary, os.X_OK):
            raise FileNotFoundError(f"ShardGate binary not found: {self.binary} (set SHARDGATE_BIN)")
        if self.port and port_accepts(self.port):
            # Another process (a proxy left over from an earlier run?) holds the port: the
            # new one could not bind, and the checks below would talk to the old one.
            raise RuntimeError(f"port {self.port} is already in use; is another shardgate running?")
        log = open(self.log_path, "wb")  # fresh log per start
        self.proc = subprocess.Popen([self.binary, "--config", self.config_path], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     env=dict(os.environ, **(env or {})))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"shardgate exited with {self.proc.returncode}; log:\n{tail(self.log_path)}")
            if self.port and port_accepts(self.port) and (
                    not self.admin_port or port_accepts(self.admin_port)):
                return self
            time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"shardgate not listening on {self.port} after {timeout}s; log:\n{tail(self.log_path)}")

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, bounded wait, then SIGKILL. Returns the exit code."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                         "free(): invalid", "double free", "Segmentation fault")

    def stop_and_check(self, timeout=STOP_TIMEOUT):
        """Graceful stop that must succeed: exit code 0 and no sanitizer/allocator report in
        the log. Raises AssertionError (with the log tail) otherwise."""
        code = self.stop(timeout)
        text = self.log_text()
        bad = [m for m in self.SANITIZER_MARKERS if m in text]
        if code != 0 or bad:
            raise AssertionError(f"shardgate exited with {code}{' and logged ' + ', '.join(bad) if bad else ''};"
                                 f" log tail:\n{tail(self.log_path, 60)}")
        return code

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
