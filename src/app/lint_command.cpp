// `pagelift lint`: reading an export into products_cache-shaped data and printing the audit. See lint_command.h.
#include "app/lint_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "recommend/audit.h"
#include "recommend/repository.h"
#include "shopify/bulk_jsonl.h"
#include "shopify/catalog_repository.h"

namespace pagelift::app {

namespace json = boost::json;

namespace {

struct LintOptions {
  std::string file;
  bool json_output = false;
  std::string settings_file;
};

struct LoadedExport {
  std::vector<json::object> products;
  std::size_t skipped = 0;  // objects that are not usable products
};

std::optional<std::string> ReadAll(const std::string& path, std::istream& in) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(in), {});
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// One product object of an export in whatever shape, as products_cache.data.
std::optional<json::object> ProductData(json::object object) {
  if (object.contains("body_html") || object.contains("admin_graphql_api_id")) {
    auto record = shopify::ProductFromRest(object);
    if (record) return std::move(record->data);
    // An export without updated_at/handle is still worth auditing: map what is there.
    if (!object.contains("updated_at")) object["updated_at"] = "1970-01-01T00:00:00Z";
    if (!object.contains("handle")) object["handle"] = "";
    record = shopify::ProductFromRest(object);
    if (record) return std::move(record->data);
    return std::nullopt;
  }
  shopify::FlattenConnections(object);
  const auto* id = object.if_contains("id");
  if (id == nullptr || !id->is_string() || shopify::GidType(id->get_string()) != "Product") return std::nullopt;
  return object;
}

Result<LoadedExport> LoadExport(const std::string& text) {
  LoadedExport loaded;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return loaded;
  auto add = [&loaded](json::value value) {
    if (!value.is_object()) {
      ++loaded.skipped;
      return;
    }
    if (auto data = ProductData(std::move(value.as_object()))) {
      loaded.products.push_back(std::move(*data));
    } else {
      ++loaded.skipped;
    }
  };
  const bool whole_document = text[first] == '[' || (text[first] == '{' && text.find("\"products\"") != std::string::npos &&
                                                     text.find("__parentId") == std::string::npos);
  if (whole_document) {
    boost::system::error_code ec;
    json::value document = json::parse(text, ec);
    if (ec) return MakeError(ErrorCode::kBadRequest, "not valid JSON: " + ec.message());
    json::array* list = document.if_array();
    if (list == nullptr && document.is_object()) {
      if (auto* products = document.as_object().if_contains("products")) {
        list = products->if_array();
        // {"products": {"edges"|"nodes": …}} as an Admin API response carries it.
        if (list == nullptr && products->is_object()) {
          json::object wrapper{{"products", *products}};
          shopify::FlattenConnections(wrapper);
          document = std::move(wrapper["products"]);
          list = document.if_array();
        }
      }
    }
    if (list == nullptr) return MakeError(ErrorCode::kBadRequest, "expected a JSON array of products or {\"products\": [...]}");
    for (auto& item : *list) add(std::move(item));
    return loaded;
  }
  // Bulk-operation JSONL: children follow their parent on their own lines.
  shopify::JsonlReassembler reassembler([&add](json::object root) { add(json::value(std::move(root))); });
  reassembler.Feed(text);
  reassembler.Finish();
  if (reassembler.roots() == 0 && reassembler.errors() > 0) {
    return MakeError(ErrorCode::kBadRequest, "not a JSON array nor bulk-operation JSONL");
  }
  loaded.skipped += reassembler.errors();
  return loaded;
}

int SeverityRank(const recommend::Finding& f) { return static_cast<int>(f.rule->severity); }

// The offline health score, computed the same way as the app's.
int HealthScore(const recommend::AuditReport& report) {
  auto weight = [](const recommend::Finding& f, int high, int medium, int low) {
    return f.rule->severity == recommend::Severity::kHigh ? high : f.rule->severity == recommend::Severity::kMedium ? medium : low;
  };
  int products = 0;
  int product_penalty = 0;
  int shop_penalty = 0;
  for (const auto& p : report.products) {
    if (!p.audited) continue;
    ++products;
    for (const auto& f : p.findings) product_penalty += weight(f, 12, 6, 2);
  }
  for (const auto& f : report.shop_findings) shop_penalty += weight(f, 15, 6, 2);
  return recommend::ComputeHealthScore(products, product_penalty, shop_penalty);
}

std::string FixLabel(const recommend::Finding& f) {
  if (!f.patch_payload) return "manual";
  const auto* kind = f.patch_payload->if_contains("kind");
  if (kind == nullptr || !kind->is_string()) return "manual";
  if (kind->get_string() == "guided") return "guided steps";
  return fmt::format("automatic ({})", kind->get_string().c_str());
}

void PrintFinding(std::ostream& out, const recommend::Finding& f) {
  out << fmt::format("  {:<6}  {}\n", recommend::SeverityName(f.rule->severity), f.rule->id);
  out << fmt::format("          {}\n", f.rationale);
  out << fmt::format("          fix: {}; expected impact {}–{}% on {}\n", FixLabel(f), f.rule->impact.low,
                     f.rule->impact.high, f.rule->impact.metric);
}

void PrintReport(std::ostream& out, const std::string& file, const LoadedExport& loaded,
                 const recommend::AuditReport& report) {
  std::size_t audited = 0;
  for (const auto& p : report.products) audited += p.audited ? 1 : 0;
  out << fmt::format("pagelift lint {}: {} products ({} audited, {} not on the storefront{}), {} findings\n", file,
                     report.products.size(), audited, report.products.size() - audited,
                     loaded.skipped ? fmt::format(", {} unreadable objects skipped", loaded.skipped) : "",
                     report.FindingCount());
  out << fmt::format("Store health score: {}/100\n", HealthScore(report));
  // Products with the most severe problems first.
  std::vector<const recommend::ProductAudit*> products;
  for (const auto& p : report.products) {
    if (!p.findings.empty()) products.push_back(&p);
  }
  auto weight = [](const recommend::ProductAudit* p) {
    int w = 0;
    for (const auto& f : p->findings) w += 1 << (2 * SeverityRank(f));
    return w;
  };
  std::stable_sort(products.begin(), products.end(), [&](auto* a, auto* b) { return weight(a) > weight(b); });
  if (!report.shop_findings.empty()) {
    out << "\nWhole store\n";
    for (const auto& f : report.shop_findings) PrintFinding(out, f);
  }
  for (const auto* p : products) {
    out << fmt::format("\n{}  ({})\n", p->title.empty() ? "(untitled)" : p->title, p->product_id);
    std::vector<const recommend::Finding*> findings;
    for (const auto& f : p->findings) findings.push_back(&f);
    std::stable_sort(findings.begin(), findings.end(),
                     [](auto* a, auto* b) { return SeverityRank(*a) > SeverityRank(*b); });
    for (const auto* f : findings) PrintFinding(out, *f);
  }
  std::map<std::string_view, int> by_rule;
  for (const auto& p : report.products) {
    for (const auto& f : p.findings) ++by_rule[f.rule->id];
  }
  for (const auto& f : report.shop_findings) ++by_rule[f.rule->id];
  if (!by_rule.empty()) {
    out << "\nBy rule\n";
    for (const auto& [id, n] : by_rule) out << fmt::format("  {:>5}  {}\n", n, id);
  }
}

Result<LintOptions> ParseArguments(int argc, const char* const* argv) {
  LintOptions options;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--json") {
      options.json_output = true;
    } else if (arg == "--settings") {
      if (i + 1 >= argc) return MakeError(ErrorCode::kBadRequest, "--settings needs a file");
      options.settings_file = argv[++i];
    } else if (arg.starts_with("--") ) {
      return MakeError(ErrorCode::kBadRequest, fmt::format("unknown option {}", arg));
    } else if (options.file.empty()) {
      options.file = arg;
    } else {
      return MakeError(ErrorCode::kBadRequest, fmt::format("unexpected argument \"{}\"", arg));
    }
  }
  if (options.file.empty()) return MakeError(ErrorCode::kBadRequest, "FILE is missing");
  return options;
}

}  // namespace

