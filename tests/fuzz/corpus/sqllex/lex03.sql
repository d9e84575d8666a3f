SELECT 1 -- x
# y
/* z */ 2 --x