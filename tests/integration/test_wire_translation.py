#!/usr/bin/python3
"""Differential wire-level test of the response translation. A minimal raw client logs in with
every combination of CLIENT_DEPRECATE_EOF and CLIENT_SESSION_TRACK, runs the same statements
through ShardGate and directly against MariaDB, and compares the packet sequences: kinds
(column count, column definition, EOF, row, OK, OK-as-EOF, ERR), sequence ids and status flags
must be the same. Session-state reports are compared by entry: ShardGate's backends track
every variable, so a client may see more entries than the server alone would send, but
every entry the server sends must be there with the same value."""
import hashlib
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, start_proxy  # noqa: E402

LONG_PASSWORD, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS = 1, 8, 1 << 9, 1 << 13
SECURE_CONNECTION, MULTI_STATEMENTS, MULTI_RESULTS = 1 << 15, 1 << 16, 1 << 17
PLUGIN_AUTH, SESSION_TRACK, DEPRECATE_EOF = 1 << 19, 1 << 23, 1 << 24
MORE_RESULTS, SESSION_STATE_CHANGED = 0x0008, 0x4000


def session_entries(block):
    """Parses a session-state block into a set of (type, payload) entries."""
    entries, pos = set(), 0
    while pos < len(block):
        kind = block[pos]
        size, pos = lenenc(block, pos + 1)
        entries.add((kind, block[pos:pos + size]))
        pos += size
    return entries


def lenenc(data, pos):
    first = data[pos]
    if first < 251:
        return first, pos + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(data[pos + 1:pos + 1 + size], "little"), pos + 1 + size


class RawClient:
    def __init__(self, port, flags):
        self.sock = socket.create_connection((LOOPBACK, port), timeout=10)
        self.flags = flags
        greeting = self.read()[1]
        pos = greeting.index(b"\0", 1) + 1 + 4
        scramble = greeting[pos:pos + 8]
        pos += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        scramble += greeting[pos:pos + 12]
        stage1 = hashlib.sha1(b"app").digest()
        mix = hashlib.sha1(scramble + hashlib.sha1(stage1).digest()).digest()
        auth = bytes(a ^ b for a, b in zip(stage1, mix))
        caps = (LONG_PASSWORD | CONNECT_WITH_DB | PROTOCOL_41 | TRANSACTIONS | SECURE_CONNECTION
                | MULTI_STATEMENTS | MULTI_RESULTS | PLUGIN_AUTH | flags)
        body = (struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + b"app\0" + bytes([len(auth)]) + auth
                + b"shop\0" + b"mysql_native_password\0")
        self.send(body, 1)
        seq, reply = self.read()
        if reply[0] != 0:
            raise AssertionError(f"login failed: {reply!r}")

    def send(self, payload, seq=0):
        self.sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)

    def read(self):
        header = b""
        while len(header) < 4:
            chunk = self.sock.recv(4 - len(header))
            if not chunk:
                raise EOFError("connection closed")
            header += chunk
        n = int.from_bytes(header[:3], "little")
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("connection closed")
            data += chunk
        return header[3], data

    def ok_fields(self, data):
        """(status, session-state block) of an OK packet under this client's flags."""
        _, pos = lenenc(data, 1)
        _, pos = lenenc(data, pos)
        status = struct.unpack_from("<H", data, pos)[0]
        pos += 4
        state = b""
        if self.flags & SESSION_TRACK and pos < len(data):
            info_len, pos = lenenc(data, pos)
            pos += info_len
            if status & SESSION_STATE_CHANGED:
                state_len, pos = lenenc(data, pos)
                state = data[pos:pos + state_len]
        return status, state

    def query(self, sql):
        """Runs a COM_QUERY; returns the response as a list of (seq, kind, detail)."""
        self.send(b"\x03" + sql.encode())
        out = []
        state = "start"
        columns = 0
        while True:
            seq, p = self.read()
            first = p[0]
            if first == 0xFF:
                out.append((seq, "ERR", struct.unpack_from("<H", p, 1)[0]))
                return out
            if state == "start":
                if first == 0x00:
                    status, block = self.ok_fields(p)
                    out.append((seq, "OK", status, session_entries(block)))
                    if not status & MORE_RESULTS:
                        return out
                    continue
                columns, _ = lenenc(p, 0)
                out.append((seq, "COLUMNS", columns))
                state = "defs"
            elif state == "defs":
                out.append((seq, "DEF"))
                columns -= 1
                if columns == 0:
                    state = "rows" if self.flags & DEPRECATE_EOF else "defs_eof"
            elif state == "defs_eof":
                assert first == 0xFE and len(p) < 9, p
                out.append((seq, "EOF", struct.unpack_from("<H", p, 3)[0]))
                state = "rows"
            elif first == 0xFE and len(p) < 0xFFFFFF:  # end of rows
                if self.flags & DEPRECATE_EOF:
                    status, block = self.ok_fields(p)
                    out.append((seq, "OK_EOF", status, session_entries(block)))
                else:
                    assert len(p) < 9, p
                    status = struct.unpack_from("<H", p, 3)[0]
                    out.append((seq, "EOF", status))
                if not status & MORE_RESULTS:
                    return out
                state = "start"
            else:
                out.append((seq, "ROW", p))

    def close(self):
        self.send(b"\x01")
        self.sock.close()


