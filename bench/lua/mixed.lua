-- Scenario 7's load: a mix like real traffic, mostly polls.
--   wrk ... -s mixed.lua URL -- IDS_FILE CLIENT_KEY
-- Out of every 20 requests: 13 full polls, 4 conditional polls (304), 2
-- lists of 20 by status, 1 create. Formatted once in init.
local polls, cond, others = {}, {}, {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no * 104729 + os.time())
end

function init(args)
  local path, key = args[1], args[2]
  math.randomseed(seed or os.time())
  local auth = "Bearer " .. key
  for line in io.lines(path) do
    local id, etag = line:match("^(%S+)%s+(%S+)")
    local p = "/api/v1/generation-requests/" .. id
    polls[#polls + 1] = wrk.format("GET", p, { ["Authorization"] = auth })
    cond[#cond + 1] = wrk.format("GET", p, { ["Authorization"] = auth, ["If-None-Match"] = etag })
  end
  assert(#polls > 0, "no ids in " .. path)
  for _, s in ipairs({ "completed", "pending", "failed" }) do
    others[#others + 1] = wrk.format("GET", "/api/v1/generation-requests?status=" .. s .. "&limit=20",
      { ["Authorization"] = auth })
  end
  others.create = wrk.format("POST", "/api/v1/generation-requests",
    { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
    '{"entity_type":"problem","count":3,"metadata":{"bench":"mixed"}}')
end

local n = 0
function request()
  n = n + 1
  local k = n % 20
  if k < 13 then return polls[math.random(#polls)] end
  if k < 17 then return cond[math.random(#cond)] end
  if k < 19 then return others[math.random(#others)] end
  return others.create
end
