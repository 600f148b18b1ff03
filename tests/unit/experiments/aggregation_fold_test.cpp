// The aggregation's fold (FoldVisitorState): random visitors' data arriving in random chunks, folded into the state of
// what came before, equal the state computed from all of the data at once, or the fold says it cannot tell (and the
// worker recomputes). Copies of an event (same event id, another timestamp, before or after the exposure), re-read
// rows, late and out-of-order exposures, orders before and after the events that report them, order updates. The
// fold gets no duplicate check: a copy must not be able to change the result (ComputeVisitorState's contract).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "experiments/aggregation.h"

namespace pagelift::experiments {
namespace {

constexpr std::string_view kExperiment = "11111111-1111-4111-8111-111111111111";
constexpr std::int64_t kExposed = 1'000'000'000;

// One stored row of a visitor: an event or a version of an order.
struct Arrival {
  std::optional<VisitorEvent> event;
  std::optional<VisitorOrder> order;
};

class RandomVisitor {
 public:
  explicit RandomVisitor(unsigned seed) : random_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }

  std::vector<Arrival> Arrivals() {
    std::vector<Arrival> out;
    static const char* kTypes[] = {"page_view", "product_view", "add_to_cart", "begin_checkout",
                                   "purchase",  "checkout_completed", "exposure"};
    static const char* kDevices[] = {"mobile", "desktop", ""};
    static const char* kVisitors[] = {"", "", "new", "true"};
    static const char* kMediums[] = {"", "email", "cpc"};
    int next_id = 0;
    for (int k = Uniform(1, 14); k > 0; --k) {
      VisitorEvent e;
      e.event_id = "e" + std::to_string(++next_id);
      e.type = kTypes[Uniform(0, 6)];
      e.ts_us = kExposed + Uniform(-3, 12) * 1000;
      e.session_id = Uniform(0, 2) == 0 ? "old" : "s1";
      if (e.type == "exposure") e.experiment_id = Uniform(0, 3) == 0 ? "other" : std::string(kExperiment);
      e.device = kDevices[Uniform(0, 2)];
      e.visitor = kVisitors[Uniform(0, 3)];
      e.utm_medium = kMediums[Uniform(0, 2)];
      if (e.type == "purchase" || e.type == "checkout_completed") {
        // An order's reports mostly agree on its total (order oK: K × 10.00); a few do not.
        const int order = Uniform(1, 3);
        e.order_id = Uniform(0, 2) == 0 ? "" : "o" + std::to_string(order);
        if (Uniform(0, 4) > 0) e.value_cents = Uniform(0, 5) == 0 ? 999 : order * 1000;
      }
      out.push_back(Arrival{e, std::nullopt});
      // Client retries: the same event with another timestamp (often on the other side of the exposure), at times
      // more than one.
      for (int copies = Uniform(0, 3) == 0 ? Uniform(1, 2) : 0; copies > 0; --copies) {
        VisitorEvent copy = e;
        copy.ts_us += Uniform(-2, 2) * 1000 + Uniform(1, 3);
        out.push_back(Arrival{copy, std::nullopt});
      }
    }
    for (int k = Uniform(0, 3); k > 0; --k) {
      const int order = Uniform(1, 3);
      VisitorOrder o{"o" + std::to_string(order), order * 1000, kExposed + Uniform(-2, 10) * 1000};
      out.push_back(Arrival{std::nullopt, o});
      if (Uniform(0, 2) == 0) {  // an update (refund, edit): a new total
        o.total_cents -= 500;
        out.push_back(Arrival{std::nullopt, o});
      }
    }
    // Mostly in time order, as beacons arrive, with a few late ones.
    auto time_of = [](const Arrival& a) { return a.event ? a.event->ts_us : a.order->created_us + 500; };
    std::stable_sort(out.begin(), out.end(),
                     [&](const Arrival& a, const Arrival& b) { return time_of(a) < time_of(b); });
    for (int k = Uniform(0, 2); k > 0 && out.size() > 1; --k) {
      const auto from = static_cast<std::size_t>(Uniform(0, static_cast<int>(out.size()) - 1));
      const auto to = static_cast<std::size_t>(Uniform(0, static_cast<int>(out.size()) - 1));
      std::swap(out[from], out[to]);
    }
    std::int64_t row = 0;
    for (Arrival& a : out) {
      if (a.event) a.event->row_id = ++row;
    }
    return out;
  }

