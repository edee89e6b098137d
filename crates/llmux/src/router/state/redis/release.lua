-- Ends a request without counting it: one in-flight less, never below 0 (a release for
-- a reservation that was made in local memory while Redis was away must not go negative).
--
-- KEYS: in-flight.
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
