-- Replays the fuzzer's generated request mix (written by
-- `opconform fuzz --dump-requests FILE`), cycling through it.
--   REQUESTS=file TOKEN=sk_... wrk -s benches/fuzz_mix.lua http://127.0.0.1:PORT
local requests = {}
local i = 0

function init(args)
  local token = os.getenv("TOKEN") or ""
  for line in io.lines(os.getenv("REQUESTS")) do
    local raw = line:gsub("{token}", function() return token end)
    raw = raw:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    requests[#requests + 1] = raw
  end
  -- Threads start at different offsets so they do not send the same request at once.
  i = math.random(#requests) - 1
end

function request()
  i = i % #requests + 1
  return requests[i]
end
