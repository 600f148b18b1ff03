// The PostgreSQL access point of pagelift: a bounded connection pool, RAII transactions with retry of serialization
// failures and deadlocks, registered prepared statements, and a bounded blocking thread pool so that coroutines on I/O
// threads can await database work without ever blocking an I/O thread (ARCHITECTURE.md, "Process model").
//
// Failure model: anything that means "PostgreSQL cannot serve us right now" (cannot connect, connection lost, pool
// exhausted for too long, too much work queued) surfaces as db::Unavailable, which the HTTP layer maps to 503 with
// Retry-After. SQL errors caused by the statement itself (constraint violations, syntax) propagate unchanged as pqxx
// exceptions: they are bugs or conflicts the caller handles.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace pagelift::db {

// PostgreSQL is unreachable, a connection broke mid-transaction, or the pool is overloaded. Maps to 503.
class Unavailable : public std::runtime_error {
 public:
  explicit Unavailable(const std::string& message, int retry_after_seconds = 1)
      : std::runtime_error(message), retry_after_seconds_(retry_after_seconds) {}
  // The Retry-After hint for the client, in seconds.
  int retry_after_seconds() const { return retry_after_seconds_; }

 private:
  int retry_after_seconds_;
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

// How a transaction is opened. The defaults fit most repository calls.
struct TxOptions {
  Isolation isolation = Isolation::kReadCommitted;
  bool read_only = false;
  // SET LOCAL statement_timeout for this transaction; nullopt keeps the server's setting.
  std::optional<std::chrono::milliseconds> statement_timeout;
  // How many times a transaction that failed with 40001 (serialization) or 40P01 (deadlock) is run again.
  int max_retries = 4;

  // Shorthands (designated initialisers that skip members trip -Wmissing-field-initializers).
  static TxOptions ReadOnly() {
    TxOptions o;
    o.read_only = true;
    return o;
  }
  static TxOptions Serializable() {
    TxOptions o;
    o.isolation = Isolation::kSerializable;
    return o;
  }
};

struct DatabaseOptions {
  int pool_size = 8;                                       // connections, and threads of the blocking pool
  std::chrono::milliseconds lease_timeout{5000};           // waiting for a free connection longer → Unavailable
  int max_waiting_per_connection = 4;                      // RunAsync queue bound = this × pool_size
  int connect_timeout_seconds = 3;                         // libpq connect_timeout, so an outage fails fast
};

// Figures for /metrics.
struct PoolStats {
  int size = 0;     // the most connections the pool opens
  int open = 0;     // connections currently open (idle + in use)
  int in_use = 0;   // connections leased right now
  int waiting = 0;  // RunAsync calls queued for a blocking thread + callers waiting for a connection
};

class Database {
 public:
  // Connections are opened lazily, on the first lease that finds no idle one; construction never touches the network.
  // `conninfo` is a libpq keyword string or a postgresql:// URI; connect_timeout is added unless it already has one.
  Database(std::string conninfo, int pool_size);
  Database(std::string conninfo, DatabaseOptions options);
  ~Database();  // Shutdown()
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  class Lease;

  // Registers a prepared statement, prepared on every connection of the pool (current ones on their next lease, new
  // ones when opened). Call once per statement at start-up (repositories do it in their constructors). Registering the
  // same name with the same SQL again is a no-op; with different SQL it throws std::logic_error.
  void Prepare(std::string name, std::string sql);

  // Leases a connection (blocking up to lease_timeout) for work that does not fit Run, e.g. LISTEN or COPY outside a
  // transaction. Throws Unavailable when none can be had.
  Lease Acquire();

  // Blocking: leases a connection, opens a transaction, calls f(pqxx::work&), commits, returns what f returned. If f
  // throws, the transaction rolls back and the exception propagates. f runs again (on a fresh transaction) after a
  // serialization failure or deadlock (up to max_retries, with a short backoff) and after the connection broke before
  // COMMIT was sent, so it must not have side effects outside the transaction. Throws Unavailable when PostgreSQL
  // cannot be reached or the connection breaks during COMMIT. Never call from an I/O thread (use RunAsync), and
  // never nest Run inside f (the nested call needs a second connection and may deadlock the pool).
  template <class F>
  auto Run(F&& f) {
    return Run(TxOptions{}, std::forward<F>(f));
  }
  template <class F>
  auto Run(const TxOptions& options, F&& f) {
    using R = std::invoke_result_t<F&, pqxx::work&>;
    if constexpr (std::is_void_v<R>) {
      RunErased(options, [&f](pqxx::work& tx) { f(tx); });
    } else {
      std::optional<R> out;
      RunErased(options, [&f, &out](pqxx::work& tx) { out.emplace(f(tx)); });
      return std::move(*out);
    }
  }

