#include "core/config.h"

#include <gtest/gtest.h>

#include <map>

namespace pagelift {
namespace {

EnvLookup MapEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Config, DefaultsWhenNothingIsSet) {
  auto config = LoadConfig(MapEnv({}));
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->database_url.has_value());
  EXPECT_EQ(config->listen.host, "127.0.0.1");
  EXPECT_EQ(config->listen.port, 8080);
  EXPECT_EQ(config->shopify_api_version, "2026-10");
  EXPECT_TRUE(config->auto_migrate);
  EXPECT_FALSE(config->token_keys.has_value());
}

TEST(Config, ReadsEveryVariable) {
  auto config = LoadConfig(MapEnv({{"DATABASE_URL", "postgresql:///x"},
                                   {"PAGELIFT_LISTEN", "0.0.0.0:9000"},
                                   {"PAGELIFT_IO_THREADS", "4"},
                                   {"PAGELIFT_DB_POOL_SIZE", "16"},
                                   {"PAGELIFT_AUTO_MIGRATE", "false"},
                                   {"PAGELIFT_LOG_LEVEL", "debug"},
                                   {"PAGELIFT_SHUTDOWN_GRACE_MS", "2500"},
                                   {"SHOPIFY_API_KEY", "key"},
                                   {"SHOPIFY_API_SECRET", "new, old"},
                                   {"SHOPIFY_APP_URL", "https://app.example/"},
                                   {"SHOPIFY_API_VERSION", "2026-07"},
                                   {"SHOPIFY_ADMIN_BASE_URL", "http://127.0.0.1:9100"},
                                   {"PAGELIFT_TOKEN_KEYS", "k1:abc"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(*config->database_url, "postgresql:///x");
  EXPECT_EQ(config->listen.host, "0.0.0.0");
  EXPECT_EQ(config->listen.port, 9000);
  EXPECT_EQ(config->io_threads, 4);
  EXPECT_EQ(config->db_pool_size, 16);
  EXPECT_FALSE(config->auto_migrate);
  EXPECT_EQ(config->log_level, log::Level::kDebug);
  EXPECT_EQ(config->shutdown_grace.count(), 2500);
  EXPECT_EQ(config->shopify_api_secrets, (std::vector<std::string>{"new", "old"}));
  EXPECT_EQ(config->shopify_app_url, "https://app.example");
  EXPECT_EQ(config->shopify_api_version, "2026-07");
  EXPECT_EQ(*config->shopify_admin_base_url, "http://127.0.0.1:9100");
  EXPECT_EQ(*config->token_keys, "k1:abc");
}

TEST(Config, IPv6Listen) {
  auto config = LoadConfig(MapEnv({{"PAGELIFT_LISTEN", "[::1]:8081"}}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->listen.host, "::1");
  EXPECT_EQ(config->listen.port, 8081);
}

// The aggregation worker's period (experiments/aggregation.h): a minute unless set, milliseconds in [1, 3600000].
TEST(Config, AggregationInterval) {
  auto defaults = LoadConfig(MapEnv({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->aggregation_interval.count(), 60000);
  auto set = LoadConfig(MapEnv({{"PAGELIFT_AGGREGATION_INTERVAL_MS", "2500"}}));
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->aggregation_interval.count(), 2500);
  auto largest = LoadConfig(MapEnv({{"PAGELIFT_AGGREGATION_INTERVAL_MS", "3600000"}}));
  ASSERT_TRUE(largest.ok()) << largest.error().message;
  EXPECT_EQ(largest->aggregation_interval.count(), 3600000);
}

struct BadCase {
  std::string variable;
  std::string value;
};

class ConfigRejects : public testing::TestWithParam<BadCase> {};

TEST_P(ConfigRejects, NamesTheVariable) {
  const auto& bad = GetParam();
  auto config = LoadConfig(MapEnv({{bad.variable, bad.value}}));
  ASSERT_FALSE(config.ok()) << bad.variable << "=" << bad.value;
  EXPECT_NE(config.error().message.find(bad.variable), std::string::npos) << config.error().message;
  EXPECT_EQ(config.error().details.at("variable").as_string(), bad.variable);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ConfigRejects,
    testing::Values(BadCase{"PAGELIFT_LISTEN", "8080"}, BadCase{"PAGELIFT_LISTEN", "host:port"},
                    BadCase{"PAGELIFT_LISTEN", "host:70000"}, BadCase{"PAGELIFT_IO_THREADS", "0"},
                    BadCase{"PAGELIFT_IO_THREADS", "two"}, BadCase{"PAGELIFT_DB_POOL_SIZE", "-1"},
                    BadCase{"PAGELIFT_AUTO_MIGRATE", "maybe"}, BadCase{"PAGELIFT_LOG_LEVEL", "loud"},
                    BadCase{"PAGELIFT_SHUTDOWN_GRACE_MS", "1.5"}, BadCase{"SHOPIFY_API_SECRET", " , "},
                    BadCase{"SHOPIFY_APP_URL", "app.example"}, BadCase{"SHOPIFY_API_VERSION", "latest"},
                    BadCase{"SHOPIFY_ADMIN_BASE_URL", "ftp://x"},
                    BadCase{"PAGELIFT_AGGREGATION_INTERVAL_MS", "0"},
                    BadCase{"PAGELIFT_AGGREGATION_INTERVAL_MS", "3600001"},
                    BadCase{"PAGELIFT_AGGREGATION_INTERVAL_MS", "1m"}));

}  // namespace
}  // namespace pagelift