 private:
  std::mt19937 random_;
};

// What the database holds after the first `count` arrivals: every event row, the newest version of each order.
struct Stored {
  std::vector<VisitorEvent> events;
  std::vector<VisitorOrder> orders;
};

Stored StoredAfter(const std::vector<Arrival>& arrivals, std::size_t count) {
  Stored s;
  std::map<std::string, VisitorOrder> orders;
  for (std::size_t i = 0; i < count; ++i) {
    if (arrivals[i].event) s.events.push_back(*arrivals[i].event);
    if (arrivals[i].order) orders[arrivals[i].order->order_id] = *arrivals[i].order;
  }
  for (const auto& [key, order] : orders) s.orders.push_back(order);
  return s;
}

TEST(AggregationFold, RandomChunksFoldToTheRecomputedState) {
  const std::optional<std::int64_t> cap = 5000;
  int folds = 0;
  int fallbacks = 0;
  for (unsigned seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE(seed);
    RandomVisitor visitor(seed);
    const auto arrivals = visitor.Arrivals();
    const Exposure exposure{"treatment", kExposed + visitor.Uniform(0, 1) * 1000};
    std::size_t done = static_cast<std::size_t>(visitor.Uniform(0, static_cast<int>(arrivals.size())));
    Stored stored = StoredAfter(arrivals, done);
    VisitorState state = ComputeVisitorState(kExperiment, exposure, stored.events, stored.orders, cap);
    std::size_t previous = done;  // the chunk before, re-read within the lateness window
    while (done < arrivals.size()) {
      const std::size_t end = std::min(arrivals.size(), done + static_cast<std::size_t>(visitor.Uniform(1, 4)));
      stored = StoredAfter(arrivals, end);
      const std::size_t from = visitor.Uniform(0, 1) == 0 ? previous : done;
      std::vector<VisitorEvent> new_events;
      std::vector<VisitorOrder> new_orders;
      for (std::size_t i = from; i < end; ++i) {
        if (arrivals[i].order) new_orders.push_back(*arrivals[i].order);
        if (arrivals[i].event) new_events.push_back(*arrivals[i].event);
      }
      const VisitorState expected = ComputeVisitorState(kExperiment, exposure, stored.events, stored.orders, cap);
      const auto folded = FoldVisitorState(kExperiment, state, exposure, new_events, new_orders, cap);
      if (folded) {
        ++folds;
        ASSERT_EQ(*folded, expected) << "arrivals " << done << ".." << end << " of " << arrivals.size();
        state = *folded;
      } else {
        ++fallbacks;
        state = expected;
      }
      previous = done;
      done = end;
    }
  }
  // The fold must do the work most of the time; falling back always would pass the equality trivially.
  EXPECT_GT(folds, fallbacks) << folds << " folds, " << fallbacks << " fallbacks";
}

TEST(AggregationFold, ChangedAssignmentFallsBack) {
  VisitorEvent view;
  view.event_id = "a";
  view.type = "product_view";
  view.ts_us = kExposed + 10;
  view.session_id = "s";
  const Exposure exposure{"control", kExposed};
  const VisitorState state = ComputeVisitorState(kExperiment, exposure, std::span(&view, 1), {}, std::nullopt);
  EXPECT_TRUE(state.values.viewed);
  VisitorEvent cart = view;
  cart.event_id = "b";
  cart.type = "add_to_cart";
  cart.ts_us += 5;
  const auto folded = FoldVisitorState(kExperiment, state, exposure, std::span(&cart, 1), {}, std::nullopt);
  ASSERT_TRUE(folded);
  EXPECT_TRUE(folded->values.added_to_cart);
  EXPECT_FALSE(FoldVisitorState(kExperiment, state, Exposure{"treatment", kExposed}, std::span(&cart, 1), {},
                                std::nullopt));
}

// A second copy of an event (the same event id with another timestamp: the collector refuses only exact repeats)
// counts once, whichever copy arrives first, and the fold agrees without being told that it is a copy.
class EventCopies : public ::testing::Test {
 protected:
  static VisitorEvent Event(std::string id, std::string type, std::int64_t offset) {
    VisitorEvent e;
    e.event_id = std::move(id);
    e.type = std::move(type);
    e.ts_us = kExposed + offset;
    e.session_id = "s";
    return e;
  }
  static VisitorEvent Purchase(std::string id, std::int64_t offset, std::int64_t cents) {
    VisitorEvent e = Event(std::move(id), "purchase", offset);
    e.value_cents = cents;
    return e;
  }
  // The state of `before`, then `after` folded in: checked against the state of all of the rows.
  static std::optional<VisitorState> Fold(const std::vector<VisitorEvent>& before,
                                          const std::vector<VisitorEvent>& after) {
    const VisitorState state = ComputeVisitorState(kExperiment, kExposure, before, {}, std::nullopt);
    auto folded = FoldVisitorState(kExperiment, state, kExposure, after, {}, std::nullopt);
    std::vector<VisitorEvent> all = before;
    all.insert(all.end(), after.begin(), after.end());
    if (folded) {
      EXPECT_EQ(*folded, ComputeVisitorState(kExperiment, kExposure, all, {}, std::nullopt));
    }
    return folded;
  }
  static VisitorEvent Exposed(std::int64_t offset, std::string device) {
    VisitorEvent e = Event("x", "exposure", offset);
    e.experiment_id = std::string(kExperiment);
    e.device = std::move(device);
    return e;
  }
  static inline const Exposure kExposure{"control", kExposed};
};

TEST_F(EventCopies, AnyCopyAtOrAfterTheExposureSetsTheFlag) {
  const VisitorEvent early = Event("a", "product_view", -5);  // before the exposure: does not count
  const VisitorEvent late = Event("a", "product_view", 5);    // its copy after the exposure: counts
  const auto folded = Fold({Exposed(0, "mobile"), early}, {late});
  ASSERT_TRUE(folded);
  EXPECT_TRUE(folded->values.viewed);
  // In the other order too: the state of both rows does not depend on which came first.
  const auto reversed = Fold({Exposed(0, "mobile"), late}, {early});
  ASSERT_TRUE(reversed);
  EXPECT_EQ(*reversed, *folded);
}

TEST_F(EventCopies, APurchaseCountsOnceWithItsEarliestAmount) {
  const auto folded = Fold({Exposed(0, "mobile"), Purchase("p", 10, 1000)}, {Purchase("p", 20, 1000)});
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->values.orders, 1);
  EXPECT_EQ(folded->values.revenue_cents, 1000);
  // A copy reporting another amount: the earliest report wins, which only the history can tell.
  const std::vector<VisitorEvent> rows = {Exposed(0, "mobile"), Purchase("p", 10, 1000), Purchase("p", 5, 999)};
  EXPECT_EQ(ComputeVisitorState(kExperiment, kExposure, rows, {}, std::nullopt).values.revenue_cents, 999);
  EXPECT_FALSE(Fold({rows[0], rows[1]}, {rows[2]}));
}

