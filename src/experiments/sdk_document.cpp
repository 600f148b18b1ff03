// The storefront SDK document and its per-server cache; see sdk_document.h.
#include "experiments/sdk_document.h"

#include <boost/json/serialize.hpp>
#include <functional>

#include "core/crypto.h"
#include "core/log.h"

namespace pagelift::experiments {

namespace json = boost::json;

namespace {

// Calls back with each notification's payload (the shop id) on the listener thread.
class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, std::function<void(const std::string&)> on_payload)
      : pqxx::notification_receiver(connection, kExperimentsChannel), on_payload_(std::move(on_payload)) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { on_payload_(payload); }

 private:
  std::function<void(const std::string&)> on_payload_;
};

// A request for a shop that does not exist is not cached (it would let anyone fill memory with made-up ids).
std::shared_ptr<const SdkDocument> Load(pqxx::work& tx, const Repository& repository, std::string_view public_id) {
  const auto shop_id = repository.FindShopByPublicId(tx, public_id);
  if (!shop_id) return nullptr;
  std::vector<Experiment> running = repository.List(tx, *shop_id, Status::kRunning);
  return MakeSdkDocument(*shop_id, BuildSdkDocumentBody(public_id, running));
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view StripWeak(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::string BuildSdkDocumentBody(std::string_view shop_public_id, const std::vector<Experiment>& running) {
  json::array experiments;
  for (const Experiment& e : running) {
    json::array weights;
    for (double w : e.definition.weights) weights.push_back(w);
    experiments.push_back(json::object{{"key", e.id},
                                       {"seed", e.Seed()},
                                       {"hashVersion", e.hash_version},
                                       {"bucketVersion", e.bucket_version},
                                       {"target", e.definition.target},
                                       {"weights", std::move(weights)},
                                       {"coverage", e.definition.coverage},
                                       {"variations", VariantsToJson(e.definition.variants)}});
  }
  return json::serialize(json::object{{"shop", shop_public_id}, {"experiments", std::move(experiments)}});
}

std::shared_ptr<const SdkDocument> MakeSdkDocument(std::string shop_id, std::string body) {
  auto document = std::make_shared<SdkDocument>();
  document->shop_id = std::move(shop_id);
  document->etag = "\"" + crypto::HexEncode(crypto::Sha256(body)).substr(0, 32) + "\"";
  document->body = std::move(body);
  return document;
}

bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view tag = Trim(rest.substr(0, comma));
    if (tag == "*") return true;
    if (!tag.empty() && StripWeak(tag) == StripWeak(etag)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

SdkDocumentCache::SdkDocumentCache(db::Database& database, const Repository& repository, SdkCacheOptions options)
    : database_(database), repository_(repository), options_(options) {}

SdkDocumentCache::~SdkDocumentCache() { Stop(); }

std::shared_ptr<const SdkDocument> SdkDocumentCache::Cached(std::string_view shop_public_id) const {
  std::shared_lock lock(mutex_);
  const auto it = by_public_id_.find(shop_public_id);
  if (it == by_public_id_.end()) return nullptr;
  if (std::chrono::steady_clock::now() - it->second.loaded_at > options_.max_age) return nullptr;
  return it->second.document;
}

std::shared_ptr<const SdkDocument> SdkDocumentCache::Get(std::string_view shop_public_id) {
  if (auto cached = Cached(shop_public_id)) return cached;
  const std::uint64_t generation = generation_.load();
  auto document = database_.Run(db::TxOptions::ReadOnly(),
                                [&](pqxx::work& tx) { return Load(tx, repository_, shop_public_id); });
  loads_.fetch_add(1);
  if (!document) return nullptr;
  std::unique_lock lock(mutex_);
  // An invalidation since we started reading may describe a change our snapshot did not see: serve what we read
  // (it was current a moment ago) but do not keep it.
  if (generation_.load() == generation) {
    by_public_id_[std::string(shop_public_id)] = Entry{document, std::chrono::steady_clock::now()};
  }
  return document;
}

void SdkDocumentCache::BumpGeneration() { generation_.fetch_add(1); }

void SdkDocumentCache::InvalidateShop(std::string_view shop_id) {
  std::unique_lock lock(mutex_);
  BumpGeneration();
  std::erase_if(by_public_id_, [&](const auto& entry) { return entry.second.document->shop_id == shop_id; });
}

void SdkDocumentCache::Clear() {
  std::unique_lock lock(mutex_);
  BumpGeneration();
  by_public_id_.clear();
}

void SdkDocumentCache::Start() {
  {
    std::lock_guard lock(stop_mutex_);
    if (listener_.joinable()) return;
    stopping_ = false;
  }
  listener_ = std::thread([this] { Listen(); });
}

void SdkDocumentCache::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (listener_.joinable()) listener_.join();
  listening_.store(false);
}

void SdkDocumentCache::Listen() {
  auto stopping = [this] {
    std::lock_guard lock(stop_mutex_);
    return stopping_;
  };
  while (!stopping()) {
    try {
      db::Database::Lease lease = database_.Acquire();
      // The connection ends up LISTENing with receivers attached: never hand it back to the pool.
      lease.Discard();
      Receiver receiver(*lease, [this](const std::string& shop_id) { InvalidateShop(shop_id); });
      // Anything cached before LISTEN took effect may have missed a notification.
      Clear();
      listening_.store(true);
      log::Info("listening for experiment changes", {{"channel", kExperimentsChannel}});
      while (!stopping()) {
        // Wakes at least every 200 ms to notice Stop(); a broken connection throws here.
        lease->await_notification(0, 200000);
      }
    } catch (const std::exception& e) {
      listening_.store(false);
      Clear();
      log::Warn("experiment change listener lost its connection; reconnecting",
                {{"error", e.what()}, {"retry_ms", options_.reconnect_delay.count()}});
      std::unique_lock lock(stop_mutex_);
      stop_cv_.wait_for(lock, options_.reconnect_delay, [this] { return stopping_; });
    }
  }
  listening_.store(false);
}

}  // namespace pagelift::experiments
