-- Checks and counts one request on the first candidate that fits, in one step, so two
-- instances never both take the last request of a limit.
--
-- KEYS, five per candidate in preference order: cooldown (absolute Unix ms, PX TTL),
-- rpm of the minute, tpm of the minute, in-flight, latency samples (a list).
-- ARGV[1] now (Unix ms), ARGV[2] TTL of the minute counters (s), ARGV[3] TTL of the
-- in-flight count (s); then three per candidate: rpm limit, tpm limit, max parallel
-- ('' when not enforced).
--
-- Returns {chosen, loads}: chosen is the 1-based index counted (0: none fitted); loads
-- holds, for every candidate, {skip, rpm, tpm, in_flight, cooldown_until, latency}, skip
-- being 0 (not skipped), 1 cooling down, 2 rpm, 3 tpm, 4 parallel, and latency the mean
-- of the samples as a string ('' when there are none: Lua numbers become integers in a
-- reply).
local now = tonumber(ARGV[1])
local minute_ttl = ARGV[2]
local in_flight_ttl = ARGV[3]

local function count(key)
  return tonumber(redis.call('GET', key) or '0') or 0
end

local chosen = 0
local loads = {}
for i = 1, #KEYS / 5 do
  local k = (i - 1) * 5
  local a = 3 + (i - 1) * 3
  local cooldown_until = count(KEYS[k + 1])
  local rpm = count(KEYS[k + 2])
  local tpm = count(KEYS[k + 3])
  local in_flight = count(KEYS[k + 4])
  local skip = 0
  if chosen == 0 then
    local rpm_limit = tonumber(ARGV[a + 1])
    local tpm_limit = tonumber(ARGV[a + 2])
    local max_parallel = tonumber(ARGV[a + 3])
    -- The order of MemoryState::try_reserve, so both backends give the same reason.
    if cooldown_until > now then
      skip = 1
    elseif tpm_limit and tpm >= tpm_limit then
      skip = 3
    elseif max_parallel and in_flight >= max_parallel then
      skip = 4
    elseif rpm_limit and rpm + 1 > rpm_limit then
      skip = 2
    else
      chosen = i
      rpm = redis.call('INCR', KEYS[k + 2])
      redis.call('EXPIRE', KEYS[k + 2], minute_ttl)
      in_flight = redis.call('INCR', KEYS[k + 4])
      -- Refreshed on every reservation: the count of an instance that died with
      -- requests in flight decays instead of blocking the deployment for good.
      redis.call('EXPIRE', KEYS[k + 4], in_flight_ttl)
    end
  end
  local samples = redis.call('LRANGE', KEYS[k + 5], 0, -1)
  local latency = ''
  if #samples > 0 then
    local sum = 0
    for _, s in ipairs(samples) do
      sum = sum + (tonumber(s) or 0)
    end
    latency = string.format('%.17g', sum / #samples)
  end
  loads[i] = { skip, rpm, tpm, in_flight, cooldown_until, latency }
end
return { chosen, loads }
