// The collector's event model and the validation of one `POST /v1/collect` batch (ARCHITECTURE.md, "Contract"):
// which event types exist, what a valid event is, and why an invalid one is rejected. Pure: no I/O, the clock is a
// parameter, so every rule is unit-tested (tests/unit/collect).
//
// A batch is all-or-nothing only for its envelope (not an object, no shop, no events, too many events → the whole
// request is a 400); each event is judged on its own, and a bad event is reported by index while the good ones are kept,
// because a storefront script cannot fix and resend one event of a beacon.
#pragma once

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace pagelift::collect {

// The event types the collector stores. Adding one here (and to kEventTypeNames) is all it takes to accept it.
enum class EventType {
  kPageView,
  kProductView,
  kAddToCart,
  kBeginCheckout,
  kCheckoutCompleted,
  kPurchase,
  kExposure,  // the visitor saw a variant; with experiment + variant it also records the assignment
};

// Wire names, indexed by EventType.
inline constexpr std::array<std::string_view, 7> kEventTypeNames = {
    "page_view", "product_view", "add_to_cart", "begin_checkout", "checkout_completed", "purchase", "exposure"};

std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

// Why an event was rejected; the wire code is ReasonCode(reason), also the label of the rejection metric.
enum class RejectReason {
  kNotAnObject,     // the array item is not a JSON object
  kMissingField,    // a required field is absent or null
  kWrongType,       // a field has the wrong JSON type
  kInvalidId,       // id is not a UUID
  kUnknownType,     // type is not one of kEventTypeNames
  kInvalidTs,       // ts is not RFC 3339
  kTsOutOfRange,    // ts is older than max_age or further than max_clock_skew in the future
  kTooLong,         // a string is longer than max_string_bytes
  kInvalidText,     // a string contains a NUL character (PostgreSQL text cannot store it)
  kPropsTooLarge,   // props serialises to more than max_props_bytes
};
inline constexpr size_t kRejectReasonCount = 10;

std::string_view ReasonCode(RejectReason reason);

struct Rejection {
  RejectReason reason;
  std::string message;  // for the sender's developer: names the field and the limit
};

// A validated event, normalised for storage.
struct Event {
  std::string id;  // lower-case canonical UUID
  EventType type = EventType::kPageView;
  TimePoint ts;
  std::string anon_id;
  std::string session_id;
  std::optional<std::string> product_id;
  std::optional<std::string> experiment;
  std::optional<std::string> variant;
  std::string props_json = "{}";  // the props object, serialised (JSONB input)
};

struct Limits {
  size_t max_events = 500;             // per batch
  size_t max_string_bytes = 128;       // anon_id, session_id, product_id, experiment, variant
  size_t max_props_bytes = 8 * 1024;   // serialised props
  std::chrono::seconds max_age = std::chrono::hours(24 * 7);   // older events are refused (late beacons, replays)
  std::chrono::seconds max_clock_skew = std::chrono::minutes(5);  // a visitor's clock may run a little fast
};

// Checks one array item of "events".
std::variant<Event, Rejection> ValidateEvent(const boost::json::value& item, TimePoint now, const Limits& limits = {});

struct IndexedRejection {
  size_t index;  // position in the request's "events" array
  Rejection rejection;
};

struct Batch {
  std::string shop;  // the shop's public id, as sent (not yet resolved)
  std::vector<Event> events;
  std::vector<IndexedRejection> rejected;
};

// Checks the envelope {"shop": "...", "events": [...]} and every event. An envelope error is a 400 Error (over
// max_events: details {"limit": max_events, "received": n}).
Result<Batch> ParseBatch(const boost::json::value& body, TimePoint now, const Limits& limits = {});

// The "rejected" array of the response: [{"index", "code", "message"}].
boost::json::array RejectedToJson(const std::vector<IndexedRejection>& rejected);

// True for a UUID in the 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace pagelift::collect
