SELECT COUNT(DISTINCT member_id), MIN(order_no), MAX(created), BIT_OR(total) FROM orders o JOIN order_items i USING (order_no) WHERE i.qty IN (1, 2)
