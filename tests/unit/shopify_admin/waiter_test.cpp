// BulkOperationWaiter: the bulk_operations/finish webhook wakes the sync waiting for that operation, and only it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "shopify/bulk_sync.h"

namespace pagelift::shopify {
namespace {
using namespace std::chrono_literals;

TEST(BulkOperationWaiter, TimesOutWithoutANotice) {
  BulkOperationWaiter waiter;
  waiter.Notify("gid://shopify/BulkOperation/2");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(waiter.WaitFor("gid://shopify/BulkOperation/1", 50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(BulkOperationWaiter, ANoticeBeforeTheWaitIsKeptAndConsumed) {
  BulkOperationWaiter waiter;
  waiter.Notify("gid://shopify/BulkOperation/1");
  EXPECT_TRUE(waiter.WaitFor("gid://shopify/BulkOperation/1", 0ms));
  EXPECT_FALSE(waiter.WaitFor("gid://shopify/BulkOperation/1", 0ms));
}

TEST(BulkOperationWaiter, ANoticeWakesAWaitingThreadEarly) {
  BulkOperationWaiter waiter;
  std::thread notifier([&] {
    std::this_thread::sleep_for(30ms);
    waiter.Notify("gid://shopify/BulkOperation/7");
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(waiter.WaitFor("gid://shopify/BulkOperation/7", 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  notifier.join();
}

TEST(SyncKind, NamesRoundTrip) {
  EXPECT_EQ(ParseSyncKind(SyncKindName(SyncKind::kProducts)), SyncKind::kProducts);
  EXPECT_EQ(ParseSyncKind(SyncKindName(SyncKind::kOrders)), SyncKind::kOrders);
  EXPECT_EQ(ParseSyncKind("customers"), std::nullopt);
}

}  // namespace
}  // namespace pagelift::shopify
