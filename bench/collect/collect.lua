-- wrk script for bench/collect/run: POST /v1/collect with batches of BENCH_BATCH (default 50) events, every event with
-- a new id (the run starts from an empty table, so a counter per wrk thread is unique enough), realistic field sizes.
-- BENCH_DELAY_MS > 0 makes every connection pause that long between requests (a fixed, lower offered load; wrk's
-- latency figures do not include the pause).
local shop = os.getenv("BENCH_SHOP")
local ts = os.getenv("BENCH_TS")
local batch = tonumber(os.getenv("BENCH_BATCH") or "50")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local types = { "page_view", "product_view", "add_to_cart", "page_view", "product_view" }

function request()
  local events = {}
  for i = 1, batch do
    counter = counter + 1
    local product = counter % 300
    events[i] = string.format(
      '{"id":"%08x-0000-4000-8000-%012x","type":"%s","ts":"%s","anon_id":"anon-%d","session_id":"sess-%d",' ..
      '"product_id":"gid://shopify/Product/%d","props":{"url":"https://shop.example.com/products/p%d?utm_source=news",' ..
      '"referrer":"https://www.google.com/","device":"mobile","utm_source":"news","value":%d.95,"currency":"EUR"}}',
      tid, counter, types[counter % #types + 1], ts, counter % 5000, counter % 7000, product, product, product % 90)
  end
  local body = '{"shop":"' .. shop .. '","events":[' .. table.concat(events, ",") .. ']}'
  return wrk.format("POST", "/v1/collect", { ["Content-Type"] = "application/json" }, body)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end
