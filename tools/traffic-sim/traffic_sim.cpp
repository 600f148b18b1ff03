// The traffic simulator; see traffic_sim.h.
#include "traffic-sim/traffic_sim.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cmath>
#include <random>

namespace pagelift::traffic_sim {

namespace json = boost::json;
namespace beast = boost::beast;
using boost::asio::ip::tcp;

namespace {

Error PartError(const std::string& part, const std::string& message) {
  return MakeError(ErrorCode::kBadRequest, part + ": " + message, {{"field", part}});
}

// A UUID (version 4 layout) from the simulator's generator, so that event ids are reproducible.
std::string NextUuid(std::mt19937_64& random) {
  const std::uint64_t a = random();
  const std::uint64_t b = random();
  return fmt::format("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     (b >> 48) & 0xfff, b & 0xffffffffffffULL);
}

// Builds events into batches of at most kMaxEventsPerBatch.
class Batcher {
 public:
  Batcher(const std::string& shop, Traffic& traffic) : shop_(shop), traffic_(traffic) {}
  ~Batcher() { Flush(); }
  void Add(json::object event) {
    current_.push_back(std::move(event));
    ++traffic_.events;
    if (current_.size() == kMaxEventsPerBatch) Flush();
  }
  void Flush() {
    if (current_.empty()) return;
    traffic_.batches.push_back(json::object{{"shop", shop_}, {"events", std::move(current_)}});
    current_ = json::array();
  }

 private:
  std::string shop_;
  Traffic& traffic_;
  json::array current_;
};

const std::string& PickDevice(const Scenario& scenario, double u) {
  double total = 0;
  for (const auto& [device, share] : scenario.devices) total += share;
  double acc = 0;
  for (const auto& [device, share] : scenario.devices) {
    acc += share / total;
    if (u < acc) return device;
  }
  return scenario.devices.back().first;
}

double PurchaseRate(const Scenario& scenario, int variation, const std::string& device) {
  if (variation == 0) return scenario.control_purchase_rate;
  const auto it = scenario.device_lift.find(device);
  const double lift = it != scenario.device_lift.end() ? it->second : scenario.lift;
  return std::clamp(scenario.control_purchase_rate * (1 + lift), 0.0, 1.0);
}

}  // namespace

Result<std::vector<SdkExperiment>> ParseSdkDocument(const json::value& document) {
  const json::object* root = document.if_object();
  if (root == nullptr) return PartError("$", "must be an object");
  const json::value* list = root->if_contains("experiments");
  if (list == nullptr || !list->is_array()) return PartError("experiments", "must be an array");
  std::vector<SdkExperiment> out;
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    const std::string part = fmt::format("experiments[{}]", i);
    const json::object* e = list->as_array()[i].if_object();
    if (e == nullptr) return PartError(part, "must be an object");
    SdkExperiment experiment;
    try {
      experiment.key = std::string(e->at("key").as_string());
      if (const auto* target = e->if_contains("target"); target && target->is_string()) {
        experiment.target = std::string(target->as_string());
      }
      for (const json::value& v : e->at("variations").as_array()) {
        experiment.variants.emplace_back(v.at("key").as_string());
      }
      experiment.spec.key = experiment.key;
      if (const auto* seed = e->if_contains("seed"); seed && seed->is_string()) {
        experiment.spec.seed = std::string(seed->as_string());
      }
      experiment.spec.hash_version = static_cast<int>(e->at("hashVersion").to_number<std::int64_t>());
      experiment.spec.num_variations = static_cast<int>(experiment.variants.size());
      std::vector<double> weights;
      for (const json::value& w : e->at("weights").as_array()) weights.push_back(w.to_number<double>());
      experiment.spec.weights = std::move(weights);
      experiment.spec.coverage = e->at("coverage").to_number<double>();
    } catch (const std::exception& error) {
      return PartError(part, error.what());
    }
    out.push_back(std::move(experiment));
  }
  return out;
}

Traffic Generate(const Scenario& scenario, const std::string& shop_public_id, const SdkExperiment& experiment,
                 TimePoint now) {
  Traffic traffic;
  std::mt19937_64 random(scenario.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int days = std::clamp(scenario.days, 1, 6);
  const auto span_us = static_cast<std::int64_t>(days) * 86'400'000'000LL - 3'600'000'000LL;  // last event ≤ now
  const int last_variation = static_cast<int>(experiment.variants.size()) - 1;
  std::int64_t order_number = static_cast<std::int64_t>(scenario.seed % 1000) * 10'000'000;
  {
    Batcher batcher(shop_public_id, traffic);
    for (int v = 0; v < scenario.visitors; ++v) {
      const std::string anon_id = fmt::format("sim{}-{:06d}", scenario.seed, v);
      const std::string session_id = anon_id + "-s1";
      const std::optional<int> variation = experiments::Assign(experiment.spec, anon_id);
      const std::string& device = PickDevice(scenario, unit(random));
      const bool from_search = unit(random) < scenario.search_share;
      const double buy_draw = unit(random);
      const double cart_draw = unit(random);
      const double lost_draw = unit(random);
      const double value_draw = unit(random);
      const auto arrival_us = static_cast<std::int64_t>(unit(random) * static_cast<double>(span_us));
      const TimePoint arrived = now - std::chrono::microseconds(span_us) + std::chrono::microseconds(arrival_us);
      auto event = [&](const std::string& type, int seconds_after, json::object props) {
        json::object e{{"id", NextUuid(random)},
                       {"type", type},
                       {"ts", FormatRfc3339Millis(arrived + std::chrono::seconds(seconds_after))},
                       {"anon_id", anon_id},
                       {"session_id", session_id}};
        if (!props.empty()) e["props"] = std::move(props);
        return e;
      };
      json::object landing{{"device", device}, {"url", "/products/sim"}};
      if (from_search) landing["referrer"] = "https://www.google.com/search?q=shop";
      if (!variation) {
        ++traffic.truth.not_in_experiment;
        batcher.Add(event("page_view", 0, landing));
        continue;
      }
      const std::string& variant = experiment.variants[static_cast<std::size_t>(*variation)];
      ++traffic.truth.assigned[variant];
      const bool lost = *variation == last_variation && last_variation > 0 && lost_draw < scenario.lost_exposure_share;
      batcher.Add(event("page_view", 0, landing));
      if (lost) continue;  // the broken variant never reports its visitor: they are missing from the results
      json::object exposure = event("exposure", 1, landing);
      exposure["experiment"] = experiment.key;
      exposure["variant"] = variant;
      batcher.Add(std::move(exposure));
      ++traffic.truth.exposed[variant];
      auto& [device_n, device_buyers] = traffic.truth.by_device[{variant, device}];
      ++device_n;
      batcher.Add(event("product_view", 5, {}));
      const bool buys = buy_draw < PurchaseRate(scenario, *variation, device);
      if (!buys) {
        if (cart_draw < scenario.add_to_cart_rate) batcher.Add(event("add_to_cart", 20, {}));
        continue;
      }
      ++traffic.truth.purchasers[variant];
      ++device_buyers;
      batcher.Add(event("add_to_cart", 20, {}));
      batcher.Add(event("begin_checkout", 40, {}));
      const auto cents = static_cast<std::int64_t>(std::llround(scenario.order_value * 100 * (0.5 + value_draw)));
      const std::string total = fmt::format("{}.{:02d}", cents / 100, cents % 100);
      const std::int64_t order_id = ++order_number;
      if (scenario.channel == PurchaseChannel::kEvents) {
        batcher.Add(event("checkout_completed", 60,
                          {{"order_id", fmt::format("gid://shopify/Order/{}", order_id)}, {"total", total}}));
      } else {
        const std::string created = FormatRfc3339Millis(arrived + std::chrono::seconds(60));
        traffic.orders.push_back(json::object{
            {"id", order_id},
            {"admin_graphql_api_id", fmt::format("gid://shopify/Order/{}", order_id)},
            {"total_price", total},
            {"subtotal_price", total},
            {"created_at", created},
            {"updated_at", FormatRfc3339Millis(now)},
            {"line_items", json::array{json::object{{"quantity", 1}}}},
            {"note_attributes", json::array{json::object{{"name", "_pagelift_vid"}, {"value", anon_id}}}}});
      }
    }
  }
  return traffic;
}

struct HttpTransport::Impl {
  boost::asio::io_context context;
  tcp::socket socket{context};
  beast::flat_buffer buffer;
  unsigned short port = 0;
  void Connect() {
    socket = tcp::socket(context);
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
};

HttpTransport::HttpTransport(unsigned short port) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->Connect();
}

HttpTransport::~HttpTransport() = default;

HttpTransport::Reply HttpTransport::Request(const std::string& method, const std::string& target,
                                            const std::string& body, const std::string& content_type) {
  for (int attempt = 0;; ++attempt) {
    try {
      beast::http::request<beast::http::string_body> request(beast::http::string_to_verb(method), target, 11);
      request.set(beast::http::field::host, "127.0.0.1");
      request.set(beast::http::field::user_agent, "pagelift-traffic-sim (Mozilla/5.0 compatible)");
      if (!body.empty()) {
        request.set(beast::http::field::content_type, content_type);
        request.body() = body;
      }
      request.prepare_payload();
      beast::http::write(impl_->socket, request);
      beast::http::response<beast::http::string_body> response;
      beast::http::read(impl_->socket, impl_->buffer, response);
      if (!response.keep_alive()) impl_->Connect();
      return Reply{static_cast<int>(response.result_int()), std::move(response.body())};
    } catch (const boost::system::system_error&) {
      // The server closed an idle keep-alive connection: reconnect once and resend.
      if (attempt > 0) throw;
      impl_->buffer.clear();
      impl_->Connect();
    }
  }
}

Result<std::vector<SdkExperiment>> FetchSdkDocument(HttpTransport& http, const std::string& shop_public_id) {
  const auto reply = http.Request("GET", "/v1/sdk/" + shop_public_id + ".json");
  if (reply.status != 200) {
    return MakeError(ErrorCode::kUnavailable, fmt::format("GET /v1/sdk answered {}: {}", reply.status, reply.body));
  }
  boost::system::error_code ec;
  const json::value document = json::parse(reply.body, ec);
  if (ec) return PartError("$", "the SDK document is not JSON");
  return ParseSdkDocument(document);
}

SendReport SendEvents(HttpTransport& http, const Traffic& traffic) {
  SendReport report;
  for (const json::object& batch : traffic.batches) {
    const auto reply = http.Request("POST", "/v1/collect", json::serialize(batch));
    ++report.batches;
    if (reply.status / 100 == 2) {
      report.events += batch.at("events").as_array().size();
    } else {
      report.failures.push_back(fmt::format("{}: {}", reply.status, reply.body));
    }
  }
  return report;
}

}  // namespace pagelift::traffic_sim
