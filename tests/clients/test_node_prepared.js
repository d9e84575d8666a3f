// Node mysql2 execute() (server-side prepared statements, binary protocol) through ShardGate
// on a sharded schema. Run via run_node_tests.py: SG_PS_PORT is a ShardGate whose schema
// `pstest` shards ps_orders by order number over the servers in SG_SHARD_PORTS (the first
// two before 2026-12-01, all four from then on), with small pools (2 connections per shard)
// so that statements must survive multiplexing. SG_DIRECT=1: one plain MariaDB instead.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const mysql = require('mysql2/promise');

const DIRECT = process.env.SG_DIRECT === '1';
const SHARDS = (process.env.SG_SHARD_PORTS || '').split(',').filter(Boolean).map(Number);
const base = {
  host: '127.0.0.1',
  port: Number(process.env.SG_PS_PORT || 6033),
  user: 'app',
  password: 'app',
  database: 'pstest',
  charset: 'utf8mb4',
  connectTimeout: 10000,
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
};
const CUTOVER = '20261201';

function orderNo(day, seq) {
  return `ORD${day}${String(seq).padStart(8, '0')}`;
}
function expectedShard(no) {
  const day = no.slice(3, 11);
  const seq = Number(no.slice(11));
  return day >= CUTOVER ? seq % 4 : seq % 2;
}

const ORDERS = [];
for (let i = 1; i <= 120; i++) {
  const day = i % 3 === 0 ? '20261115' : (i % 3 === 1 ? '20261201' : '20261224');
  ORDERS.push({
    order_no: orderNo(day, i),
    member_id: i % 7,
    amount: `${(i * 13.57).toFixed(2)}`,
    note: i % 5 === 0 ? null : `메모 ${i} 'quote' \\ back`,
    created: `2026-11-${String(10 + (i % 18)).padStart(2, '0')} 10:${String(i % 60).padStart(2, '0')}:00.${String(i * 1111).padStart(6, '0').slice(0, 6)}`,
  });
}

const TYPE_COLUMNS = 'order_no, ti, si, mi, bi, bu, db, de, d, dt, ts, t, y, s, b, bl, e, bits, j';
let conn;
test.before(async () => {
  conn = await mysql.createConnection(base);
  await conn.query('DROP TABLE IF EXISTS ps_orders');
  await conn.query(`CREATE TABLE ps_orders (
    order_no VARCHAR(20) PRIMARY KEY, member_id INT NOT NULL, amount DECIMAL(12,2),
    note VARCHAR(100), created DATETIME(6)) DEFAULT CHARSET=utf8mb4`);
  await conn.query('DROP TABLE IF EXISTS ps_types');
  await conn.query(`CREATE TABLE ps_types (
    order_no VARCHAR(20) PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT,
    bi BIGINT, bu BIGINT UNSIGNED, db DOUBLE, de DECIMAL(30,10), d DATE, dt DATETIME(6),
    ts TIMESTAMP(3) NULL, t TIME(6), y YEAR, s VARCHAR(40), b VARBINARY(20), bl BLOB,
    e ENUM('x','y','z'), bits BIT(12), j JSON) DEFAULT CHARSET=utf8mb4`);
});
test.after(async () => { await conn.end(); });

test('keyed prepared INSERTs land on the shard of their key', async () => {
  for (const o of ORDERS) {
    const [r] = await conn.execute(
      'INSERT INTO ps_orders (order_no, member_id, amount, note, created) VALUES (?, ?, ?, ?, ?)',
      [o.order_no, o.member_id, o.amount, o.note, o.created]);
    assert.equal(r.affectedRows, 1);
  }
  if (DIRECT) return;
  for (let s = 0; s < SHARDS.length; s++) {
    const d = await mysql.createConnection({ ...base, port: SHARDS[s] });
    const [rows] = await d.query('SELECT order_no FROM ps_orders ORDER BY order_no');
    await d.end();
    const want = ORDERS.filter((o) => expectedShard(o.order_no) === s).map((o) => o.order_no).sort();
    assert.deepEqual(rows.map((r) => r.order_no), want, `shard ${s}`);
  }
});

test('keyed prepared SELECT / UPDATE / DELETE by the bound key', async () => {
  for (const o of ORDERS.slice(0, 30)) {
    const [rows] = await conn.execute(
      'SELECT order_no, member_id, amount, note, created FROM ps_orders WHERE order_no = ?', [o.order_no]);
    assert.deepEqual(rows, [o]);
  }
  const victim = ORDERS[10];
  let [r] = await conn.execute('UPDATE ps_orders SET note = ? WHERE order_no = ?', ['updated', victim.order_no]);
  assert.equal(r.affectedRows, 1);
  [r] = await conn.execute('DELETE FROM ps_orders WHERE order_no = ?', [ORDERS[11].order_no]);
  assert.equal(r.affectedRows, 1);
  const [rows] = await conn.execute('SELECT note FROM ps_orders WHERE order_no IN (?, ?)',
    [victim.order_no, ORDERS[11].order_no]);
  assert.deepEqual(rows, [{ note: 'updated' }]);
  // Put them back for the merged reads below.
  await conn.execute('UPDATE ps_orders SET note = ? WHERE order_no = ?', [victim.note, victim.order_no]);
  const o = ORDERS[11];
  await conn.execute(
    'INSERT INTO ps_orders (order_no, member_id, amount, note, created) VALUES (?, ?, ?, ?, ?)',
    [o.order_no, o.member_id, o.amount, o.note, o.created]);
});

