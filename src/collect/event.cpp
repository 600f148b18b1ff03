#include "collect/event.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serializer.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

namespace pagelift::collect {

namespace json = boost::json;

std::string_view EventTypeName(EventType type) { return kEventTypeNames.at(static_cast<size_t>(type)); }

std::optional<EventType> ParseEventType(std::string_view name) {
  const auto it = std::find(kEventTypeNames.begin(), kEventTypeNames.end(), name);
  if (it == kEventTypeNames.end()) return std::nullopt;
  return static_cast<EventType>(it - kEventTypeNames.begin());
}

std::string_view ReasonCode(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNotAnObject: return "not_an_object";
    case RejectReason::kMissingField: return "missing_field";
    case RejectReason::kWrongType: return "wrong_type";
    case RejectReason::kInvalidId: return "invalid_id";
    case RejectReason::kUnknownType: return "unknown_type";
    case RejectReason::kInvalidTs: return "invalid_ts";
    case RejectReason::kTsOutOfRange: return "ts_out_of_range";
    case RejectReason::kTooLong: return "too_long";
    case RejectReason::kInvalidText: return "invalid_text";
    case RejectReason::kPropsTooLarge: return "props_too_large";
  }
  return "invalid";
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

namespace {

// The blocks ArenaBlock keeps per thread: a few, so that an I/O thread's concurrent requests each find one, and none
// larger than a full batch needs, so that one huge request does not stay in memory for ever.
struct CachedBlock {
  std::unique_ptr<unsigned char[]> block;
  size_t size;
};
constexpr size_t kCachedBlocks = 8;
constexpr size_t kMaxCachedBlockBytes = 1 << 20;
constexpr size_t kMinBlockBytes = 16 * 1024;

// Set when the thread's cache is destroyed: an Arena that outlives it (a static one, destroyed after the main thread's
// thread_locals) then frees its block instead of handing it to a vector that is gone.
thread_local bool block_cache_gone = false;

struct BlockCacheOfThread {
  std::vector<CachedBlock> blocks;
  ~BlockCacheOfThread() { block_cache_gone = true; }
};

std::vector<CachedBlock>* BlockCache() {
  if (block_cache_gone) return nullptr;
  thread_local BlockCacheOfThread cache;
  return &cache.blocks;
}

}  // namespace

ArenaBlock::ArenaBlock(size_t bytes) {
  if (auto* cache = BlockCache()) {
    for (auto it = cache->begin(); it != cache->end(); ++it) {
      if (it->size >= bytes) {
        block_ = std::move(it->block);
        size_ = it->size;
        cache->erase(it);
        return;
      }
    }
  }
  size_ = std::max(bytes, kMinBlockBytes);
  block_ = std::make_unique_for_overwrite<unsigned char[]>(size_);
}

ArenaBlock::~ArenaBlock() {
  auto* cache = BlockCache();
  if (cache == nullptr || size_ > kMaxCachedBlockBytes || cache->size() >= kCachedBlocks) return;
  cache->push_back({std::move(block_), size_});
}

namespace {

Rejection Reject(RejectReason reason, std::string message) { return Rejection{reason, std::move(message)}; }

// `text` copied into the arena (which frees nothing until it goes as a whole).
std::string_view InArena(Arena& arena, std::string_view text) {
  auto* out = static_cast<char*>(arena.Allocate(text.size()));
  std::memcpy(out, text.data(), text.size());
  return {out, text.size()};
}

// The id in lower case: the JSON's own text when it is already (browsers' crypto.randomUUID() is), else a copy.
std::string_view LowerId(Arena& arena, std::string_view id) {
  if (std::none_of(id.begin(), id.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return id;
  auto* out = static_cast<char*>(arena.Allocate(id.size()));
  std::transform(id.begin(), id.end(), out, [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return {out, id.size()};
}

// Reads a string field into `out` (a view of the JSON's text). Absent or null: `required` decides between a rejection
// and leaving `out` empty.
std::optional<Rejection> ReadString(const json::object& event, std::string_view field, bool required,
                                    size_t max_bytes, std::optional<std::string_view>& out) {
  const json::value* value = event.if_contains(field);
  if (value == nullptr || value->is_null()) {
    if (required) return Reject(RejectReason::kMissingField, fmt::format("\"{}\" is required", field));
    return std::nullopt;
  }
  if (!value->is_string()) return Reject(RejectReason::kWrongType, fmt::format("\"{}\" must be a string", field));
  const json::string& text = value->get_string();
  if (text.empty() && required) {
    return Reject(RejectReason::kMissingField, fmt::format("\"{}\" must not be empty", field));
  }
  if (text.size() > max_bytes) {
    return Reject(RejectReason::kTooLong, fmt::format("\"{}\" is longer than {} bytes", field, max_bytes));
  }
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
    return Reject(RejectReason::kInvalidText, fmt::format("\"{}\" contains a NUL character", field));
  }
  out.emplace(text.data(), text.size());
  return std::nullopt;
}

// Strings nested anywhere in props: PostgreSQL's jsonb refuses \u0000, and one such value would fail the whole
// group commit, so it is refused here.
bool ContainsNul(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string: {
      const auto& s = value.get_string();
      return std::memchr(s.data(), '\0', s.size()) != nullptr;
    }
    case json::kind::array:
      return std::any_of(value.get_array().begin(), value.get_array().end(), ContainsNul);
    case json::kind::object:
      for (const auto& entry : value.get_object()) {
        if (entry.key().find('\0') != json::string_view::npos || ContainsNul(entry.value())) return true;
      }
      return false;
    default:
      return false;
  }
}

// The props object serialised into the arena; nullopt when it is longer than max_bytes. Serialised once, here, into
// a per-thread scratch buffer of max_bytes + 1 (so an oversized object stops there), then copied at its exact size.
std::optional<std::string_view> SerializeProps(const json::value& props, size_t max_bytes,
                                               Arena& arena) {
  thread_local std::string scratch;
  if (scratch.size() < max_bytes + 1) scratch.resize(max_bytes + 1);
  json::serializer serializer;
  serializer.reset(&props);
  const std::string_view text = serializer.read(scratch.data(), max_bytes + 1);
  if (!serializer.done()) return std::nullopt;
  if (text.size() > max_bytes) return std::nullopt;
  return InArena(arena, text);
}

}  // namespace

std::variant<Event, Rejection> ValidateEvent(const json::value& item, TimePoint now, Arena& arena,
                                             const Limits& limits) {
  const json::object* object = item.if_object();
  if (object == nullptr) return Reject(RejectReason::kNotAnObject, "an event must be a JSON object");
  Event event;

  std::optional<std::string_view> text;
  if (auto bad = ReadString(*object, "id", true, 36, text)) {
    if (bad->reason == RejectReason::kTooLong) return Reject(RejectReason::kInvalidId, "\"id\" must be a UUID");
    return *bad;
  }
  if (!IsUuid(*text)) return Reject(RejectReason::kInvalidId, "\"id\" must be a UUID");
  event.id = LowerId(arena, *text);

  text.reset();
  if (auto bad = ReadString(*object, "type", true, 64, text)) {
    if (bad->reason == RejectReason::kTooLong) return Reject(RejectReason::kUnknownType, "\"type\" is not known");
    return *bad;
  }
  const auto type = ParseEventType(*text);
  if (!type) return Reject(RejectReason::kUnknownType, fmt::format("\"type\" \"{}\" is not known", *text));
  event.type = *type;

  text.reset();
  if (auto bad = ReadString(*object, "ts", true, 64, text)) {
    if (bad->reason == RejectReason::kTooLong) return Reject(RejectReason::kInvalidTs, "\"ts\" is not RFC 3339");
    return *bad;
  }
  const auto ts = ParseRfc3339(*text);
  if (!ts) return Reject(RejectReason::kInvalidTs, "\"ts\" must be an RFC 3339 timestamp with a time zone");
  if (*ts < now - limits.max_age || *ts > now + limits.max_clock_skew) {
    return Reject(RejectReason::kTsOutOfRange,
                  fmt::format("\"ts\" must be within the last {} hours and at most {} seconds ahead",
                              limits.max_age.count() / 3600, limits.max_clock_skew.count()));
  }
  event.ts = *ts;

  std::optional<std::string_view> anon_id;
  std::optional<std::string_view> session_id;
  if (auto bad = ReadString(*object, "anon_id", true, limits.max_string_bytes, anon_id)) return *bad;
  if (auto bad = ReadString(*object, "session_id", true, limits.max_string_bytes, session_id)) return *bad;
  event.anon_id = *anon_id;
  event.session_id = *session_id;
  if (auto bad = ReadString(*object, "product_id", false, limits.max_string_bytes, event.product_id)) return *bad;
  if (auto bad = ReadString(*object, "experiment", false, limits.max_string_bytes, event.experiment)) return *bad;
  if (auto bad = ReadString(*object, "variant", false, limits.max_string_bytes, event.variant)) return *bad;

  if (const json::value* props = object->if_contains("props"); props != nullptr && !props->is_null()) {
    if (!props->is_object()) return Reject(RejectReason::kWrongType, "\"props\" must be an object");
    if (ContainsNul(*props)) return Reject(RejectReason::kInvalidText, "\"props\" contains a NUL character");
    const auto serialized = SerializeProps(*props, limits.max_props_bytes, arena);
    if (!serialized) {
      return Reject(RejectReason::kPropsTooLarge,
                    fmt::format("\"props\" is larger than {} bytes when serialised", limits.max_props_bytes));
    }
    event.props_json = *serialized;
  }
  return event;
}

Result<Batch> ParseBatch(json::value body, TimePoint now, const Limits& limits, std::unique_ptr<Arena> arena) {
  if (!body.is_object()) {
    return MakeError(ErrorCode::kBadRequest, "the body must be a JSON object {\"shop\": ..., \"events\": [...]}");
  }
  // Moving the root object moves only its table pointer: the strings the events view stay where they are.
  Batch batch(arena ? std::move(arena) : std::make_unique<Arena>(), std::move(body));
  const json::object& object = batch.body.get_object();
  const json::value* shop = object.if_contains("shop");
  if (shop == nullptr || !shop->is_string() || shop->get_string().empty()) {
    return MakeError(ErrorCode::kBadRequest, "\"shop\" must be the shop's public id (a string)", {{"field", "shop"}});
  }
  batch.shop = std::string(shop->get_string());

  const json::value* events = object.if_contains("events");
  if (events == nullptr || !events->is_array()) {
    return MakeError(ErrorCode::kBadRequest, "\"events\" must be an array of events", {{"field", "events"}});
  }
  const json::array& items = events->get_array();
  if (items.empty()) {
    return MakeError(ErrorCode::kBadRequest, "\"events\" must contain at least one event", {{"field", "events"}});
  }
  if (items.size() > limits.max_events) {
    return MakeError(ErrorCode::kBadRequest,
                     fmt::format("a batch holds at most {} events; split it", limits.max_events),
                     {{"field", "events"}, {"limit", limits.max_events}, {"received", items.size()}});
  }
  batch.events.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto checked = ValidateEvent(items[i], now, *batch.arena, limits);
    if (auto* event = std::get_if<Event>(&checked)) {
      batch.events.push_back(*event);
    } else {
      batch.rejected.push_back({i, std::get<Rejection>(std::move(checked))});
    }
  }
  return batch;
}

json::array RejectedToJson(const std::vector<IndexedRejection>& rejected) {
  json::array out;
  out.reserve(rejected.size());
  for (const auto& entry : rejected) {
    out.push_back(json::object{{"index", entry.index},
                               {"code", ReasonCode(entry.rejection.reason)},
                               {"message", entry.rejection.message}});
  }
  return out;
}

}  // namespace pagelift::collect
