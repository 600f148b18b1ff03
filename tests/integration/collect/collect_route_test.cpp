// POST /v1/collect over real HTTP (http::Server on a free port) against a migrated test database: what the storefront
// script, the Web Pixel and server-side senders see, and what lands in `events` and `assignments`.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "collect_harness.h"
#include "http/gzip.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

// A base, so that the database exists before CollectHarness (the next base) connects to it.
struct WithTestDatabase {
  TestDatabase tdb_;
};

class CollectRouteTest : public ::testing::Test, protected WithTestDatabase, public CollectHarness {
 protected:
  CollectRouteTest() : CollectHarness(tdb_.conninfo(), db::DatabaseOptions{}) {}

  void SetUp() override {
    shop_id_ = InsertShop(database_);
    database_.Run([](pqxx::work& tx) {
      tx.exec("INSERT INTO shops (domain, public_id, access_token_enc, uninstalled_at) "
              "VALUES ('gone.myshopify.com', 'uninstalled001', '\\x00', now())");
    });
    StartServer({});
  }

  void TearDown() override { StopServer(); }

  std::string shop_id_;
};

TEST_F(CollectRouteTest, StoresAGoodBatchAfterCommit) {
  auto product_view = Event(Uuid(2), "product_view");
  product_view["ts"] = FormatRfc3339Millis(Clock::now() - std::chrono::minutes(1));
  product_view["product_id"] = "gid://shopify/Product/7";
  product_view["props"] = json::object{{"price", 1999}, {"tags", json::array{"a", "b"}}};
  const auto result = Post(Body({Event(Uuid(1)), product_view, Event(Uuid(3), "add_to_cart")}));
  ASSERT_EQ(result.status, 200) << result.body;
  const auto body = Parse(result);
  EXPECT_EQ(body.at("accepted"), 3);
  EXPECT_EQ(body.at("duplicates"), 0);
  EXPECT_EQ(body.at("rejected"), json::array{});

  EXPECT_EQ(Count("SELECT count(*) FROM events"), 3);
  const auto row = database_.Run([&](pqxx::work& tx) {
    return tx.exec_params(
        "SELECT shop_id::text, event_type, anon_id, session_id, product_id, props::text, "
        "       to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), experiment_id IS NULL "
        "FROM events WHERE event_id = $1",
        Uuid(2))[0];
  });
  EXPECT_EQ(row[0].as<std::string>(), shop_id_);
  EXPECT_EQ(row[1].as<std::string>(), "product_view");
  EXPECT_EQ(row[2].as<std::string>(), "anon-1");
  EXPECT_EQ(row[3].as<std::string>(), "sess-1");
  EXPECT_EQ(row[4].as<std::string>(), "gid://shopify/Product/7");
  EXPECT_EQ(json::parse(row[5].as<std::string>()), json::parse(R"({"price":1999,"tags":["a","b"]})"));
  EXPECT_EQ(row[6].as<std::string>(), product_view["ts"].as_string());
  EXPECT_TRUE(row[7].as<bool>());
}

TEST_F(CollectRouteTest, PartialBatchStoresTheGoodEventsAndReportsTheBadOnes) {
  auto bad_type = Event(Uuid(11), "click");
  auto old = Event(Uuid(12));
  old["ts"] = FormatRfc3339Millis(Clock::now() - std::chrono::hours(24 * 8));
  const auto result = Post(Body({Event(Uuid(10)), bad_type, old, Event(Uuid(13))}));
  ASSERT_EQ(result.status, 200) << result.body;
  const auto body = Parse(result);
  EXPECT_EQ(body.at("accepted"), 2);
  EXPECT_EQ(body.at("duplicates"), 0);
  const auto& rejected = body.at("rejected").as_array();
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].at("index"), 1);
  EXPECT_EQ(rejected[0].at("code"), "unknown_type");
  EXPECT_EQ(rejected[1].at("index"), 2);
  EXPECT_EQ(rejected[1].at("code"), "ts_out_of_range");
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
}