test('a key bound as a Buffer (BLOB type) routes by its bytes', async () => {
  const key = orderNo('20261201', 777);  // shard 777 % 4 = 1
  const [r] = await conn.execute('INSERT INTO ps_orders (order_no, member_id) VALUES (?, ?)',
    [Buffer.from(key), 9]);
  assert.equal(r.affectedRows, 1);
  const [rows] = await conn.execute('SELECT member_id FROM ps_orders WHERE order_no = ?', [Buffer.from(key)]);
  assert.deepEqual(rows, [{ member_id: 9 }]);
  if (!DIRECT) {
    const d = await mysql.createConnection({ ...base, port: SHARDS[1] });
    const [[n]] = await d.query('SELECT COUNT(*) AS n FROM ps_orders WHERE order_no = ?', [key]);
    await d.end();
    assert.equal(n.n, '1');
  }
  await conn.execute('DELETE FROM ps_orders WHERE order_no = ?', [key]);
});

test('prepared reads over every shard are merged and sent as binary rows', async () => {
  const sorted = [...ORDERS].sort((a, b) => (a.order_no < b.order_no ? -1 : 1));
  let [rows] = await conn.execute(
    'SELECT order_no, member_id, amount, note, created FROM ps_orders WHERE member_id >= ? ORDER BY order_no LIMIT ?, ?',
    [0, 5, 20]);
  assert.deepEqual(rows, sorted.slice(5, 25));
  [rows] = await conn.execute(
    'SELECT member_id, COUNT(*) AS n, SUM(amount) AS total, MIN(created) AS first FROM ps_orders WHERE note IS NOT NULL OR member_id > ? GROUP BY member_id ORDER BY member_id',
    [-1]);
  const groups = new Map();
  for (const o of ORDERS) {
    const g = groups.get(o.member_id) || { member_id: o.member_id, n: 0, cents: 0, first: o.created };
    g.n++;
    g.cents += Math.round(Number(o.amount) * 100);
    if (o.created < g.first) g.first = o.created;
    groups.set(o.member_id, g);
  }
  const want = [...groups.values()].sort((a, b) => a.member_id - b.member_id).map((g) => ({
    member_id: g.member_id, n: String(g.n), total: (g.cents / 100).toFixed(2), first: g.first,
  }));
  assert.deepEqual(rows, want);
  // Plain concatenation (no merge step), compared as a set.
  [rows] = await conn.execute('SELECT order_no, amount FROM ps_orders WHERE amount > ?', ['500.00']);
  assert.deepEqual(rows.map((r) => r.order_no).sort(),
    ORDERS.filter((o) => Number(o.amount) > 500).map((o) => o.order_no).sort());
});

test('every column type reads the same merged (text on the shards) as keyed (binary)', async () => {
  const values = [
    [orderNo('20261201', 1001), -5, 65535, -8388608, '-9223372036854775808', '18446744073709551615',
      1.5e-300, '12345678901234567890.0123456789', '2026-12-01', '2026-12-01 23:59:59.999999',
      '2026-12-01 00:00:00.125', '-838:59:59.000000', 2026, 'text ü 한글', Buffer.from([0, 255, 39, 92]),
      Buffer.alloc(3000, 7), 'y', Buffer.from([0x0a, 0xbc]), '{"a": [1, 2]}'],
    [orderNo('20261201', 1002), 127, 0, 0, '0', '0', -0.1, '-0.0000000001', '0000-00-00',
      '0000-00-00 00:00:00.000000', null, '00:00:00.000000', 1901, '', Buffer.alloc(0),
      Buffer.alloc(0), 'x', Buffer.from([0, 0]), 'null'],
    [orderNo('20261201', 1003), null, null, null, null, null, null, null, null, null, null,
      '12:34:56.000001', null, null, null, null, null, null, null],
    [orderNo('20261201', 1004), 1, 1, 1, '1', '1', 1e21, '1', '9999-12-31', '1000-01-01 00:00:01.000000',
      '2038-01-19 03:14:07.999', '838:59:59.000000', 2155, "'", Buffer.from('x'), Buffer.from('y'), 'z',
      Buffer.from([0x0f, 0xff]), '"s"'],
  ];
  for (const v of values) {
    await conn.execute(`INSERT INTO ps_types (${TYPE_COLUMNS}) VALUES (${v.map(() => '?').join(', ')})`, v);
  }
  const [merged] = await conn.execute('SELECT * FROM ps_types WHERE ti IS NULL OR ti > ? ORDER BY order_no', [-100]);
  assert.equal(merged.length, values.length);
  for (const row of merged) {
    const [keyed] = await conn.execute('SELECT * FROM ps_types WHERE order_no = ?', [row.order_no]);
    assert.deepEqual(row, keyed[0], `row ${row.order_no}`);
  }
  const [texts] = await conn.query('SELECT * FROM ps_types ORDER BY order_no');
  assert.deepEqual(merged.map((r) => r.order_no), texts.map((r) => r.order_no));
  assert.equal(merged[0].bu, '18446744073709551615');
  assert.equal(merged[0].t, '-838:59:59');
  assert.equal(merged[0].de, '12345678901234567890.0123456789');
});

