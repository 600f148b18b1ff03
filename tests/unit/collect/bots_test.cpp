// Bot recognition by User-Agent (src/collect/bots.h).
#include "collect/bots.h"

#include <gtest/gtest.h>

namespace pagelift::collect {
namespace {

TEST(IsBotUserAgent, SelfDeclaredBotsAreBots) {
  for (const char* agent :
       {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", "SomeCrawler/1.0"}) {
    EXPECT_TRUE(IsBotUserAgent(agent)) << agent;
  }
}

TEST(IsBotUserAgent, BrowsersHeadlessBrowsersAndPlainClientsAreNot) {
  for (const char* agent :
       {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0 Mobile Safari/537.36",
        "Boost.Beast/345", "curl/7.88.1", ""}) {
    EXPECT_FALSE(IsBotUserAgent(agent)) << agent;
  }
}

TEST(IsBotUserAgent, AFalsePositiveDoesNotHideARealMarker) {
  EXPECT_TRUE(IsBotUserAgent("CUBOT X30 Googlebot/2.1"));
}

}  // namespace
}  // namespace pagelift::collect
