-- wrk script: GET /subscription as a pool of signed-in customers, one
-- Cookie header per line of the file given after "--".
local cookies = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(cookies, line) end
  end
end

function request()
  i = i % #cookies + 1
  return wrk.format("GET", "/subscription", { ["Cookie"] = cookies[i] })
end
