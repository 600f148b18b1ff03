// db::Database against a real PostgreSQL: transactions, prepared statements, the pool's handling of broken
// connections and of an outage (a private cluster is stopped and restarted), retries, and the async bridge.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <latch>
#include <thread>

#include "db/database.h"
#include "support/pg_cluster.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using db::Database;

int BackendPid(Database& database) {
  return database.Run([](pqxx::work& tx) { return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>(); });
}

void Terminate(int pid) {
  pqxx::connection admin(TestDatabase::AdminConninfo());
  pqxx::nontransaction tx(admin);
  ASSERT_TRUE(tx.exec_params("SELECT pg_terminate_backend($1)", pid)[0][0].as<bool>());
  // Wait until the backend process has exited (its socket closed) so that the pool's next use meets a dead socket;
  // pg_stat_activity forgets it slightly earlier than that.
  for (int i = 0; i < 100; ++i) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "backend " << pid << " did not exit";
}

TEST(DatabaseTest, RunCommitsAndReturnsTheValue) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 2);
  database.Run([](pqxx::work& tx) { tx.exec("CREATE TABLE t (v int)"); });
  database.Run([](pqxx::work& tx) { tx.exec("INSERT INTO t VALUES (7)"); });
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT sum(v) FROM t")[0][0].as<int>(); }), 7);
}

TEST(DatabaseTest, RunRollsBackWhenTheBodyThrows) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  database.Run([](pqxx::work& tx) { tx.exec("CREATE TABLE t (v int)"); });
  EXPECT_THROW(database.Run([](pqxx::work& tx) {
    tx.exec("INSERT INTO t VALUES (1)");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT count(*) FROM t")[0][0].as<int>(); }), 0);
  // A statement error is the caller's, not an outage.
  EXPECT_THROW(database.Run([](pqxx::work& tx) { tx.exec("SELECT * FROM no_such_table"); }), pqxx::sql_error);
  EXPECT_EQ(database.Stats().in_use, 0);
}

TEST(DatabaseTest, ReadOnlyTransactionsRefuseWrites) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  database.Run([](pqxx::work& tx) { tx.exec("CREATE TABLE t (v int)"); });
  EXPECT_THROW(database.Run(db::TxOptions::ReadOnly(), [](pqxx::work& tx) { tx.exec("INSERT INTO t VALUES (1)"); }),
               pqxx::sql_error);
}

TEST(DatabaseTest, PreparedStatementsReachEveryConnection) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 2);
  database.Prepare("plus_one", "SELECT $1::int + 1");
  database.Prepare("plus_one", "SELECT $1::int + 1");  // same SQL again: fine
  EXPECT_THROW(database.Prepare("plus_one", "SELECT 2"), std::logic_error);
  // Two leases at once force a second connection.
  auto first = database.Acquire();
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec_prepared("plus_one", 41)[0][0].as<int>(); }), 42);
  {
    pqxx::work tx(*first);
    EXPECT_EQ(tx.exec_prepared("plus_one", 1)[0][0].as<int>(), 2);
  }
  // Registered after the connections opened: they learn it on their next lease.
  database.Prepare("times_two", "SELECT $1::int * 2");
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec_prepared("times_two", 21)[0][0].as<int>(); }), 42);
}

TEST(DatabaseTest, BrokenConnectionIsDiscardedAndReplaced) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  database.Prepare("answer", "SELECT 42");
  const int pid = BackendPid(database);
  EXPECT_EQ(database.Stats().open, 1);
  Terminate(pid);
  // The dead idle connection is noticed on use, replaced, and the work runs on the new one (prepared statements too).
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec_prepared("answer")[0][0].as<int>(); }), 42);
  const int new_pid = BackendPid(database);
  EXPECT_NE(new_pid, pid);
  const auto stats = database.Stats();
  EXPECT_EQ(stats.open, 1);
  EXPECT_EQ(stats.in_use, 0);
}

TEST(DatabaseTest, UnavailableWhileTheServerIsDownThenRecovers) {
  PgCluster cluster(std::string(PAGELIFT_TEST_PG_DIR) + "-outage");
  cluster.Start();
  Database database(cluster.conninfo(), 2);
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT 1")[0][0].as<int>(); }), 1);
  EXPECT_TRUE(database.Ping());

  cluster.Stop();
  const auto started = std::chrono::steady_clock::now();
  try {
    database.Run([](pqxx::work& tx) { tx.exec("SELECT 1"); });
    FAIL() << "Run succeeded while PostgreSQL was stopped";
  } catch (const db::Unavailable& e) {
    EXPECT_GE(e.retry_after_seconds(), 1);
  }
  // A second call (nothing pooled any more) fails the same way: connecting is refused.
  EXPECT_THROW(database.Run([](pqxx::work& tx) { tx.exec("SELECT 1"); }), db::Unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_FALSE(database.Ping());
  EXPECT_EQ(database.Stats().in_use, 0);

  cluster.Start();
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT 2")[0][0].as<int>(); }), 2);
  EXPECT_TRUE(database.Ping());
}

TEST(DatabaseTest, SerializationFailureIsRetried) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 2);
  database.Run([](pqxx::work& tx) { tx.exec("CREATE TABLE counter (k int PRIMARY KEY, v int); INSERT INTO counter "
                                            "VALUES (1, 0)"); });
  std::atomic<int> calls{0};
  std::latch both_read(2);
  auto increment = [&] {
    bool first_attempt = true;
    database.Run(db::TxOptions::Serializable(), [&](pqxx::work& tx) {
      ++calls;
      const int v = tx.exec("SELECT v FROM counter WHERE k = 1")[0][0].as<int>();
      if (first_attempt) {
        first_attempt = false;
        both_read.arrive_and_wait();  // both snapshots see v = 0: the second writer must fail with 40001
      }
      tx.exec_params("UPDATE counter SET v = $1 WHERE k = 1", v + 1);
    });
  };
  std::thread a(increment);
  std::thread b(increment);
  a.join();
  b.join();
  EXPECT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT v FROM counter")[0][0].as<int>(); }), 2);
  EXPECT_EQ(calls.load(), 3);  // one of the two ran again
}

