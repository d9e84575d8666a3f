// Node mysql2 through ShardGate (port from SG_PORT). Run via run_node_tests.py.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const mysql = require('mysql2/promise');

const base = {
  host: '127.0.0.1',
  port: Number(process.env.SG_PORT || 6033),
  user: 'app',
  password: 'app',
  charset: 'utf8mb4',
  connectTimeout: 10000,
};
const KOREAN = '서울 강남점 주문 — 포장 부탁해요 🎁';

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} hung for ${ms} ms`)), ms); });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

test('query() CRUD, NULLs and utf8mb4 text', async () => {
  const c = await mysql.createConnection({ ...base, database: 'shop' });
  try {
    await c.query('DROP TABLE IF EXISTS nm_crud');
    await c.query('CREATE TABLE nm_crud (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(12,2)) DEFAULT CHARSET=utf8mb4');
    const [ins] = await c.query('INSERT INTO nm_crud (name, amount) VALUES ?', [[['a', 1.5], [KOREAN, 2], [null, null]]]);
    assert.equal(ins.affectedRows, 3);
    assert.equal(ins.insertId, 1);
    const [upd] = await c.query('UPDATE nm_crud SET amount = amount * 10 WHERE amount IS NOT NULL');
    assert.equal(upd.affectedRows, 2);
    const [del] = await c.query('DELETE FROM nm_crud WHERE name = ?', ['a']);
    assert.equal(del.affectedRows, 1);
    const [rows, fields] = await c.query('SELECT id, name, amount FROM nm_crud ORDER BY id');
    assert.deepEqual(fields.map((f) => f.name), ['id', 'name', 'amount']);
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { id: 2, name: KOREAN, amount: '20.00' },
      { id: 3, name: null, amount: null },
    ]);
  } finally {
    await c.end();
  }
});

test('multi-row result and session state', async () => {
  const c = await mysql.createConnection(base);
  try {
    await c.query('USE shop');
    const [[db]] = await c.query('SELECT DATABASE() AS db');
    assert.equal(db.db, 'shop');
    const [rows] = await c.query('SELECT seq FROM seq_1_to_3000');
    assert.equal(rows.length, 3000);
    assert.equal(rows.reduce((s, r) => s + r.seq, 0), 3000 * 3001 / 2);
  } finally {
    await c.end();
  }
});

test('SQL error is reported and the connection stays usable', async () => {
  const c = await mysql.createConnection(base);
  try {
    await assert.rejects(c.query('SELEC 1'), (e) => e.errno === 1064 && e.sqlState === '42000');
    const [[r]] = await c.query("SELECT 'ok' AS v");
    assert.equal(r.v, 'ok');
  } finally {
    await c.end();
  }
});

test('execute() works or fails cleanly (no hang)', async () => {
  const c = await mysql.createConnection(base);
  try {
    try {
      const [rows] = await withTimeout(c.execute('SELECT ? + 1 AS v', [41]), 10000, 'execute()');
      assert.equal(Number(rows[0].v), 42);
    } catch (e) {
      assert.ok(Number.isInteger(e.errno), `execute() failed without a server error: ${e}`);
    }
    const [[r]] = await withTimeout(c.query('SELECT 7 AS v'), 10000, 'query() after execute()');
    assert.equal(r.v, 7);
  } finally {
    await c.end();
  }
});

test('pool with concurrent queries', async () => {
  const pool = mysql.createPool({ ...base, connectionLimit: 10 });
  try {
    const jobs = Array.from({ length: 300 }, (_, i) => pool.query('SELECT ? AS v', [i]).then(([r]) => r[0].v));
    const values = await withTimeout(Promise.all(jobs), 60000, 'pool queries');
    assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => i));
  } finally {
    await pool.end();
  }
});

test('wrong password is rejected with 1045', async () => {
  await assert.rejects(mysql.createConnection({ ...base, password: 'wrong' }), (e) => e.errno === 1045);
});
