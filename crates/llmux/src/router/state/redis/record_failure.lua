-- Ends a request that failed: one in-flight less (never below 0), a failure counted.
--
-- KEYS: in-flight, failures of the minute, successes of the minute.
-- ARGV[1] TTL of the minute counters (s).
-- Returns {successes, failures} of the minute, after this failure.
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) > 0 then
  redis.call('DECR', KEYS[1])
end
local failures = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
local successes = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
return { successes, failures }
