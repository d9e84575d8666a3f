-- Point select by order number (BENCHMARKS.md run 4), for sysbench:
--   sysbench benchmarks/sysbench/order_point_select.lua --orders_per_day=N --days=D ... run
-- Orders are ORD<yyyymmdd><seq 8 digits> for D days from 2026-11-20, seq 1..N each day.
-- --prepared=on: one prepared statement per thread, executed with the order number bound
-- (server-side with --db-ps-mode=auto, as sysbench's own oltp scripts do).
sysbench.cmdline.options = {
  orders_per_day = {"sequence numbers per day", 5000},
  days = {"days of orders", 4},
  prepared = {"execute a prepared statement instead of sending the text", false},
}

local days = {}
local sql_text = "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = "

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  for d = 0, sysbench.opt.days - 1 do
    days[d + 1] = os.date("!%Y%m%d", os.time{year = 2026, month = 11, day = 20 + d, hour = 12})
  end
  if sysbench.opt.prepared then
    stmt = con:prepare(sql_text .. "?")
    param = stmt:bind_create(sysbench.sql.type.CHAR, 19)
    stmt:bind_param(param)
  end
end

function thread_done()
  if stmt then stmt:close() end
  con:disconnect()
end

function event()
  local day = days[sysbench.rand.uniform(1, sysbench.opt.days)]
  local seq = sysbench.rand.uniform(1, sysbench.opt.orders_per_day)
  if stmt then
    param:set(string.format("ORD%s%08d", day, seq))
    stmt:execute()
  else
    con:query(string.format(sql_text .. "'ORD%s%08d'", day, seq))
  end
end
