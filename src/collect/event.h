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
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
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

// A validated event, normalised for storage. A view, not an owner: its text points into the request's parsed JSON
// and into the arena of text that validation had to make (a lower-cased id, the serialised props), so it is valid as
// long as both are (Batch owns both for the events it holds). Copying nothing per event is the point: the collector
// handles tens of thousands of events a second, and per-event strings were most of its allocator traffic.
struct Event {
  std::string_view id;  // lower-case canonical UUID
  EventType type = EventType::kPageView;
  TimePoint ts;
  std::string_view anon_id;
  std::string_view session_id;
  std::optional<std::string_view> product_id;
  std::optional<std::string_view> experiment;
  std::optional<std::string_view> variant;
  std::string_view props_json = "{}";  // the props object, serialised (JSONB input)
};

struct Limits {
  size_t max_events = 500;             // per batch
  size_t max_string_bytes = 128;       // anon_id, session_id, product_id, experiment, variant
  size_t max_props_bytes = 8 * 1024;   // serialised props
  std::chrono::seconds max_age = std::chrono::hours(24 * 7);   // older events are refused (late beacons, replays)
  std::chrono::seconds max_clock_skew = std::chrono::minutes(5);  // a visitor's clock may run a little fast
};

// The first block of an Arena, lent by a small per-thread cache and given back to the cache of the thread that frees
// it: a batch needs tens of KB, and a fresh block per request made malloc trim and re-fault its heap all the time
// (madvise and page faults were about 3% of the collector's CPU).
class ArenaBlock {
 public:
  explicit ArenaBlock(size_t bytes);
  ~ArenaBlock();
  ArenaBlock(const ArenaBlock&) = delete;
  ArenaBlock& operator=(const ArenaBlock&) = delete;

  unsigned char* data() const { return block_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<unsigned char[]> block_;
  size_t size_ = 0;
};

// Where one request's memory comes from: its parsed JSON and the text its events need besides, freed as a whole.
// Parse into it through storage(): a non-owning storage_ptr to a monotonic resource, which boost::json knows frees
// nothing per value, so it neither destroys the values one by one nor counts references to the resource.
class Arena {
 public:
  // first_block: what the request is expected to need (more is taken from the heap as needed).
  explicit Arena(size_t first_block = 4096) : first_(first_block), resource_(first_.data(), first_.size()) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  boost::json::storage_ptr storage() { return boost::json::storage_ptr(&resource_); }
  void* Allocate(size_t bytes, size_t alignment = 1) { return resource_.allocate(bytes, alignment); }

 private:
  ArenaBlock first_;  // before resource_, which uses it until it is destroyed
  boost::json::monotonic_resource resource_;
};

// Checks one array item of "events". The Event views `item` and `arena`.
std::variant<Event, Rejection> ValidateEvent(const boost::json::value& item, TimePoint now, Arena& arena,
                                             const Limits& limits = {});

struct IndexedRejection {
  size_t index;  // position in the request's "events" array
  Rejection rejection;
};

// A validated batch: owns the request's JSON and the arena its events view, so the events are valid as long as the
// Batch is (moving it keeps them valid: the JSON's objects and strings stay where they are). Not copyable, since a
// copy's events would still view the original.
struct Batch {
  std::unique_ptr<Arena> arena;  // the body's memory, and the events' text
  boost::json::value body;       // after the arena: destroyed before it
  std::string shop;  // the shop's public id, as sent (not yet resolved)
  std::vector<Event> events;
  std::vector<IndexedRejection> rejected;

  // Move construction steals the body's memory; move assignment is deleted because boost::json copies a value
  // whose storage differs from the target's.
  Batch(std::unique_ptr<Arena> memory, boost::json::value json) : arena(std::move(memory)), body(std::move(json)) {}
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = delete;
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
};

// Checks the envelope {"shop": "...", "events": [...]} and every event; takes the body, whose text the events view,
// and the arena it was parsed into, if any (boost::json::storage_ptr(arena.get())), where the events' own text then
// goes too; without one the Batch makes an arena of its own. An envelope error is a 400 Error (over max_events:
// details {"limit": max_events, "received": n}).
Result<Batch> ParseBatch(boost::json::value body, TimePoint now, const Limits& limits = {},
                         std::unique_ptr<Arena> arena = nullptr);

// The "rejected" array of the response: [{"index", "code", "message"}].
boost::json::array RejectedToJson(const std::vector<IndexedRejection>& rejected);

// True for a UUID in the 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace pagelift::collect