TEST(DatabaseTest, SerializationFailureGivesUpAfterMaxRetries) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  int calls = 0;
  db::TxOptions options;
  options.max_retries = 2;
  EXPECT_THROW(database.Run(options, [&](pqxx::work&) {
    ++calls;
    throw pqxx::serialization_failure("simulated");
  }),
               pqxx::serialization_failure);
  EXPECT_EQ(calls, 3);
}

TEST(DatabaseTest, LeaseTimesOutWithUnavailable) {
  TestDatabase tdb;
  db::DatabaseOptions options;
  options.pool_size = 1;
  options.lease_timeout = std::chrono::milliseconds(200);
  Database database(tdb.conninfo(), options);
  auto held = database.Acquire();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(database.Run([](pqxx::work& tx) { tx.exec("SELECT 1"); }), db::Unavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(190));
}

TEST(DatabaseTest, RunAsyncRunsOffTheIoThreadAndResumesOnIt) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 2);
  boost::asio::io_context io;
  std::thread::id io_thread;
  std::thread::id work_thread;
  std::thread::id resumed_thread;
  auto result = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<int> {
        const int v = co_await database.RunAsync([&](pqxx::work& tx) {
          work_thread = std::this_thread::get_id();
          return tx.exec("SELECT 40 + 2")[0][0].as<int>();
        });
        resumed_thread = std::this_thread::get_id();
        co_return v;
      },
      boost::asio::use_future);
  io_thread = std::this_thread::get_id();
  io.run();
  EXPECT_EQ(result.get(), 42);
  EXPECT_NE(work_thread, io_thread);
  EXPECT_EQ(resumed_thread, io_thread);
}

TEST(DatabaseTest, RunAsyncPropagatesExceptions) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        co_await database.RunAsync([](pqxx::work& tx) { tx.exec("SELECT * FROM no_such_table"); });
      },
      boost::asio::use_future);
  io.run();
  EXPECT_THROW(result.get(), pqxx::sql_error);
}

TEST(DatabaseTest, RunAsyncRefusesWhenTheQueueIsFull) {
  TestDatabase tdb;
  db::DatabaseOptions options;
  options.pool_size = 1;
  options.max_waiting_per_connection = 2;
  Database database(tdb.conninfo(), options);
  boost::asio::io_context io;
  std::latch release(1);
  std::latch blocker_running(1);
  std::atomic<int> unavailable{0};
  std::atomic<int> done{0};
  // One call occupies the only blocking thread; two more wait in the queue; the fourth is refused at once.
  auto spawn = [&](bool block) {
    boost::asio::co_spawn(
        io,
        [&, block]() -> boost::asio::awaitable<void> {
          try {
            co_await database.Offload([&, block] {
              if (block) {
                blocker_running.count_down();
                release.wait();
              }
            });
            ++done;
          } catch (const db::Unavailable&) {
            ++unavailable;
          }
        },
        boost::asio::detached);
  };
  spawn(true);
  io.poll();
  blocker_running.wait();
  spawn(false);
  spawn(false);
  io.poll();
  EXPECT_EQ(database.Stats().waiting, 2);
  spawn(false);
  io.poll();
  EXPECT_EQ(unavailable.load(), 1);
  release.count_down();
  while (done.load() < 3) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(unavailable.load(), 1);
  EXPECT_EQ(database.Stats().waiting, 0);
}

TEST(DatabaseTest, StatsAndShutdown) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 3);
  auto stats = database.Stats();
  EXPECT_EQ(stats.size, 3);
  EXPECT_EQ(stats.open, 0);  // lazy
  {
    auto a = database.Acquire();
    auto b = database.Acquire();
    stats = database.Stats();
    EXPECT_EQ(stats.open, 2);
    EXPECT_EQ(stats.in_use, 2);
  }
  stats = database.Stats();
  EXPECT_EQ(stats.open, 2);
  EXPECT_EQ(stats.in_use, 0);
  database.Shutdown();
  EXPECT_EQ(database.Stats().open, 0);
  EXPECT_FALSE(database.Ping());
  EXPECT_THROW(database.Run([](pqxx::work& tx) { tx.exec("SELECT 1"); }), db::Unavailable);
}

TEST(DatabaseTest, ConnectTimeoutIsAddedToBothConninfoForms) {
  EXPECT_NE(Database("host=/tmp dbname=x", 1).conninfo().find("connect_timeout=3"), std::string::npos);
  EXPECT_EQ(Database("postgresql://u@h/db", 1).conninfo(), "postgresql://u@h/db?connect_timeout=3");
  EXPECT_EQ(Database("postgresql://u@h/db?sslmode=disable", 1).conninfo(),
            "postgresql://u@h/db?sslmode=disable&connect_timeout=3");
  EXPECT_EQ(Database("dbname=x connect_timeout=9", 1).conninfo(), "dbname=x connect_timeout=9");
}

}  // namespace
}  // namespace pagelift::testing
