-- Scenarios 1 and 2: GET one request, a random id of an id file each time.
--   wrk ... -s poll.lua URL -- IDS_FILE CLIENT_KEY [inm|full] [PATH_PREFIX]
-- IDS_FILE lines are "<uuid> <etag>"; with "inm" each request carries
-- If-None-Match: <etag> (a 304 when the request has not changed).
-- The requests are formatted once in init: request() only picks one, so the
-- Lua side costs wrk as little as possible.
local reqs = {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no * 7919 + os.time())
end

function init(args)
  local path, key, mode = args[1], args[2], args[3]
  local prefix = args[4] or "/api/v1/generation-requests/"
  math.randomseed(seed or os.time())
  for line in io.lines(path) do
    local id, etag = line:match("^(%S+)%s+(%S+)")
    local h = { ["Authorization"] = "Bearer " .. key }
    if mode == "inm" then h["If-None-Match"] = etag end
    reqs[#reqs + 1] = wrk.format("GET", prefix .. id, h)
  end
  assert(#reqs > 0, "no ids in " .. path)
end

function request()
  return reqs[math.random(#reqs)]
end
