// Escaping text for HTML: the one place that turns text into HTML text or a quoted attribute value (the admin UI's
// page template, the simulator's admin page; generated copy can use it too).
#pragma once

#include <string>
#include <string_view>

namespace pagelift::http {

// & < > " ' as character references: safe in element content and in a single- or double-quoted attribute.
std::string HtmlEscape(std::string_view text);

}  // namespace pagelift::http
