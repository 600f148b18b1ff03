// The storefront SDK document (`GET /v1/sdk/{shop_public_id}.json`): a shop's running experiments with everything
// pagelift.js needs to assign a visitor locally, exactly as the server would (hashing.h). Served from memory: each
// server keeps one document per shop and drops it when PostgreSQL says the shop's experiments or its row changed
// (LISTEN on `pagelift_experiments`, payload = shop id, sent at commit by the experiments trigger and by the shops
// trigger when the shop is uninstalled, reinstalled, deleted or gets a new public id; ARCHITECTURE.md, "Scale-out"), so
// an uninstalled shop's document is a 404 on every server within moments.
//
// Document shape (keys are the SDK's, camelCase):
//   {"shop": "<public id>", "experiments": [{"key": "<experiment id>", "seed": "...", "hashVersion": 2,
//     "bucketVersion": 1, "target": "product_page:cta", "weights": [0.5, 0.5], "coverage": 1,
//     "variations": [{"key": "control", "config": {...}}, ...]}]}
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "db/database.h"
#include "experiments/definition.h"
#include "experiments/repository.h"

namespace pagelift::experiments {

inline constexpr const char* kExperimentsChannel = "pagelift_experiments";

struct SdkDocument {
  std::string shop_id;  // shops.id, what notifications name
  std::string body;     // the JSON bytes served
  std::string etag;     // strong: "\"<first 32 hex of SHA-256 of body>\""
};

// The document of these experiments (the caller passes only running ones, in a stable order).
std::string BuildSdkDocumentBody(std::string_view shop_public_id, const std::vector<Experiment>& running);
std::shared_ptr<const SdkDocument> MakeSdkDocument(std::string shop_id, std::string body);

// Whether an If-None-Match header value matches the ETag (weak comparison, as RFC 9110 asks for If-None-Match:
// a list of tags, "W/" prefixes ignored, or "*").
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);

struct SdkCacheOptions {
  // A document is reloaded after this long even without a notification: a safety net for a notification lost
  // while the listener was connected (the triggers on experiments, 0004, and on shops' uninstalled_at and public_id,
  // 0013, send one for every change the document depends on).
  std::chrono::seconds max_age{300};
  // How long the listener waits before reconnecting after its connection failed.
  std::chrono::milliseconds reconnect_delay{1000};
};

class SdkDocumentCache {
 public:
  SdkDocumentCache(db::Database& database, const Repository& repository, SdkCacheOptions options = {});
  ~SdkDocumentCache();  // Stop()
  SdkDocumentCache(const SdkDocumentCache&) = delete;
  SdkDocumentCache& operator=(const SdkDocumentCache&) = delete;

  // The cached document, if fresh; never touches the database (safe on an I/O thread).
  std::shared_ptr<const SdkDocument> Cached(std::string_view shop_public_id) const;

  // Cached, or loaded from the database and cached (blocking: call through Database::Offload). nullptr when the shop
  // is unknown or uninstalled.
  std::shared_ptr<const SdkDocument> Get(std::string_view shop_public_id);

  // Drops the documents of this shop (shops.id) / of every shop.
  void InvalidateShop(std::string_view shop_id);
  void Clear();

  // Starts / stops the listener thread (LISTEN pagelift_experiments on a connection leased for good). Until the
  // listener has connected, and whenever it reconnects, the whole cache is flushed, because notifications sent while
  // it was not listening are lost.
  void Start();
  void Stop();
  // True once LISTEN is in place (tests wait for it).
  bool Listening() const { return listening_.load(); }

  std::uint64_t loads() const { return loads_.load(); }

 private:
  struct Entry {
    std::shared_ptr<const SdkDocument> document;
    std::chrono::steady_clock::time_point loaded_at;
  };
  void Listen();
  void BumpGeneration();

  db::Database& database_;
  const Repository& repository_;
  SdkCacheOptions options_;

  // Transparent, so that a request's lookup by string_view allocates nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> by_public_id_;
  // Incremented by every invalidation: a load that started before one must not store what it read.
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> loads_{0};

  std::atomic<bool> listening_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread listener_;
};

}  // namespace pagelift::experiments