TEST_F(EventCopies, ALaterCopyOfTheSegmentSourceChangesNothing) {
  const VisitorEvent exposed = Exposed(0, "mobile");
  VisitorEvent later = exposed;
  later.ts_us += 50;
  later.device = "desktop";  // even if a copy disagreed, the earliest row is the source
  const auto folded = Fold({exposed, Event("a", "add_to_cart", 3)}, {later});
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->values.segments,
            (std::vector<std::string>{"device:mobile", "source:direct", "visitor:new"}));
  // An earlier copy moves the source: the fold recomputes.
  EXPECT_FALSE(Fold({later}, {exposed}));
}

TEST(AggregationFold, FoldStateTextRoundTrips) {
  VisitorState state;
  state.assigned_us = 1'700'000'000'000'000;
  // Keys and strings with the format's own separators, digits first, empty and non-ASCII: lengths, not escapes.
  state.order_cents = {{"gid://shopify/Order/1", 1999}, {"event:\"x\" 2:ab", -5}, {"", 0}, {"12 3:x", 7}};
  state.segment_source = SegmentSource{42, "e 1", "exposure", "s\t1 \u00e9", true};
  state.visitor_inferred = true;
  VisitorState read;
  ASSERT_TRUE(FoldStateFromText(FoldStateToText(state), read));
  EXPECT_EQ(read, state);
  state.segment_source.reset();
  state.order_cents.clear();
  state.visitor_inferred = false;
  state.assigned_us = -1;
  ASSERT_TRUE(FoldStateFromText(FoldStateToText(state), read));
  EXPECT_EQ(read, state);
  EXPECT_EQ(FoldStateToText(state), "1 -1 0 - 0");
  // Compact: the state of a typical visitor (source from a page view, no orders) in about 100 bytes.
  state.segment_source = SegmentSource{1'796'025'666'785'044, "2555243b-47f1-46ca-aae8-b254584d8d42", "page_view",
                                       "s1", false};
  EXPECT_LE(FoldStateToText(state).size(), 100u) << FoldStateToText(state);
}

TEST(AggregationFold, MalformedFoldStateIsRefused) {
  VisitorState state;
  state.assigned_us = 5;
  state.order_cents = {{"a", 1}};
  const VisitorState before = state;
  for (const char* text : {"", "{}", "not a state", "2 5 0 - 0", "1 5 0 - 1", "1 5 0 - 1 1:a", "1 5 0 - 1 2:a 3",
                           "1 5 0 - 0 ", "1 5 2 - 0", "1 x 0 - 0", "1 5 0 s1 1 1:e 1:t", "1 5 0 - 2 1:a 1 1:a 2",
                           "1 5 0 - -1", "1 5 0 - 1 99999999999999999999:a 1", "1 5 0 s1 0 9:e 1:t 1:s 0"}) {
    EXPECT_FALSE(FoldStateFromText(text, state)) << text;
    EXPECT_EQ(state, before) << text;  // untouched
  }
  EXPECT_TRUE(FoldStateFromText("1 5 0 s1 0 1:e 1:t 1:s 1 1:b 2", state));
  EXPECT_EQ(state.order_cents, (std::map<std::string, std::int64_t>{{"b", 2}}));
}

}  // namespace
}  // namespace pagelift::experiments
