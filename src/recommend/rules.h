// The rule table: each rule's description (RuleInfo) together with its check. Internal to the audit engine (audit.cpp
// runs the checks; everything else sees only RuleInfo through Rules()).
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "recommend/audit.h"
#include "recommend/product_view.h"

namespace pagelift::recommend {

// Facts about the whole catalog that single-product rules compare against (active products only).
struct CatalogIndex {
  std::map<std::string, int, std::less<>> description_counts;  // normalised description text → products
  std::map<std::string, int, std::less<>> title_counts;        // lower-cased title → products
  int active_products = 0;
  int with_reviews = 0;       // products carrying review metafields
  int with_trust_badges = 0;  // products with the trust_badges block configured
};

struct RuleContext {
  const AuditConfig& config;
  const CatalogIndex& catalog;
  const ShopFacts& facts;
};

// A rule's verdict before the engine stamps the rule and entity on it.
struct Draft {
  std::string rationale;
  boost::json::object evidence;
  std::optional<boost::json::object> patch;
};

using ProductCheck = std::optional<Draft> (*)(const ProductView&, const RuleContext&);
using ShopCheck = std::optional<Draft> (*)(const RuleContext&);

struct RuleDefinition {
  RuleInfo info;
  ProductCheck product = nullptr;  // scope kProduct
  ShopCheck shop = nullptr;        // scope kShop
};

std::span<const RuleDefinition> RuleDefinitions();

// Normalised text for duplicate detection (lower case, whitespace collapsed).
std::string NormalizedText(std::string_view text);

}  // namespace pagelift::recommend
