SELECT status, COUNT(*) AS c, SUM(total), AVG(total) FROM orders WHERE total > 5 GROUP BY status HAVING c > 1 AND SUM(total) BETWEEN 1 AND 1000 ORDER BY c DESC, status LIMIT 3, 4
