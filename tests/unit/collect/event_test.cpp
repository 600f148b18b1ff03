// Validation of collector events and batches (src/collect/event.h): one test per rule, each with a value just inside
// and just outside the limit where there is one.
#include "collect/event.h"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <set>

namespace pagelift::collect {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = *ParseRfc3339("2026-11-30T12:00:00Z");

json::object GoodEvent() {
  return json::object{{"id", "0B6A4E5C-1D2F-4A3B-9C8D-7E6F5A4B3C2D"},
                      {"type", "page_view"},
                      {"ts", "2026-11-30T11:59:00.123Z"},
                      {"anon_id", "anon-1"},
                      {"session_id", "sess-1"}};
}

// The arena of the events these tests validate; it lives as long as the test program, and each test keeps its items.
Arena& TestArena() {
  static Arena arena;
  return arena;
}

// Validates an item that the event may view: a copy kept alive in the arena (tests build items as temporaries).
Event Accept(const json::value& item) {
  auto* kept = new (TestArena().Allocate(sizeof(json::value), alignof(json::value)))
      json::value(item, TestArena().storage());
  auto result = ValidateEvent(*kept, kNow, TestArena());
  if (auto* rejection = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << "rejected: " << ReasonCode(rejection->reason) << ": " << rejection->message;
    return {};
  }
  return std::get<Event>(std::move(result));
}

RejectReason RejectionOf(const json::value& item) {
  auto result = ValidateEvent(item, kNow, TestArena());
  if (std::holds_alternative<Event>(result)) {
    ADD_FAILURE() << "accepted: " << json::serialize(item);
    return RejectReason::kNotAnObject;
  }
  return std::get<Rejection>(result).reason;
}

json::object With(std::string_view field, json::value value) {
  auto event = GoodEvent();
  event[field] = std::move(value);
  return event;
}

json::object WithText(std::string_view field, const std::string& text) { return With(field, json::string(text)); }

json::object Without(std::string_view field) {
  auto event = GoodEvent();
  event.erase(field);
  return event;
}

TEST(EventTypes, NamesRoundTripAndUnknownIsRefused) {
  for (size_t i = 0; i < kEventTypeNames.size(); ++i) {
    const auto type = ParseEventType(kEventTypeNames[i]);
    ASSERT_TRUE(type.has_value()) << kEventTypeNames[i];
    EXPECT_EQ(static_cast<size_t>(*type), i);
    EXPECT_EQ(EventTypeName(*type), kEventTypeNames[i]);
  }
  EXPECT_FALSE(ParseEventType("PAGE_VIEW"));
  EXPECT_FALSE(ParseEventType("click"));
  EXPECT_FALSE(ParseEventType(""));
}

TEST(ValidateEvent, NormalisesAGoodEvent) {
  auto item = GoodEvent();
  item["product_id"] = "gid://shopify/Product/1";
  item["experiment"] = "exp";
  item["variant"] = "b";
  item["props"] = json::object{{"price", 1999}, {"currency", "EUR"}};
  const Event event = Accept(item);
  EXPECT_EQ(event.id, "0b6a4e5c-1d2f-4a3b-9c8d-7e6f5a4b3c2d");  // lower-cased
  EXPECT_EQ(event.type, EventType::kPageView);
  EXPECT_EQ(event.ts, *ParseRfc3339("2026-11-30T11:59:00.123Z"));
  EXPECT_EQ(event.anon_id, "anon-1");
  EXPECT_EQ(event.session_id, "sess-1");
  EXPECT_EQ(event.product_id, "gid://shopify/Product/1");
  EXPECT_EQ(event.experiment, "exp");
  EXPECT_EQ(event.variant, "b");
  EXPECT_EQ(json::parse(event.props_json), json::parse(R"({"price":1999,"currency":"EUR"})"));
}

TEST(ValidateEvent, OptionalFieldsMayBeAbsentOrNull) {
  const Event absent = Accept(GoodEvent());
  EXPECT_FALSE(absent.product_id);
  EXPECT_FALSE(absent.experiment);
  EXPECT_FALSE(absent.variant);
  EXPECT_EQ(absent.props_json, "{}");
  auto item = GoodEvent();
  item["product_id"] = nullptr;
  item["props"] = nullptr;
  const Event nulls = Accept(item);
  EXPECT_FALSE(nulls.product_id);
  EXPECT_EQ(nulls.props_json, "{}");
}

TEST(ValidateEvent, ItemMustBeAnObject) {
  EXPECT_EQ(RejectionOf(json::value("page_view")), RejectReason::kNotAnObject);
  EXPECT_EQ(RejectionOf(json::array{}), RejectReason::kNotAnObject);
  EXPECT_EQ(RejectionOf(nullptr), RejectReason::kNotAnObject);
}

TEST(ValidateEvent, RequiredFieldsAreRequired) {
  for (const char* field : {"id", "type", "ts", "anon_id", "session_id"}) {
    EXPECT_EQ(RejectionOf(Without(field)), RejectReason::kMissingField) << field;
    EXPECT_EQ(RejectionOf(With(field, nullptr)), RejectReason::kMissingField) << field;
    EXPECT_EQ(RejectionOf(With(field, 42)), RejectReason::kWrongType) << field;
  }
  EXPECT_EQ(RejectionOf(With("anon_id", "")), RejectReason::kMissingField);
  EXPECT_EQ(RejectionOf(With("session_id", "")), RejectReason::kMissingField);
}

TEST(ValidateEvent, IdMustBeAUuid) {
  EXPECT_EQ(RejectionOf(With("id", "not-a-uuid")), RejectReason::kInvalidId);
  EXPECT_EQ(RejectionOf(With("id", "0b6a4e5c1d2f4a3b9c8d7e6f5a4b3c2d")), RejectReason::kInvalidId);  // no dashes
  EXPECT_EQ(RejectionOf(With("id", "0b6a4e5c-1d2f-4a3b-9c8d-7e6f5a4b3c2g")), RejectReason::kInvalidId);
  EXPECT_EQ(RejectionOf(With("id", "0b6a4e5c-1d2f-4a3b-9c8d-7e6f5a4b3c2d0")), RejectReason::kInvalidId);
  EXPECT_EQ(RejectionOf(WithText("id", std::string(200, 'a'))), RejectReason::kInvalidId);
}

TEST(ValidateEvent, TypeMustBeKnown) {
  EXPECT_EQ(RejectionOf(With("type", "click")), RejectReason::kUnknownType);
  EXPECT_EQ(Accept(With("type", "exposure")).type, EventType::kExposure);
  EXPECT_EQ(Accept(With("type", "checkout_completed")).type, EventType::kCheckoutCompleted);
}

TEST(ValidateEvent, TsMustBeRfc3339WithinTheWindow) {
  EXPECT_EQ(RejectionOf(With("ts", "yesterday")), RejectReason::kInvalidTs);
  EXPECT_EQ(RejectionOf(With("ts", "2026-11-30T11:59:00")), RejectReason::kInvalidTs);  // no zone
  EXPECT_EQ(RejectionOf(With("ts", 1764503940000)), RejectReason::kWrongType);           // epoch ms
  // The window is [now - 7 days, now + 5 minutes], both ends included.
  EXPECT_EQ(Accept(With("ts", "2026-11-23T12:00:00Z")).ts, kNow - hours(24 * 7));
  EXPECT_EQ(RejectionOf(With("ts", "2026-11-23T11:59:59.999Z")), RejectReason::kTsOutOfRange);
  EXPECT_EQ(Accept(With("ts", "2026-11-30T12:05:00Z")).ts, kNow + minutes(5));
  EXPECT_EQ(RejectionOf(With("ts", "2026-11-30T12:05:00.001Z")), RejectReason::kTsOutOfRange);
  // Offsets are honoured: 13:04 at +01:00 is 12:04 UTC.
  EXPECT_EQ(Accept(With("ts", "2026-11-30T13:04:00+01:00")).ts, kNow + minutes(4));
}

TEST(ValidateEvent, StringsAreLimitedTo128Bytes) {
  for (const char* field : {"anon_id", "session_id", "product_id", "experiment", "variant"}) {
    Accept(WithText(field, std::string(128, 'x')));
    EXPECT_EQ(RejectionOf(WithText(field, std::string(129, 'x'))), RejectReason::kTooLong) << field;
    EXPECT_EQ(RejectionOf(With(field, json::array{"x"})), RejectReason::kWrongType) << field;
  }
  // Bytes, not characters: 43 three-byte characters are 129 bytes.
  std::string euros;
  for (int i = 0; i < 43; ++i) euros += "\xe2\x82\xac";
  EXPECT_EQ(RejectionOf(WithText("anon_id", euros)), RejectReason::kTooLong);
}

TEST(ValidateEvent, NulCharactersAreRefusedEverywhere) {
  EXPECT_EQ(RejectionOf(WithText("anon_id", std::string("a\0b", 3))), RejectReason::kInvalidText);
  EXPECT_EQ(RejectionOf(WithText("variant", std::string("\0", 1))), RejectReason::kInvalidText);
  EXPECT_EQ(RejectionOf(With("props", json::parse(R"({"a":{"b":["ok","x\u0000"]}})"))), RejectReason::kInvalidText);
  EXPECT_EQ(RejectionOf(With("props", json::parse(R"({"k\u0000":1})"))), RejectReason::kInvalidText);
}

TEST(ValidateEvent, PropsMustBeAnObjectOfAtMost8KiB) {
  EXPECT_EQ(RejectionOf(With("props", json::array{1, 2})), RejectReason::kWrongType);
  EXPECT_EQ(RejectionOf(With("props", "text")), RejectReason::kWrongType);
  // {"k":"<v>"} serialises to 8 + |v| bytes.
  const size_t limit = Limits{}.max_props_bytes;
  EXPECT_EQ(Accept(With("props", json::object{{"k", std::string(limit - 8, 'v')}})).props_json.size(), limit);
  EXPECT_EQ(RejectionOf(With("props", json::object{{"k", std::string(limit - 7, 'v')}})),
            RejectReason::kPropsTooLarge);
}

TEST(ValidateEvent, ReasonCodesAreDistinct) {
  std::set<std::string_view> codes;
  for (size_t i = 0; i < kRejectReasonCount; ++i) codes.insert(ReasonCode(static_cast<RejectReason>(i)));
  EXPECT_EQ(codes.size(), kRejectReasonCount);
  EXPECT_EQ(codes.count("invalid"), 0u);
}

json::object Body(json::array events) { return json::object{{"shop", "shop-public-1"}, {"events", std::move(events)}}; }

TEST(ParseBatch, KeepsGoodEventsAndReportsBadOnesByIndex) {
  auto result = ParseBatch(Body({GoodEvent(), With("type", "click"), 7, With("id", "0b6a4e5c-1d2f-4a3b-9c8d-000000000000")}),
                           kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->shop, "shop-public-1");
  ASSERT_EQ(result->events.size(), 2u);
  EXPECT_EQ(result->events[1].id, "0b6a4e5c-1d2f-4a3b-9c8d-000000000000");
  ASSERT_EQ(result->rejected.size(), 2u);
  EXPECT_EQ(result->rejected[0].index, 1u);
  EXPECT_EQ(result->rejected[0].rejection.reason, RejectReason::kUnknownType);
  EXPECT_EQ(result->rejected[1].index, 2u);
  EXPECT_EQ(result->rejected[1].rejection.reason, RejectReason::kNotAnObject);

  const json::array rejected = RejectedToJson(result->rejected);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].at("index"), 1);
  EXPECT_EQ(rejected[0].at("code"), "unknown_type");
  EXPECT_TRUE(rejected[0].at("message").is_string());
}

