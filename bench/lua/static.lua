-- Scenarios 3 and 4, and the ceilings: one fixed request, formatted once by
-- wrk after init (no request() function, so no Lua per request).
--   wrk ... -s static.lua URL -- METHOD CLIENT_KEY [BODY]
-- The path comes from the URL; a BODY is sent as application/json.
function init(args)
  wrk.method = args[1] or "GET"
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  if args[3] then
    wrk.body = args[3]
    wrk.headers["Content-Type"] = "application/json"
  end
end
