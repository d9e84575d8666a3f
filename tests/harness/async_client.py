"""A minimal asyncio MySQL client (text protocol, mysql_native_password) for tests and
benchmarks that need thousands of concurrent connections from one Python process, where a
thread per PyMySQL connection would be the bottleneck. Login and COM_QUERY only."""
import asyncio
import hashlib
import struct

CLIENT_LONG_PASSWORD = 1
CLIENT_CONNECT_WITH_DB = 8
CLIENT_PROTOCOL_41 = 512
CLIENT_TRANSACTIONS = 8192
CLIENT_SECURE_CONNECTION = 32768
CLIENT_MULTI_RESULTS = 1 << 17
CLIENT_PLUGIN_AUTH = 1 << 19
UTF8MB4_GENERAL_CI = 45


class MySQLError(Exception):
    def __init__(self, code, message):
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message


def native_password(password, scramble):
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(scramble + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


def lenenc(data, pos):
    """(value, new_pos) of the length-encoded integer at data[pos]; value None for NULL."""
    first = data[pos]
    if first < 251:
        return first, pos + 1
    if first == 0xFB:
        return None, pos + 1
    if first == 0xFC:
        return struct.unpack_from("<H", data, pos + 1)[0], pos + 3
    if first == 0xFD:
        return int.from_bytes(data[pos + 1:pos + 4], "little"), pos + 4
    return struct.unpack_from("<Q", data, pos + 1)[0], pos + 9


def error_of(packet):
    code = struct.unpack_from("<H", packet, 1)[0]
    text = packet[3:]
    if text[:1] == b"#":
        text = text[6:]
    return MySQLError(code, text.decode(errors="replace"))


class Connection:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.seq = 0

    async def read_packet(self):
        header = await self.reader.readexactly(4)
        length = int.from_bytes(header[:3], "little")
        self.seq = (header[3] + 1) & 0xFF
        payload = await self.reader.readexactly(length)
        if length == 0xFFFFFF:
            payload += await self.read_packet()
        return payload

    def send_packet(self, payload):
        self.writer.write(len(payload).to_bytes(3, "little") + bytes([self.seq]) + payload)
        self.seq = (self.seq + 1) & 0xFF

    async def login(self, user, password, db=None):
        hs = await self.read_packet()
        if hs[0] == 0xFF:
            raise error_of(hs)
        pos = hs.index(b"\0", 1) + 1 + 4  # server version, connection id
        scramble = hs[pos:pos + 8]
        pos += 8 + 1 + 2 + 1 + 2 + 2  # filler, caps low, charset, status, caps high
        auth_len = hs[pos]
        pos += 1 + 10
        scramble += hs[pos:pos + max(13, auth_len - 8) - 1]
        caps = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
                | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | (CLIENT_CONNECT_WITH_DB if db else 0))
        auth = native_password(password, scramble)
        out = struct.pack("<IIB23x", caps, 1 << 24, UTF8MB4_GENERAL_CI) + user.encode() + b"\0"
        out += bytes([len(auth)]) + auth
        if db:
            out += db.encode() + b"\0"
        out += b"mysql_native_password\0"
        self.send_packet(out)
        await self.writer.drain()
        reply = await self.read_packet()
        if reply[0] == 0xFE:  # auth switch: answer with the new scramble
            plugin_end = reply.index(b"\0", 1)
            self.send_packet(native_password(password, reply[plugin_end + 1:].rstrip(b"\0")))
            await self.writer.drain()
            reply = await self.read_packet()
        if reply[0] == 0xFF:
            raise error_of(reply)

    async def query(self, sql):
        """Runs one statement; returns its rows (lists of str/None; [] for OK)."""
        self.seq = 0
        self.send_packet(b"\x03" + sql.encode())
        await self.writer.drain()
        first = await self.read_packet()
        if first[0] == 0xFF:
            raise error_of(first)
        if first[0] == 0x00:
            return []
        columns, _ = lenenc(first, 0)
        for _ in range(columns):
            await self.read_packet()
        await self.read_packet()  # EOF after the column definitions
        rows = []
        while True:
            p = await self.read_packet()
            if p[0] == 0xFE and len(p) < 9:
                return rows
            if p[0] == 0xFF:
                raise error_of(p)
            row, pos = [], 0
            for _ in range(columns):
                n, pos = lenenc(p, pos)
                if n is None:
                    row.append(None)
                else:
                    row.append(p[pos:pos + n].decode())
                    pos += n
            rows.append(row)

    def close(self):
        try:
            self.seq = 0
            self.send_packet(b"\x01")  # COM_QUIT
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        self.writer.close()


async def connect(host, port, user="app", password="app", db=None, timeout=30):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    conn = Connection(reader, writer)
    await asyncio.wait_for(conn.login(user, password, db), timeout)
    return conn