// The events view the request's JSON where they can (nothing is copied out of the arena the body was parsed into),
// and stay valid when the batch moves.
TEST(ParseBatch, EventsViewTheBodyParsedIntoTheArenaAndSurviveAMove) {
  auto arena = std::make_unique<Arena>();
  Arena* memory = arena.get();
  json::value body = json::parse(R"({"shop":"s","events":[{"id":"0B6A4E5C-1D2F-4A3B-9C8D-7E6F5A4B3C2D",)"
                                 R"("type":"page_view","ts":"2026-11-30T11:59:00Z","anon_id":"a-long-anonymous-id",)"
                                 R"("session_id":"s","product_id":"gid://shopify/Product/1","props":{"k":[1,"v"]}}]})",
                                 memory->storage());
  const char* anon_text = body.at("events").at(0).at("anon_id").as_string().data();
  auto parsed = ParseBatch(std::move(body), kNow, {}, std::move(arena));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->arena.get(), memory);
  EXPECT_EQ(parsed->body.storage().get(), memory->storage().get());
  Batch moved(std::move(*parsed));
  ASSERT_EQ(moved.events.size(), 1u);
  const Event& event = moved.events[0];
  EXPECT_EQ(event.anon_id.data(), anon_text);
  EXPECT_EQ(event.anon_id, "a-long-anonymous-id");
  EXPECT_EQ(event.id, "0b6a4e5c-1d2f-4a3b-9c8d-7e6f5a4b3c2d");  // lower-cased into the arena
  EXPECT_EQ(event.product_id, "gid://shopify/Product/1");
  EXPECT_EQ(event.props_json, R"({"k":[1,"v"]})");
}

