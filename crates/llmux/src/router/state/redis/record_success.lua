-- Ends a request that succeeded: one in-flight less (never below 0), its tokens added to
-- the minute's tpm, a latency sample kept (the newest N), a success counted.
--
-- KEYS: in-flight, tpm of the minute, latency samples, successes of the minute.
-- ARGV[1] tokens, ARGV[2] latency in seconds ('' for no sample), ARGV[3] TTL of the
-- minute counters (s), ARGV[4] TTL of the samples (s), ARGV[5] samples kept.
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) > 0 then
  redis.call('DECR', KEYS[1])
end
local tokens = tonumber(ARGV[1]) or 0
if tokens > 0 then
  redis.call('INCRBY', KEYS[2], tokens)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
if ARGV[2] ~= '' then
  redis.call('LPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[3])
return 0