TEST_F(CollectRouteTest, ABatchOfOnlyBadEventsIsStillA200) {
  const auto result = Post(Body({Event("nope")}));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Parse(result).at("accepted"), 0);
  EXPECT_EQ(Parse(result).at("rejected").as_array().size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(CollectRouteTest, RetriesAreCountedAsDuplicates) {
  const auto e20 = Event(Uuid(20));
  const std::string body = Body({e20, Event(Uuid(21)), Event(Uuid(22))});
  ASSERT_EQ(Post(body).status, 200);
  const auto retry = Post(body);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(Parse(retry).at("accepted"), 3);
  EXPECT_EQ(Parse(retry).at("duplicates"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 3);

  // A repeat inside one batch too; the same id at another time is a different row (the key includes ts).
  const auto twice = Event(Uuid(23));
  auto later = Event(Uuid(23));
  later["ts"] = FormatRfc3339Millis(Clock::now());
  const auto mixed = Post(Body({twice, twice, e20, later}));
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  EXPECT_EQ(Parse(mixed).at("accepted"), 4);
  EXPECT_EQ(Parse(mixed).at("duplicates"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 5);
}

// A batch larger than one COPY chunk (src/collect/event_store.cpp) that starts with an event stored before: the
// unique violation reaches the server while more rows are still being sent, and the group must still fall back to
// the duplicate-aware path and store the rest. Props with the characters COPY escapes come back unchanged.
TEST_F(CollectRouteTest, ARedeliveryInALargeBatchIsADuplicateAndTheRestIsStored) {
  const auto stored = Event(Uuid(900));
  ASSERT_EQ(Post(Body({stored})).status, 200);
  const std::string url = "https://shop.example.com/" + std::string(300, 'p') + "?q=a\tb\\c\nd\re\"f";
  json::array events{stored};
  for (int i = 0; i < 499; ++i) {
    auto event = Event(Uuid(1000 + i));
    event["props"] = json::object{{"url", url}, {"i", i}};
    events.push_back(event);
  }
  const auto result = Post(Body(events));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Parse(result).at("accepted"), 500);
  EXPECT_EQ(Parse(result).at("duplicates"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 500);
  const auto stored_url = database_.Run([&](pqxx::work& tx) {
    return tx.exec_params("SELECT props->>'url' FROM events WHERE event_id = $1", Uuid(1498))[0][0].as<std::string>();
  });
  EXPECT_EQ(stored_url, url);
}

TEST_F(CollectRouteTest, UnknownAndUninstalledShopsAreForbidden) {
  for (const char* shop : {"nosuchshop0001", "uninstalled001"}) {
    const auto result = Post(Body({Event(Uuid(30))}, shop));
    ASSERT_EQ(result.status, 403) << shop << " " << result.body;
    const auto error = Parse(result).at("error").as_object();
    EXPECT_EQ(error.at("code"), "forbidden");
    EXPECT_EQ(error.at("message"), "unknown shop");
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(CollectRouteTest, AcceptsGzipAndSendBeaconTextPlain) {
  const auto gzipped = Post(http::Gzip(Body({Event(Uuid(40)), Event(Uuid(41))})),
                            {{"Content-Type", kJson}, {"Content-Encoding", "gzip"}});
  ASSERT_EQ(gzipped.status, 200) << gzipped.body;
  EXPECT_EQ(Parse(gzipped).at("accepted"), 2);
  const auto beacon = Post(Body({Event(Uuid(42))}), {{"Content-Type", "text/plain;charset=UTF-8"}});
  ASSERT_EQ(beacon.status, 200) << beacon.body;
  EXPECT_EQ(Parse(beacon).at("accepted"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 3);
}

TEST_F(CollectRouteTest, EnvelopeErrors) {
  const auto malformed = Post("{\"shop\": ");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_EQ(Parse(malformed).at("error").at("code"), "bad_request");

  json::array many;
  for (int i = 0; i < 501; ++i) many.push_back(Event(Uuid(1000 + i)));
  const auto too_many = Post(Body(many));
  ASSERT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_EQ(Parse(too_many).at("error").at("details").at("limit"), 500);

  many.pop_back();
  const auto limit = Post(Body(many));
  ASSERT_EQ(limit.status, 200) << limit.body;
  EXPECT_EQ(Parse(limit).at("accepted"), 500);

  EXPECT_EQ(Post(Body({Event(Uuid(50))}), {{"Content-Type", "application/xml"}}).status, 415);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 500);
}

TEST_F(CollectRouteTest, BotsGetA202AndAreNotStored) {
  const auto result =
      Post(Body({Event(Uuid(60))}), {{"Content-Type", kJson},
                                     {"User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}});
  ASSERT_EQ(result.status, 202) << result.body;
  EXPECT_EQ(Parse(result).at("bot"), true);
  EXPECT_EQ(Parse(result).at("accepted"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(CollectRouteTest, ExposuresRecordTheFirstAssignment) {
  const std::string experiment = database_.Run([&](pqxx::work& tx) {
    return tx
        .exec_params("INSERT INTO experiments (shop_id, name, target, allocation, variants, started_at, status) "
                     "VALUES ($1, 'title test', 'product:1', '{}', '[]', now(), 'running') RETURNING id",
                     shop_id_)[0][0]
        .as<std::string>();
  });
  auto exposure = [&](int n, const std::string& variant, const std::string& anon, const std::string& exp) {
    auto event = Event(Uuid(n), "exposure", anon);
    event["experiment"] = exp;
    event["variant"] = variant;
    return event;
  };
  auto first = exposure(70, "b", "anon-7", experiment);
  first["ts"] = FormatRfc3339Millis(Clock::now() - std::chrono::minutes(2));
  const auto result = Post(Body({exposure(71, "a", "anon-7", experiment), first,
                                 exposure(72, "a", "anon-8", "not-a-uuid"),
                                 exposure(73, "a", "anon-9", "00000000-0000-4000-8000-00000000dead")}));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Parse(result).at("accepted"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE event_type = 'exposure'"), 4);  // all events are kept
  EXPECT_EQ(Count("SELECT count(*) FROM assignments"), 1);  // only the experiment that exists
  const auto variant = database_.Run([&](pqxx::work& tx) {
    return tx.exec_params("SELECT variant FROM assignments WHERE experiment_id = $1 AND anon_id = 'anon-7'",
                          experiment)[0][0]
        .as<std::string>();
  });
  EXPECT_EQ(variant, "b");  // the earlier exposure wins inside a batch

  ASSERT_EQ(Post(Body({exposure(74, "a", "anon-7", experiment)})).status, 200);
  EXPECT_EQ(Count("SELECT count(*) FROM assignments WHERE variant = 'b'"), 1);  // and across batches
  EXPECT_EQ(Count("SELECT count(*) FROM assignments"), 1);
}

// Holds an ACCESS EXCLUSIVE lock on `events` so that every group commit blocks in its INSERT: PostgreSQL made slow.
class EventsLock {
 public:
  explicit EventsLock(const std::string& conninfo) : connection_(conninfo), tx_(connection_) {
    tx_.exec("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
  }
  long long CountEvents() { return tx_.exec("SELECT count(*) FROM events")[0][0].as<long long>(); }
  void Release() { tx_.commit(); }

 private:
  pqxx::connection connection_;
  pqxx::work tx_;
};

collect::CollectorOptions OneFlusher(size_t max_queued_events = 50000) {
  collect::CollectorOptions options;
  options.writer.flushers = 1;
  options.writer.max_queued_events = max_queued_events;
  return options;
}

TEST_F(CollectRouteTest, RequestsArrivingDuringACommitShareTheNextOne) {
  StartServer(OneFlusher());
  EventsLock lock(tdb_.conninfo());
  auto first = PostAsync(Body(Events(100, 1)));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_requests", 1));
  std::vector<std::future<HttpResult>> followers;
  for (int i = 0; i < 10; ++i) followers.push_back(PostAsync(Body(Events(200 + 10 * i, 3))));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_requests", 11));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_events", 31));

  // Nothing is acknowledged before it is committed.
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  for (auto& follower : followers) EXPECT_EQ(follower.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(lock.CountEvents(), 0);

  lock.Release();
  EXPECT_EQ(first.get().status, 200);
  for (auto& follower : followers) {
    const auto result = follower.get();
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(Parse(result).at("accepted"), 3);
    EXPECT_EQ(Parse(result).at("duplicates"), 0);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 31);
  EXPECT_EQ(Sample("pagelift_collect_commit_requests_count"), 2);  // the first alone, then the ten together
  EXPECT_EQ(Sample("pagelift_collect_commit_requests_sum"), 11);
  EXPECT_EQ(Sample("pagelift_collect_commit_events_sum"), 31);
  EXPECT_EQ(Sample("pagelift_collect_queue_events"), 0);
}

TEST_F(CollectRouteTest, AFullQueueAnswers503AtOnceAndRecoversByItself) {
  StartServer(OneFlusher(100));
  EventsLock lock(tdb_.conninfo());
  auto first = PostAsync(Body(Events(300, 60)));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_events", 60));

  const std::string second = Body(Events(400, 60));
  const auto started = std::chrono::steady_clock::now();
  const auto refused = Post(second);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));  // not after a timeout
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers.at("retry-after"), "1");
  EXPECT_EQ(Parse(refused).at("error").at("code"), "unavailable");
  EXPECT_EQ(Sample("pagelift_collect_requests_refused_total{cause=\"queue_full\"}"), 1);

  lock.Release();
  EXPECT_EQ(Parse(first.get()).at("accepted"), 60);
  const auto retried = Post(second);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Parse(retried).at("accepted"), 60);
  EXPECT_EQ(Parse(retried).at("duplicates"), 0);  // the refused attempt stored nothing
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 120);
}

TEST_F(CollectRouteTest, MetricsCountStoredDuplicateRejectedAndBotTraffic) {
  const auto e1 = Event(Uuid(500));
  ASSERT_EQ(Post(Body({e1, Event(Uuid(501)), Event("bad-id"), Event(Uuid(502), "click")})).status, 200);
  ASSERT_EQ(Post(Body({e1})).status, 200);
  ASSERT_EQ(Post(Body({e1}), {{"Content-Type", kJson}, {"User-Agent", "bingbot/2.0"}}).status, 202);
  ASSERT_EQ(Post(Body({e1}, "nosuchshop0001")).status, 403);
  EXPECT_EQ(Sample("pagelift_collect_events_total{outcome=\"stored\"}"), 2);
  EXPECT_EQ(Sample("pagelift_collect_events_total{outcome=\"duplicate\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_events_rejected_total{reason=\"invalid_id\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_events_rejected_total{reason=\"unknown_type\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_events_rejected_total{reason=\"too_long\"}"), 0);
  EXPECT_EQ(Sample("pagelift_collect_requests_refused_total{cause=\"bot\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_requests_refused_total{cause=\"unknown_shop\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_commit_seconds_count"), 2);
  EXPECT_EQ(Sample("pagelift_collect_commit_failures_total"), 0);
}

TEST_F(CollectRouteTest, AShopOverItsRateGets429WithRetryAfterAndOtherShopsAreUnaffected) {
  database_.Run([](pqxx::work& tx) {
    tx.exec("INSERT INTO shops (domain, public_id, access_token_enc) VALUES ('b.myshopify.com', 'othershop0001', '\\x00')");
  });
  collect::CollectorOptions options;
  options.rate_limit = collect::RateLimit{1, 500};  // one event per second; a bucket of one full batch
  StartServer(options);
  ASSERT_EQ(Post(Body(Events(700, 500))).status, 200);

  // The bucket is empty: 50 more events need about 50 s of refill (less whatever time the test took so far).
  const auto refused = Post(Body(Events(1200, 50)));
  ASSERT_EQ(refused.status, 429) << refused.body;
  const int retry_after = std::stoi(refused.headers.at("retry-after"));
  EXPECT_GE(retry_after, 30);
  EXPECT_LE(retry_after, 50);
  const auto error = Parse(refused).at("error").as_object();
  EXPECT_EQ(error.at("code"), "too_many_requests");
  EXPECT_EQ(error.at("details").at("shop"), kShopPublicId);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 500);  // nothing of the refused request was stored
  EXPECT_EQ(Sample("pagelift_collect_requests_refused_total{cause=\"rate_limited\"}"), 1);

  // Another shop has its own bucket.
  const auto other = Post(Body(Events(1300, 500), "othershop0001"));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 1000);
}

TEST_F(CollectRouteTest, AnUninstallTakesEffectAtOnceDespiteTheShopCache) {
  collect::CollectorOptions options;
  options.unknown_shop_ttl = std::chrono::seconds(0);
  StartServer(options);
  ASSERT_EQ(Post(Body(Events(800, 2))).status, 200);  // the shop is now cached for a minute
  const auto set_uninstalled = [this](const char* value) {
    database_.Run([value](pqxx::work& tx) {
      tx.exec_params("UPDATE shops SET uninstalled_at = " + std::string(value) + " WHERE public_id = $1",
                     kShopPublicId);
    });
  };
  set_uninstalled("now()");
  const auto refused = Post(Body(Events(810, 2)));
  ASSERT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Parse(refused).at("error").at("message"), "unknown shop");
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(Sample("pagelift_collect_requests_refused_total{cause=\"unknown_shop\"}"), 1);
  EXPECT_EQ(Sample("pagelift_collect_events_total{outcome=\"stored\"}"), 2);

  set_uninstalled("NULL");  // reinstalled
  const auto accepted = Post(Body(Events(810, 2)));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(Parse(accepted).at("duplicates"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 4);
}

TEST_F(CollectRouteTest, StopCommitsWhatIsQueuedThenRefuses) {
  StartServer(OneFlusher());
  auto lock = std::make_unique<EventsLock>(tdb_.conninfo());
  auto first = PostAsync(Body(Events(600, 2)));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_requests", 1));
  auto second = PostAsync(Body(Events(610, 2)));
  ASSERT_TRUE(WaitForSample("pagelift_collect_queue_requests", 2));
  std::thread releaser([&lock] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock->Release();
  });
  collector_->Stop();  // returns once both are committed
  releaser.join();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(second.get().status, 200);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 4);
  const auto after = Post(Body(Events(620, 1)));
  EXPECT_EQ(after.status, 503) << after.body;
}

}  // namespace
}  // namespace pagelift::testing