test('a statement survives multiplexing: many sessions, two backend connections per shard', async () => {
  const prepared = async () => Promise.all(SHARDS.map(async (port) => {
    const d = await mysql.createConnection({ ...base, port });
    const [[st]] = await d.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'");
    await d.end();
    return Number(st.Value);
  }));
  const before = DIRECT ? [] : await prepared();
  const sessions = await Promise.all(Array.from({ length: 12 }, () => mysql.createConnection(base)));
  try {
    await Promise.all(sessions.map(async (c, k) => {
      for (let i = 0; i < 25; i++) {
        const o = ORDERS[(k * 25 + i) % ORDERS.length];
        const [rows] = await c.execute('SELECT member_id, amount FROM ps_orders WHERE order_no = ?', [o.order_no]);
        assert.deepEqual(rows, [{ member_id: o.member_id, amount: o.amount }]);
        if (i % 5 === 0) {  // a second statement of the same session in between
          const [[n]] = await c.execute('SELECT COUNT(*) AS n FROM ps_orders WHERE member_id = ?', [o.member_id]);
          assert.equal(n.n, String(ORDERS.filter((x) => x.member_id === o.member_id).length));
        }
      }
    }));
  } finally {
    await Promise.all(sessions.map((c) => c.end()));
  }
  if (DIRECT) return;
  // Each shard's server holds the two texts once per backend connection (2 per shard), not
  // once per client session (12 sessions x 2 statements = 24).
  const after = await prepared();
  for (let k = 0; k < SHARDS.length; k++) {
    assert.ok(after[k] - before[k] <= 4, `shard ${SHARDS[k]}: ${before[k]} -> ${after[k]} statements prepared`);
  }
});

test('prepared statements in a transaction stay on its shard; another shard is refused', async () => {
  const a = orderNo('20261201', 5000);  // shard 0
  const b = orderNo('20261201', 5001);  // shard 1
  await conn.beginTransaction();
  await conn.execute('INSERT INTO ps_orders (order_no, member_id) VALUES (?, ?)', [a, 1]);
  const [rows] = await conn.execute('SELECT COUNT(*) AS n FROM ps_orders WHERE order_no = ?', [a]);
  assert.equal(rows[0].n, '1');
  if (!DIRECT) {
    await assert.rejects(conn.execute('INSERT INTO ps_orders (order_no, member_id) VALUES (?, ?)', [b, 1]),
      (e) => e.errno === 1235 && /shard/.test(e.message) && /COMMIT or ROLLBACK/.test(e.message));
  }
  // A merged read in the transaction sees its own write.
  const [all] = await conn.execute('SELECT COUNT(*) AS n FROM ps_orders WHERE member_id = ?', [1]);
  assert.equal(all[0].n, String(ORDERS.filter((o) => o.member_id === 1).length + 1));
  await conn.rollback();
  const [after] = await conn.execute('SELECT COUNT(*) AS n FROM ps_orders WHERE order_no = ?', [a]);
  assert.equal(after[0].n, '0');
});

test('errors are MySQL errors and the connection stays usable', async () => {
  await assert.rejects(conn.execute('SELECT * FROM no_such_table WHERE x = ?', [1]), (e) => e.errno === 1146);
  await assert.rejects(conn.execute('SELEC ?', [1]), (e) => e.errno === 1064);
  if (!DIRECT) {
    // No shard key: a write to every shard is not allowed for this table.
    await assert.rejects(conn.execute('UPDATE ps_orders SET note = ? WHERE member_id = ?', ['x', 1]),
      (e) => e.errno === 1235 && /shard key/.test(e.message));
    // A key that is not an order number.
    await assert.rejects(conn.execute('INSERT INTO ps_orders (order_no, member_id) VALUES (?, ?)', ['bogus', 1]),
      (e) => e.errno === 1525);
  }
  const [[r]] = await conn.execute('SELECT ? + 1 AS v', [41]);
  assert.equal(String(r.v), '42');
});
