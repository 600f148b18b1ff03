// http::HtmlEscape: every character that can end text or a quoted attribute becomes a character reference.
#include "http/html.h"

#include <gtest/gtest.h>

namespace pagelift::http {
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

}  // namespace
}  // namespace pagelift::http
