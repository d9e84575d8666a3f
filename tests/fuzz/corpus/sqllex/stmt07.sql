SELECT 1 # @x
, @y