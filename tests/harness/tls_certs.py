"""Throw-away X.509 material for TLS tests, made with the openssl command line.

make_pki(dir) writes, under `dir`:
  ca.pem / ca.key            a self-signed test CA
  server.pem / server.key    signed by it, SAN IP:127.0.0.1 and DNS:localhost
  client.pem / client.key    a client certificate signed by it (CN=app)
  other-ca.pem / other-ca.key  an unrelated CA (what "wrong CA" tests verify against)
  wrongname.pem / wrongname.key  signed by ca.pem, SAN DNS:elsewhere.invalid only
and returns a dict of those paths. `renew_server(pki)` re-issues server.pem/server.key
in place (new key, new serial) and returns the new certificate's SHA-256 fingerprint.
"""
import os
import subprocess


def _run(*args, cwd=None):
    res = subprocess.run(["openssl", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if res.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{res.stdout.decode(errors='replace')}")
    return res.stdout.decode(errors="replace")


def _ca(d, name, cn):
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-sha256",
         "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.pem",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         cwd=d)


def _leaf(d, name, cn, ca, san, usage):
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        f.write(f"extendedKeyUsage={usage}\n")
        if san:
            f.write(f"subjectAltName={san}\n")
    _run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
         "-out", f"{name}.csr", cwd=d)
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "825", "-sha256", "-extfile", ext, "-out", f"{name}.pem", cwd=d)
    os.chmod(os.path.join(d, f"{name}.key"), 0o600)


def make_pki(d):
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    _ca(d, "ca", "ShardGate test CA")
    _ca(d, "other-ca", "Unrelated test CA")
    _leaf(d, "server", "localhost", "ca", "IP:127.0.0.1,DNS:localhost", "serverAuth")
    _leaf(d, "client", "app", "ca", None, "clientAuth")
    _leaf(d, "wrongname", "elsewhere.invalid", "ca", "DNS:elsewhere.invalid", "serverAuth")
    names = ("ca", "other-ca", "server", "client", "wrongname")
    pki = {"dir": d}
    for n in names:
        pki[n.replace("-", "_")] = os.path.join(d, f"{n}.pem")
        pki[n.replace("-", "_") + "_key"] = os.path.join(d, f"{n}.key")
    return pki


def fingerprint(cert_path):
    """SHA-256 fingerprint of a PEM certificate, as 'AA:BB:...'."""
    out = _run("x509", "-in", cert_path, "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


def renew_server(pki):
    """Re-issue server.pem/server.key in place; returns the new fingerprint."""
    _leaf(pki["dir"], "server", "localhost", "ca", "IP:127.0.0.1,DNS:localhost", "serverAuth")
    return fingerprint(pki["server"])


def served_fingerprint(port, ca):
    """Fingerprint of the certificate a MySQL-protocol server on 127.0.0.1:port presents
    after STARTTLS (openssl s_client -starttls mysql)."""
    res = subprocess.run(["openssl", "s_client", "-starttls", "mysql", "-connect", f"127.0.0.1:{port}",
                          "-CAfile", ca], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=30)
    text = res.stdout.decode(errors="replace")
    begin, end = text.find("-----BEGIN CERTIFICATE-----"), text.find("-----END CERTIFICATE-----")
    if begin < 0 or end < 0:
        raise RuntimeError(f"no certificate from port {port}:\n{text[-2000:]}")
    pem = text[begin:end + len("-----END CERTIFICATE-----")] + "\n"
    res = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem.encode(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return res.stdout.decode().strip().split("=", 1)[1]
