-- wrk script: posts realistic tracker beacons, as Chromium sends them.
-- Each thread cycles through 200 URLs on 40 domains from 25 source pages.
-- Status codes are counted per thread and summed in done(), so the benchmark
-- can compare the 204s wrk saw with the clicks in the database.
-- Optional argument (after --): the number of beacons each thread sends; the
-- thread then stops once every beacon's answer has arrived, so none is in
-- flight when wrk ends (used to check that counts are exact).
-- wrk sends a fresh request after a read error on a connection, and the lost
-- one never gets an answer; the thread then stops once DRAINED answers to
-- past-quota beacons came back instead: connections answer in order, so every
-- beacon sent before them has been answered or lost by then. Without this the
-- run lasted its whole --duration whenever one request was lost.

local DRAINED = 2000

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  quota = tonumber(args[1] or "0")
  sent, answered, ok, rejected, drained = 0, 0, 0, 0, 0
  stopped = false
  local host = wrk.headers["Host"] or "127.0.0.1"
  local origin = "http://" .. host
  wrk.headers["Origin"] = origin
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    .. "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
  bodies = {}
  for i = 0, 199 do
    bodies[#bodies + 1] = string.format(
      '{"url":"https://partner-%d.example.com/products/item-%d?ref=blog",'
        .. '"text":"Read more about item %d","source":"%s/blog/post-%d/",'
        .. '"page":%d,"event":"","category":""}',
      i % 40, i, i, origin, i % 25, 100 + i % 25)
  end
  path = wrk.path
end

function request()
  sent = sent + 1
  if quota > 0 and sent > quota then
    -- Past the quota: an invalid beacon, answered 400 and never counted.
    return wrk.format("POST", path, nil, "{}")
  end
  return wrk.format("POST", path, nil, bodies[(sent + id * 7) % #bodies + 1])
end

function response(status, headers, body)
  answered = answered + 1
  if status == 204 then ok = ok + 1 elseif status ~= 400 or quota == 0 then
    rejected = rejected + 1
  else
    drained = drained + 1
  end
  if quota > 0 and not stopped and (ok + rejected >= quota or drained >= DRAINED) then
    stopped = true
    wrk.thread:stop()
    -- wrk itself still waits for --duration: the benchmark interrupts it
    -- (SIGINT) once every thread has said so.
    io.write("QUOTA_DONE\n")
    io.flush()
  end
end

function done(summary, latency, requests)
  local total_ok, total_rejected = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_rejected = total_rejected + thread:get("rejected")
  end
  io.write(string.format("STATUS_204 %d\nSTATUS_OTHER %d\n", total_ok, total_rejected))
end
