-- Point select by order number (BENCHMARKS.md run 4), for sysbench:
--   sysbench benchmarks/sysbench/order_point_select.lua --orders_per_day=N --days=D ... run
-- Orders are ORD<yyyymmdd><seq 8 digits> for D days from 2026-11-20, seq 1..N each day.
sysbench.cmdline.options = {
  orders_per_day = {"sequence numbers per day", 5000},
  days = {"days of orders", 4},
}

local days = {}

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  for d = 0, sysbench.opt.days - 1 do
    days[d + 1] = os.date("!%Y%m%d", os.time{year = 2026, month = 11, day = 20 + d, hour = 12})
  end
end

function thread_done()
  con:disconnect()
end

function event()
  local day = days[sysbench.rand.uniform(1, sysbench.opt.days)]
  local seq = sysbench.rand.uniform(1, sysbench.opt.orders_per_day)
  con:query(string.format(
      "SELECT order_no, member_id, amount, status FROM orders WHERE order_no = 'ORD%s%08d'", day, seq))
end
