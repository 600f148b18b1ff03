// Connection pool, transaction runner and blocking pool of db::Database (see database.h for the contract).
#include "db/database.h"

#include <poll.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <stdexcept>
#include <thread>

#include "core/log.h"

namespace pagelift::db {
namespace {

bool IsUri(const std::string& conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

// Adds connect_timeout so that an outage fails within seconds instead of the OS's TCP timeout.
std::string WithConnectTimeout(std::string conninfo, int seconds) {
  if (conninfo.find("connect_timeout") != std::string::npos) {
    return conninfo;
  }
  const std::string setting = "connect_timeout=" + std::to_string(seconds);
  if (IsUri(conninfo)) {
    conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&") + setting;
  } else {
    conninfo += (conninfo.empty() ? "" : " ") + setting;
  }
  return conninfo;
}

const char* IsolationSql(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return "READ COMMITTED";
    case Isolation::kRepeatableRead:
      return "REPEATABLE READ";
    case Isolation::kSerializable:
      return "SERIALIZABLE";
  }
  return "READ COMMITTED";
}

// SQLSTATEs that mean the server is going away or refusing connections, not that the statement was wrong:
// class 08 (connection exception), 57P01..57P03 (admin/crash shutdown, cannot connect now), 53300 (too many
// connections).
bool IsUnavailableState(const std::string& state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" || state == "53300";
}

// True when the socket has something to read or the peer hung up (non-blocking).
bool SocketReadable(int sock) {
  pollfd fd{};
  fd.fd = sock;
  fd.events = POLLIN | POLLRDHUP;
  return sock < 0 || ::poll(&fd, 1, 0) != 0 || fd.revents != 0;
}

// Whether an idle connection can still be used. A backend that was terminated, or a server that shut down, sends a
// FATAL message and closes the socket. An idle connection normally has nothing to read: if it has, let libpq consume
// it (a notice, or that FATAL message) and look again; what is still readable then is the end of the stream. Catching
// it here, rather than on BEGIN, lets the pool open a replacement before any work starts, and avoids a libpqxx 6 path
// that leaks a PGresult when BEGIN meets a dead socket. Pool connections never LISTEN, so get_notifs() consumes
// nothing anyone waits for.
bool StillAlive(pqxx::connection& conn) {
  if (!conn.is_open()) {
    return false;
  }
  if (!SocketReadable(conn.sock())) {
    return true;
  }
  try {
    conn.get_notifs();
  } catch (const pqxx::broken_connection&) {
    return false;
  }
  return conn.is_open() && !SocketReadable(conn.sock());
}

void Backoff(int attempt) {
  // 5, 10, 20, 40 ms plus a little spread so that two conflicting transactions do not collide again in lockstep.
  const auto base = std::chrono::milliseconds(5 << std::min(attempt, 4));
  const auto jitter = std::chrono::milliseconds(
      std::hash<std::thread::id>{}(std::this_thread::get_id()) % 5);
  std::this_thread::sleep_for(base + jitter);
}

}  // namespace

Database::Database(std::string conninfo, int pool_size)
    : Database(std::move(conninfo), [pool_size] {
        DatabaseOptions options;
        options.pool_size = pool_size;
        return options;
      }()) {}

Database::Database(std::string conninfo, DatabaseOptions options)
    : conninfo_(WithConnectTimeout(std::move(conninfo), options.connect_timeout_seconds)),
      options_(options),
      blocking_(static_cast<std::size_t>(std::max(1, options.pool_size))) {
  if (options_.pool_size < 1) {
    throw std::invalid_argument("database pool size must be at least 1");
  }
}

Database::~Database() { Shutdown(); }

void Database::Prepare(std::string name, std::string sql) {
  std::lock_guard lock(mutex_);
  for (const auto& [known_name, known_sql] : statements_) {
    if (known_name == name) {
      if (known_sql != sql) {
        throw std::logic_error("prepared statement '" + name + "' registered twice with different SQL");
      }
      return;
    }
  }
  statements_.emplace_back(std::move(name), std::move(sql));
}

std::unique_ptr<pqxx::connection> Database::Connect() const {
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    if (!conn->is_open()) {
      throw Unavailable("database connection could not be opened");
    }
    return conn;
  } catch (const pqxx::broken_connection& e) {
    log::Warn("database connection failed", {{"error", e.what()}});
    throw Unavailable("database unavailable", 2);
  } catch (const pqxx::sql_error& e) {
    log::Warn("database connection refused", {{"error", e.what()}, {"sqlstate", e.sqlstate()}});
    throw Unavailable("database unavailable", 2);
  }
}

void Database::PrepareNew(Pooled& pooled) {
  std::vector<std::pair<std::string, std::string>> fresh;
  {
    std::lock_guard lock(mutex_);
    fresh.assign(statements_.begin() + static_cast<std::ptrdiff_t>(pooled.prepared), statements_.end());
    pooled.prepared = statements_.size();
  }
  // libpqxx 6 only records the definition here and sends PREPARE on first use (and again after it reconnects).
  for (const auto& [name, sql] : fresh) {
    pooled.conn->prepare(name, sql);
  }
}

