// What a recommendation's patch_payload says and what it does to a shop, without I/O: parsing and validating the
// payload (the kinds are listed in audit.h), the "state" a patch touches (only the fields, media or metafield it names),
// what that state becomes once the patch is applied, whether the target drifted since the audit, the before/after a
// merchant previews, and the Admin GraphQL variables that make a state true. Apply and rollback both end in
// WriteFor(state): applying writes the patched state, rolling back writes the stored one (rollback_payload), so the
// two paths cannot disagree on how a field is written.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pagelift::recommend {

enum class PatchKind { kProductUpdate, kMediaAlt, kMetafieldsSet, kGuided };
std::string_view PatchKindName(PatchKind kind);  // "product_update", "media_alt", "metafields_set", "guided"

struct PatchPayload {
  PatchKind kind = PatchKind::kGuided;
  std::string target;             // patches.applied_to: "product:<gid>", "metafield:<owner>:$app.<key>", "theme:…"
  std::string owner_id;           // the product gid (product_update, media_alt) or the metafield's owner gid
  boost::json::object expected;   // what the audit saw (product fields or media gid → alt); may be empty
  boost::json::object set;        // product fields, or media gid → new alt
  std::string key;                // metafields_set: the key in the $app namespace
  std::string type;               // metafields_set: the metafield type ("json")
  boost::json::value value;       // metafields_set: the value (JSON for type json)
  boost::json::array steps;       // guided
  std::string deep_link;          // guided
};

// 400 naming the field (details.field = "patch_payload.<name>") when the payload is not one pagelift can carry out.
Result<PatchPayload> ParsePatchPayload(const boost::json::value& payload);

// Whether carrying it out writes the merchant's product data (and so needs settings.allow_write_products).
bool WritesProducts(PatchKind kind);

// The Admin GraphQL operation that reads the state of a patch's target, and its variables.
std::string_view ReadOperation(const PatchPayload& patch);  // "ProductForPatch", "MediaForPatch" or "AppMetafield"
boost::json::object ReadVariables(const PatchPayload& patch);

// The state a patch touches, taken from the read operation's `data`:
//   product_update → {<field>: value, "seo": {<title|description>: value}} for the fields in `set` and `expected`
//   media_alt      → {<media gid>: alt} for the media in `set` and `expected` (409 when one no longer exists)
//   metafields_set → {"type": t, "value": v} (v parsed when the type is json), or {"type": null, "value": null}
// 404 when the product or owner is gone.
Result<boost::json::object> StateFromRead(const PatchPayload& patch, const boost::json::object& data);

// The state once the patch is applied over `before`.
boost::json::object PatchedState(const PatchPayload& patch, const boost::json::object& before);

// Fields whose current value differs from what the audit expected: [{field, expected, current}]. Empty strings and
// null count as equal (Shopify reports an unset SEO title as null, the cache may hold "").
boost::json::array Drift(const boost::json::object& expected, const boost::json::object& current);
// The same comparison as one answer.
bool SameState(const boost::json::object& a, const boost::json::object& b);

// Before/after per field: [{field, before, after}], only fields that change.
boost::json::array Changes(const PatchPayload& patch, const boost::json::object& before,
                           const boost::json::object& after);

// The write that makes `state` true on the shop: operation name and variables. For metafields_set a null value means
// "not set", which is a MetafieldsDelete.
struct AdminWrite {
  std::string operation;
  boost::json::object variables;
};
AdminWrite WriteFor(const PatchPayload& patch, const boost::json::object& state);

}  // namespace pagelift::recommend
