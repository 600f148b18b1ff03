// Recognising self-declared bots by their User-Agent, so that crawler traffic does not count as visitors in
// experiments. Deliberately small: only agents that say they are bots (Googlebot, bingbot, AdsBot, crawlers, spiders,
// link previews). Headless browsers are NOT treated as bots: pagelift's own browser tests and synthetic monitoring run
// Chromium headless and must be measured like shoppers; real bot mitigation belongs to Shopify's edge, not here.
#pragma once

#include <string_view>

namespace pagelift::collect {

bool IsBotUserAgent(std::string_view user_agent);

}  // namespace pagelift::collect