int RunLintCommand(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err) {
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      out << kLintUsage;
      return 0;
    }
  }
  auto options = ParseArguments(argc, argv);
  if (!options) {
    err << "pagelift lint: " << options.error().message << "\n\n" << kLintUsage;
    return 2;
  }
  recommend::AuditConfig config;
  if (!options->settings_file.empty()) {
    const auto text = ReadAll(options->settings_file, in);
    boost::system::error_code ec;
    const auto settings = text ? json::parse(*text, ec) : json::value();
    if (!text || ec || !settings.is_object()) {
      err << "pagelift lint: cannot read settings from " << options->settings_file << " (a JSON object)\n";
      return 2;
    }
    config = recommend::AuditConfig::FromSettings(settings.as_object());
  }
  const auto text = ReadAll(options->file, in);
  if (!text) {
    err << "pagelift lint: cannot read " << options->file << "\n";
    return 2;
  }
  auto loaded = LoadExport(*text);
  if (!loaded) {
    err << "pagelift lint: " << options->file << ": " << loaded.error().message << "\n";
    return 2;
  }
  // Offline there are no storefront events to look at: the app-embed rule stays silent.
  const auto report = recommend::Auditor(std::move(config)).AuditCatalog(loaded->products, recommend::ShopFacts{});
  if (options->json_output) {
    auto body = recommend::ReportToJson(report);
    body["health_score"] = HealthScore(report);
    body["skipped"] = loaded->skipped;
    out << json::serialize(body) << "\n";
  } else {
    PrintReport(out, options->file, *loaded, report);
  }
  return report.FindingCount() == 0 ? 0 : 1;
}

}  // namespace pagelift::app
