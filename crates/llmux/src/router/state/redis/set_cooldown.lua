-- Cools a deployment down until an absolute time, never shortening a longer cooldown
-- another instance set. The key expires when the cooldown ends, so nothing cleans up.
--
-- KEYS: cooldown. ARGV[1] until (Unix ms), ARGV[2] milliseconds from now to until.
-- Returns the cooldown's end after this call.
local until_ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if until_ms > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return until_ms
end
return current
