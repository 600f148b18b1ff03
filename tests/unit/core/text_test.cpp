// core/text.h: HTML escaping and Shopify money strings.
#include "core/text.h"

#include <gtest/gtest.h>

namespace pagelift {
namespace {

TEST(HtmlEscape, EscapesMarkupAndBothQuotes) {
  EXPECT_EQ(HtmlEscape(R"(<script src="x">'&'</script>)"),
            "&lt;script src=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/script&gt;");
}

TEST(HtmlEscape, LeavesOtherTextAlone) {
  EXPECT_EQ(HtmlEscape("https://cdn.shopify.com/shopifycloud/app-bridge.js?v=1 – ünïcode"),
            "https://cdn.shopify.com/shopifycloud/app-bridge.js?v=1 – ünïcode");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(Money, ParsesShopifyDecimalStrings) {
  EXPECT_EQ(ParseMoneyCents("19.99"), 1999);
  EXPECT_EQ(ParseMoneyCents("19.9"), 1990);
  EXPECT_EQ(ParseMoneyCents("19"), 1900);
  EXPECT_EQ(ParseMoneyCents("0.05"), 5);
}

TEST(Money, RejectsWhatIsNotAnAmount) {
  for (std::string_view bad : {"", ".5", "1.", "1.234", "-1.00", "1,00", "abc", "1234567890123456789"}) {
    EXPECT_EQ(ParseMoneyCents(bad), std::nullopt) << bad;
  }
}

TEST(Money, FormatsWithTwoDecimals) {
  EXPECT_EQ(FormatMoneyCents(1990), "19.90");
  EXPECT_EQ(FormatMoneyCents(5), "0.05");
  EXPECT_EQ(FormatMoneyCents(-105), "-1.05");
  EXPECT_EQ(FormatMoneyCents(0), "0.00");
}

}  // namespace
}  // namespace pagelift
