// BatchLoad and CountStoredEvents (see batch_load.h).
#include "support/batch_load.h"

#include <pqxx/pqxx>
#include <utility>

namespace pagelift::testing {

BatchLoad::BatchLoad(unsigned short port, std::string target, int clients, MakeBatch make_batch, OnAnswer on_answer,
                     std::function<void()> on_connection_failure)
    : port_(port),
      target_(std::move(target)),
      make_batch_(std::move(make_batch)),
      on_answer_(std::move(on_answer)),
      on_connection_failure_(std::move(on_connection_failure)) {
  for (int seed = 1; seed <= clients; ++seed) clients_.emplace_back([this, seed] { Run(seed); });
}

void BatchLoad::Stop() {
  stop_ = true;
  for (auto& client : clients_) {
    if (client.joinable()) client.join();
  }
}

void BatchLoad::Run(int seed) {
  std::mt19937_64 random(seed);
  while (!stop_) {
    try {
      HttpClient client(port_);
      while (!stop_) {
        std::vector<std::string> ids;
        const std::string body = make_batch_(random, seed, ids);
        const SentAt sent_at = std::chrono::steady_clock::now();
        const HttpResult result = client.Request("POST", target_, body, {{"Content-Type", "application/json"}});
        on_answer_(ids, result, sent_at);
      }
    } catch (const std::exception&) {
      if (on_connection_failure_) on_connection_failure_();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the server may be gone: retry, not spin
    }
  }
}

long long CountStoredEvents(const std::string& conninfo, const std::vector<std::string>& event_ids) {
  std::string array = "{";
  for (size_t i = 0; i < event_ids.size(); ++i) array += (i ? "," : "") + event_ids[i];
  array += "}";
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  return tx.exec_params1("SELECT count(DISTINCT event_id) FROM events WHERE event_id = ANY($1::uuid[])", array)[0]
      .as<long long>();
}

}  // namespace pagelift::testing
