-- Adds to a running total (a budget's spend), creating it at its seed, in one step, so
-- two instances adding at once both count.
--
-- KEYS[1] the total. ARGV[1] delta, ARGV[2] seed (the total when the key is absent),
-- ARGV[3] TTL (s) after this change. Returns the new total as a string.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2])
end
local total = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return total