TEST(ParseBatch, MakesAnArenaWhenTheBodyHasNone) {
  json::value body = Body({With("props", json::object{{"a", "b"}})});
  auto parsed = ParseBatch(std::move(body), kNow);
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed->arena, nullptr);
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].props_json, R"({"a":"b"})");
  EXPECT_EQ(parsed->events[0].anon_id, "anon-1");
}

TEST(ParseBatch, EnvelopeErrorsAre400) {
  for (const char* body : {R"([])", R"("x")", R"({"events":[]})", R"({"shop":7,"events":[{}]})",
                           R"({"shop":"","events":[{}]})", R"({"shop":"s"})", R"({"shop":"s","events":{}})",
                           R"({"shop":"s","events":[]})"}) {
    auto result = ParseBatch(json::parse(body), kNow);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.error().code, ErrorCode::kBadRequest) << body;
  }
}

TEST(ParseBatch, AtMost500Events) {
  json::array events(500, GoodEvent());
  EXPECT_TRUE(ParseBatch(Body(events), kNow).ok());
  events.push_back(GoodEvent());
  auto result = ParseBatch(Body(events), kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(result.error().details.at("limit"), 500);
  EXPECT_EQ(result.error().details.at("received"), 501);
}

}  // namespace
}  // namespace pagelift::collect
