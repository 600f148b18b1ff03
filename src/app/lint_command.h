// `pagelift lint FILE [--json] [--settings FILE]`: audits a product export offline with the same engine as the app
// (src/recommend/audit.h) and prints a readable report (or the report as JSON). Accepted exports: a Shopify
// bulk-operation JSONL result (children on their own lines with __parentId, as BulkProducts returns them), a JSON
// array of products (Admin GraphQL shape, connections allowed, or REST shape with body_html), or {"products": [...]}.
// Exit 0: no findings; 1: findings; 2: usage or unreadable input.
#pragma once

#include <iosfwd>
#include <string_view>

namespace pagelift::app {

inline constexpr std::string_view kLintUsage = R"(Usage: pagelift lint FILE [--json] [--settings SETTINGS.json]

Audits a product export offline and prints what to fix on which product, ranked by severity, with the rule, the
reason and whether pagelift can fix it automatically. FILE: a Shopify bulk-operation JSONL result (BulkProducts), a JSON
array of products (GraphQL or REST shape) or {"products": [...]}; "-" reads standard input.
  --json        print the report as JSON instead
  --settings    a shop settings document (brand_voice, audit.disabled_rules, audit.thresholds) to audit with
Exit status: 0 no findings, 1 findings, 2 bad usage or unreadable input.
)";

int RunLintCommand(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace pagelift::app
