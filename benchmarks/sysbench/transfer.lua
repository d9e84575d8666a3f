-- A transfer between two accounts in one transaction (issue 5's XA benchmark), for sysbench:
--   sysbench benchmarks/sysbench/transfer.lua --accounts=N --same_shard=0|1 ... run
-- Accounts 0..N-1; with 2 shards by `id % 2`, same_shard=0 moves between an even and an odd
-- account (two shards), same_shard=1 between two even or two odd ones (one shard).
sysbench.cmdline.options = {
  accounts = {"number of accounts", 10000},
  same_shard = {"1: both accounts on one shard", 0},
}

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
end

function thread_done()
  con:disconnect()
end

function event()
  local n = sysbench.opt.accounts
  local a = sysbench.rand.uniform(0, n - 3)
  local b
  if sysbench.opt.same_shard == 1 then b = a + 2 else b = a + 1 end
  con:query("BEGIN")
  con:query(string.format("UPDATE accounts SET balance = balance - 1 WHERE id = %d", a))
  con:query(string.format("UPDATE accounts SET balance = balance + 1 WHERE id = %d", b))
  con:query("COMMIT")
end
