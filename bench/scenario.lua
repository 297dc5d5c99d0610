-- One wrk scenario against vetchat. Every thread reads the same target list and walks it from
-- its own offset; BENCH_MODE picks the request.
--   target line: session <TAB> csrf <TAB> appointmentId <TAB> lastSeq <TAB> etag

local mode = os.getenv("BENCH_MODE")
local api = "/api/appointment-chat/messages"

local targets = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
  local session, csrf, appointment, last_seq, etag = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
  targets[#targets + 1] = {
    session = session, csrf = csrf, appointment = appointment,
    last_seq = tonumber(last_seq), etag = etag,
  }
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local index = 0
local sent = 0

function init(args)
  index = (id or 1) - 1
end

local function cookies(target)
  return "sessionid=" .. target.session .. "; csrftoken=" .. target.csrf
end

function request()
  local target
  if mode == "send-one-chat" then
    target = targets[1]
  elseif mode == "send" then
    target = targets[(id - 1) % #targets + 1] -- one chat per thread
  else
    index = index % #targets + 1
    target = targets[index]
  end
  local headers = { Cookie = cookies(target), Accept = "application/json" }
  local query = "?appointmentId=" .. target.appointment
  -- History pages have the same size on a 10- and a 100,000-message chat: only length differs.
  local page = query .. "&markRead=false&limit=5"

  if mode == "healthz" then
    return wrk.format("GET", "/healthz", {})
  elseif mode == "poll-304" then
    headers["If-None-Match"] = target.etag
    return wrk.format("GET", api .. query .. "&after=" .. target.last_seq, headers)
  elseif mode == "poll" then
    return wrk.format("GET", api .. query .. "&after=" .. target.last_seq, headers)
  elseif mode == "poll-one-new" then
    return wrk.format("GET", api .. query .. "&after=" .. (target.last_seq - 1), headers)
  elseif mode == "latest" then
    return wrk.format("GET", api .. page, headers)
  elseif mode == "before" then
    -- walk the whole history a page at a time, from the newest down to the oldest
    sent = sent + 1
    local span = target.last_seq - 5
    local before = target.last_seq
    if span > 1 then before = target.last_seq - (sent * 5) % span end
    return wrk.format("GET", api .. page .. "&before=" .. before, headers)
  elseif mode == "send" or mode == "send-one-chat" then
    sent = sent + 1
    headers["Content-Type"] = "application/json"
    headers["X-CSRFToken"] = target.csrf
    local body = '{"appointmentId": "' .. target.appointment ..
      '", "content": "Benchmark message ' .. sent .. '", "messageType": "text"}'
    return wrk.format("POST", api, headers, body)
  end
  error("unknown BENCH_MODE " .. tostring(mode))
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout + errors.status))
end