  // Runs Run(options, f) on the blocking pool and resumes the awaiting coroutine on its own executor; exceptions
  // (Unavailable included) propagate to the awaiter. Throws Unavailable at once when more than
  // max_waiting_per_connection × pool_size calls are already queued, or after Shutdown().
  //
  // The callable is taken by reference, not copied into the coroutine: g++ 12 destroys a by-value coroutine
  // parameter's captures twice. So await the result in the same expression that creates it
  // (`co_await db.RunAsync([&](pqxx::work& tx) {...})`), which keeps a temporary callable alive throughout.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&, pqxx::work&>> RunAsync(F&& f) {
    co_return co_await RunAsync(TxOptions{}, f);
  }
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&, pqxx::work&>> RunAsync(TxOptions options, F&& f) {
    co_return co_await Offload([this, &options, &f]() { return Run(options, f); });
  }

  // Runs any blocking callable g() on the blocking pool (same queue bound, resumption and lifetime rules as RunAsync).
  template <class G>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<G>&>> Offload(G&& g);

  // SELECT 1 on a dedicated connection with a short timeout (for /readyz); never throws. Blocking: await
  // Offload([&] { return db.Ping(); }) from a coroutine.
  bool Ping();

  PoolStats Stats() const;

  // Stops accepting RunAsync calls, waits for queued ones to finish, then closes every connection. Idempotent.
  void Shutdown();

  const std::string& conninfo() const { return conninfo_; }

 private:
  struct Pooled {
    std::unique_ptr<pqxx::connection> conn;
    std::size_t prepared = 0;  // how many of statements_ this connection has been told about
  };

  void RunErased(const TxOptions& options, const std::function<void(pqxx::work&)>& body);
  Pooled Take();                      // blocks up to lease_timeout; throws Unavailable
  void Return(Pooled pooled, bool broken);
  void PrepareNew(Pooled& pooled);    // registers statements added since this connection last saw them
  std::unique_ptr<pqxx::connection> Connect() const;  // throws Unavailable
  void EnterQueue();                  // throws Unavailable when the RunAsync queue is full or shut down
  void LeaveQueue() { queued_.fetch_sub(1); }

  std::string conninfo_;
  DatabaseOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Pooled> idle_;
  int open_ = 0;
  int in_use_ = 0;
  int lease_waiters_ = 0;
  std::vector<std::pair<std::string, std::string>> statements_;

  std::mutex ping_mutex_;
  std::unique_ptr<pqxx::connection> ping_conn_;

  std::atomic<int> queued_{0};
  std::atomic<bool> stopping_{false};  // Shutdown() began: RunAsync and Ping refuse
  bool closed_ = false;                // Shutdown() finished draining: leases refuse (guarded by mutex_)
  boost::asio::thread_pool blocking_;
};

// A connection leased from the pool; returned on destruction, or discarded (closed) when it broke or Discard() was
// called. Movable, not copyable.
class Database::Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  pqxx::connection& operator*() { return *pooled_.conn; }
  pqxx::connection* operator->() { return pooled_.conn.get(); }
  // Closes the connection instead of returning it to the pool (e.g. after LISTEN or when its state is unknown).
  void Discard() { discard_ = true; }

 private:
  friend class Database;
  Lease(Database* db, Pooled pooled) : db_(db), pooled_(std::move(pooled)) {}

  Database* db_;
  Pooled pooled_;
  bool discard_ = false;
};

template <class G>
boost::asio::awaitable<std::invoke_result_t<std::decay_t<G>&>> Database::Offload(G&& g) {
  using R = std::invoke_result_t<std::decay_t<G>&>;
  // Completion carries the value in an optional so that an exception needs no default-constructed R.
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, std::optional<R>>;
  EnterQueue();
  auto initiate = [this, &g](auto handler) {
    auto resume_on = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                         boost::asio::execution::outstanding_work.tracked);
    boost::asio::post(blocking_, [this, &g, handler = std::move(handler), resume_on]() mutable {
      LeaveQueue();
      std::exception_ptr error;
      Value value{};
      try {
        if constexpr (std::is_void_v<R>) {
          g();
        } else {
          value.emplace(g());
        }
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::dispatch(resume_on, [handler = std::move(handler), error, value = std::move(value)]() mutable {
        std::move(handler)(error, std::move(value));
      });
    });
  };
  // g outlives this coroutine (see RunAsync), which stays suspended until the handler runs, so capturing it by
  // reference is safe.
  Value value = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                     void(std::exception_ptr, Value)>(std::move(initiate),
                                                                                     boost::asio::use_awaitable);
  if constexpr (!std::is_void_v<R>) {
    co_return std::move(*value);
  }
}

}  // namespace pagelift::db