STATEMENTS = [
    "SELECT 1 AS a, NULL AS b UNION ALL SELECT 2, 'x'",
    "SELECT 1; DO 0; SELECT 'two', 3",
    "USE shop",
    "SET NAMES latin1",
    "SET time_zone = '+01:00'",
    "SELECT nope FROM nowhere",
    "BEGIN",
    "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'shop'",
    "COMMIT",
    "SELECT seq FROM seq_1_to_300",
]


@unittest.skipIf(DIRECT, "compares the proxy with the server")
class WireTranslationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = fixture_servers()
        cls.proxy = start_proxy("wire", {s.name: f"{LOOPBACK}:{s.port}" for s in cls.servers},
                                default_cluster=cls.servers[0].name)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop_and_check()

    def run_all(self, port, flags):
        client = RawClient(port, flags)
        try:
            return [client.query(sql) for sql in STATEMENTS]
        finally:
            client.close()

    def test_every_capability_combination_matches_the_server(self):
        for flags in (0, DEPRECATE_EOF, SESSION_TRACK, DEPRECATE_EOF | SESSION_TRACK):
            with self.subTest(deprecate_eof=bool(flags & DEPRECATE_EOF), session_track=bool(flags & SESSION_TRACK)):
                direct = self.run_all(self.servers[0].port, flags)
                proxied = self.run_all(self.proxy.port, flags)
                for sql, want, got in zip(STATEMENTS, direct, proxied):
                    self.assertEqual(len(got), len(want), f"{sql!r} with flags {flags:#x}: {got} vs {want}")
                    for g, w in zip(got, want):
                        if w[1] in ("OK", "OK_EOF"):
                            self.assertEqual(g[:3], w[:3], f"{sql!r} with flags {flags:#x}")
                            self.assertLessEqual(w[3], g[3], f"{sql!r}: session entries missing")
                        else:
                            self.assertEqual(g, w, f"{sql!r} with flags {flags:#x}")

    def test_session_state_is_reported_when_asked_for(self):
        client = RawClient(self.proxy.port, SESSION_TRACK | DEPRECATE_EOF)
        try:
            (seq, kind, status, block), = client.query("USE mysql")
            self.assertEqual(kind, "OK")
            self.assertTrue(status & SESSION_STATE_CHANGED)
            self.assertIn((1, b"\x05mysql"), block)  # SESSION_TRACK_SCHEMA
        finally:
            client.close()
        client = RawClient(self.proxy.port, 0)
        try:
            (seq, kind, status, block), = client.query("USE mysql")
            self.assertFalse(status & SESSION_STATE_CHANGED, "a client without tracking sees no flag")
        finally:
            client.close()


if __name__ == "__main__":
    main()