Database::Pooled Database::Take() {
  std::unique_lock lock(mutex_);
  ++lease_waiters_;
  const bool available = returned_.wait_for(lock, options_.lease_timeout, [this] {
    return !idle_.empty() || open_ < options_.pool_size || closed_;
  });
  --lease_waiters_;
  if (closed_) {
    throw Unavailable("database is shut down", 1);
  }
  if (!available) {
    log::Warn("database pool exhausted", {{"size", options_.pool_size}, {"in_use", in_use_}});
    throw Unavailable("database busy: no connection free", 1);
  }
  if (!idle_.empty()) {
    Pooled pooled = std::move(idle_.back());
    idle_.pop_back();
    ++in_use_;
    lock.unlock();
    if (!StillAlive(*pooled.conn)) {
      // Broke while idle (server restart, idle timeout): replace it now.
      lock.lock();
      --in_use_;
      --open_;
      lock.unlock();
      returned_.notify_one();
      return Take();
    }
    PrepareNew(pooled);
    return pooled;
  }
  // Reserve the slot before connecting so that concurrent callers do not overshoot pool_size.
  ++open_;
  ++in_use_;
  lock.unlock();
  Pooled pooled;
  try {
    pooled.conn = Connect();
  } catch (...) {
    lock.lock();
    --open_;
    --in_use_;
    lock.unlock();
    returned_.notify_one();
    throw;
  }
  PrepareNew(pooled);
  return pooled;
}

void Database::Return(Pooled pooled, bool broken) {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (broken || !pooled.conn || !pooled.conn->is_open() || closed_) {
      --open_;
    } else {
      idle_.push_back(std::move(pooled));
    }
  }
  // A closed slot also lets a waiter open a new connection.
  returned_.notify_one();
  // Destroying a discarded connection (closing its socket) happens here, outside the lock.
}

Database::Lease Database::Acquire() { return Lease(this, Take()); }

Database::Lease::Lease(Lease&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), pooled_(std::move(other.pooled_)), discard_(other.discard_) {}

Database::Lease::~Lease() {
  if (db_ != nullptr) {
    db_->Return(std::move(pooled_), discard_);
  }
}

void Database::RunErased(const TxOptions& options, const std::function<void(pqxx::work&)>& body) {
  // One reconnect is allowed: a connection that died while idle in the pool is only noticed on first use, and
  // running the body again is safe because nothing of the failed attempt was committed.
  int reconnects_left = 1;
  for (int attempt = 0;; ++attempt) {
    Lease lease = Acquire();
    bool commit_sent = false;
    try {
      pqxx::work tx(*lease);
      if (options.isolation != Isolation::kReadCommitted || options.read_only) {
        std::string set = "SET TRANSACTION ISOLATION LEVEL ";
        set += IsolationSql(options.isolation);
        if (options.read_only) {
          set += " READ ONLY";
        }
        tx.exec(set);
      }
      if (options.statement_timeout) {
        tx.exec("SET LOCAL statement_timeout = " + std::to_string(options.statement_timeout->count()));
      }
      body(tx);
      commit_sent = true;
      tx.commit();
      return;
    } catch (const pqxx::in_doubt_error& e) {
      lease.Discard();
      log::Error("database commit outcome unknown", {{"error", e.what()}});
      throw Unavailable("database connection lost during commit", 2);
    } catch (const pqxx::broken_connection& e) {
      lease.Discard();
      if (commit_sent || reconnects_left-- <= 0) {
        log::Warn("database connection lost", {{"error", e.what()}});
        throw Unavailable("database connection lost", 2);
      }
      log::Info("database connection broken, reconnecting", {{"error", e.what()}});
    } catch (const pqxx::serialization_failure& e) {
      if (attempt >= options.max_retries) {
        throw;
      }
      log::Debug("serialization failure, retrying", {{"attempt", attempt}});
      Backoff(attempt);
    } catch (const pqxx::deadlock_detected& e) {
      if (attempt >= options.max_retries) {
        throw;
      }
      log::Debug("deadlock detected, retrying", {{"attempt", attempt}});
      Backoff(attempt);
    } catch (const pqxx::sql_error& e) {
      if (IsUnavailableState(e.sqlstate()) || !lease->is_open()) {
        lease.Discard();
        log::Warn("database unavailable", {{"error", e.what()}, {"sqlstate", e.sqlstate()}});
        throw Unavailable("database unavailable", 2);
      }
      throw;
    } catch (...) {
      // The body's own exception: the transaction has rolled back; a connection it left broken is not reused.
      if (!lease->is_open()) {
        lease.Discard();
      }
      throw;
    }
  }
}

void Database::EnterQueue() {
  if (stopping_.load()) {
    throw Unavailable("database is shutting down", 1);
  }
  const int limit = options_.max_waiting_per_connection * options_.pool_size;
  if (queued_.fetch_add(1) >= limit) {
    queued_.fetch_sub(1);
    log::Warn("database queue full", {{"limit", limit}});
    throw Unavailable("database busy: too many queued requests", 1);
  }
}

bool Database::Ping() {
  std::lock_guard lock(ping_mutex_);
  if (stopping_.load()) {
    return false;
  }
  try {
    if (!ping_conn_ || !StillAlive(*ping_conn_)) {
      ping_conn_.reset();
      ping_conn_ = Connect();
    }
    pqxx::work tx(*ping_conn_);
    tx.exec("SET LOCAL statement_timeout = 2000");
    const pqxx::result r = tx.exec("SELECT 1");
    tx.commit();
    return r.size() == 1;
  } catch (const std::exception& e) {
    log::Warn("database ping failed", {{"error", e.what()}});
    ping_conn_.reset();
    return false;
  }
}

PoolStats Database::Stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{.size = options_.pool_size,
                   .open = open_,
                   .in_use = in_use_,
                   .waiting = queued_.load() + lease_waiters_};
}

void Database::Shutdown() {
  if (stopping_.exchange(true)) {
    return;
  }
  blocking_.join();  // runs what is queued to completion; new RunAsync calls are refused meanwhile
  std::vector<Pooled> closing;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    closing.swap(idle_);
    open_ -= static_cast<int>(closing.size());
  }
  returned_.notify_all();
  std::lock_guard lock(ping_mutex_);
  ping_conn_.reset();
}

}  // namespace pagelift::db
