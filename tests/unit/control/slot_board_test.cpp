#include "control/slot_board.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace sy::control {
namespace {
using namespace sy::placement;  // snapshots and breakers: what the scheduler works on

// m1 on endpoints 0 and 1 (2 slots each, ctx 4096); m2 on endpoint 2 (1 slot).
std::shared_ptr<RegistrySnapshot> registry() {
  auto s = std::make_shared<RegistrySnapshot>();
  s->version = 1;
  s->pools.push_back({"p0", {"m1"}, 2, 4096, {0, 1}});
  s->pools.push_back({"p1", {"m2"}, 1, 4096, {2}});
  for (std::uint32_t e = 0; e < 3; ++e) {
    s->endpoints.push_back({e, e < 2 ? 0u : 1u, "http://e" + std::to_string(e), true});
  }
  return s;
}

TEST(SlotBoard, ClaimsUpToTheSlotsAndReleases) {
  SlotBoard board(2, {"m"});
  EXPECT_TRUE(board.try_claim(0, 2));
  EXPECT_TRUE(board.try_claim(0, 2));
  EXPECT_FALSE(board.try_claim(0, 2));
  EXPECT_EQ(board.in_flight(0), 2u);
  board.release(0);
  EXPECT_EQ(board.in_flight(0), 1u);
  board.release(0);
  board.release(0);  // an extra release does not wrap below zero
  EXPECT_EQ(board.in_flight(0), 0u);
  EXPECT_FALSE(board.try_claim(7, 100));  // past the board: never free
  EXPECT_EQ(board.in_flight(7), 0u);
}

TEST(SlotBoard, TracksQueuedCountsOfKnownModelsOnly) {
  SlotBoard board(1, {"b", "a", "b"});
  EXPECT_EQ(board.models(), (std::vector<std::string>{"a", "b"}));
  board.set_queued("b", 3);
  board.set_queued("zzz", 9);  // not on the board: ignored
  EXPECT_EQ(board.queued("b"), 3u);
  EXPECT_EQ(board.queued("a"), 0u);
  EXPECT_EQ(board.queued("zzz"), 0u);
}

TEST(ClaimFreeSlot, TakesTheLeastLoadedFeasibleEndpoint) {
  const auto snap = registry();
  SlotBoard board(3, {"m1", "m2"});
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 100), 0u);
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 100), 1u);  // 0 now carries one
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 100), 0u);
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 100), 1u);
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 100), std::nullopt);  // all four slots taken
  EXPECT_EQ(board.in_flight(0) + board.in_flight(1), 4u);
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 5000), std::nullopt);  // too large for ctx_max
  EXPECT_EQ(claim_free_slot(*snap, board, "nope", 1), std::nullopt);
  EXPECT_EQ(claim_free_slot(*snap, board, "m2", 1), 2u);
}

TEST(ClaimFreeSlot, LeavesFreeSlotsToQueuedWork) {
  const auto snap = registry();
  SlotBoard board(3, {"m1", "m2"});
  board.set_queued("m1", 1);
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 1), std::nullopt);
  EXPECT_EQ(board.in_flight(0), 0u);
  EXPECT_EQ(claim_free_slot(*snap, board, "m2", 1), 2u);  // other models are not held back
}

TEST(ClaimFreeSlot, LeavesASharedPoolsFreeSlotsToAnotherModelsQueue) {
  auto snap = std::make_shared<RegistrySnapshot>();
  snap->pools.push_back({"shared", {"a", "b"}, 1, 4096, {0}});
  snap->endpoints.push_back({0, 0, "http://e0", true});
  SlotBoard board(1, {"a", "b"});
  board.set_queued("b", 2);  // b waits for the pool a shares
  EXPECT_EQ(claim_free_slot(*snap, board, "a", 1), std::nullopt);
  board.set_queued("b", 0);
  EXPECT_EQ(claim_free_slot(*snap, board, "a", 1), 0u);
}

TEST(ClaimFreeSlot, SkipsUnreadyEndpointsAndBreakersThatAreNotClosed) {
  auto snap = registry();
  snap->endpoints[0].ready = false;
  snap->endpoints[1].breaker = BreakerState::HalfOpen;  // the scheduler's trial to hand out
  SlotBoard board(3, {"m1", "m2"});
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 1), std::nullopt);
  snap->endpoints[1].breaker = BreakerState::Closed;
  EXPECT_EQ(claim_free_slot(*snap, board, "m1", 1), 1u);
}

TEST(ClaimFreeSlot, NeverOvercommitsUnderConcurrentClaims) {
  const auto snap = registry();
  SlotBoard board(3, {"m1", "m2"});
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        const auto e = claim_free_slot(*snap, board, "m1", 1);
        if (!e) continue;
        const int now = running.fetch_add(1) + 1;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        if (board.in_flight(*e) > 2) over = true;
        running.fetch_sub(1);
        board.release(*e);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(over.load());
  EXPECT_LE(peak.load(), 4);  // two endpoints x two slots
  EXPECT_EQ(board.in_flight(0), 0u);
  EXPECT_EQ(board.in_flight(1), 0u);
}

TEST(SlotBoard, GrowsWithTheRegistryAndKeepsCounts) {
  SlotBoard board;
  EXPECT_EQ(board.endpoint_count(), 0u);
  EXPECT_FALSE(board.try_claim(0, 1));  // no room yet
  board.reserve_endpoints(3);
  EXPECT_EQ(board.endpoint_count(), 3u);
  EXPECT_TRUE(board.try_claim(2, 1));
  // Past a chunk boundary: the counts already taken stay where they are.
  board.reserve_endpoints(SlotBoard::kChunkSize * 2 + 5);
  EXPECT_EQ(board.endpoint_count(), SlotBoard::kChunkSize * 2 + 5);
  EXPECT_EQ(board.in_flight(2), 1u);
  EXPECT_TRUE(board.try_claim(SlotBoard::kChunkSize * 2 + 4, 1));
  board.reserve_endpoints(2);  // never shrinks
  EXPECT_EQ(board.endpoint_count(), SlotBoard::kChunkSize * 2 + 5);
  std::vector<std::uint32_t> loads;
  board.load_all(loads);
  ASSERT_EQ(loads.size(), SlotBoard::kChunkSize * 2 + 5);
  EXPECT_EQ(loads[2], 1u);
  EXPECT_EQ(loads[SlotBoard::kChunkSize * 2 + 4], 1u);
  EXPECT_EQ(loads[3], 0u);
}

TEST(SlotBoard, IsBoundedInEndpointsAndModels) {
  SlotBoard board;
  board.reserve_endpoints(SlotBoard::kMaxEndpoints + 100);
  EXPECT_EQ(board.endpoint_count(), SlotBoard::kMaxEndpoints);
  EXPECT_TRUE(board.try_claim(SlotBoard::kMaxEndpoints - 1, 1));
  EXPECT_FALSE(board.try_claim(SlotBoard::kMaxEndpoints, 1));  // beyond the bound: never free
  for (std::size_t m = 0; m < SlotBoard::kMaxModels; ++m) {
    ASSERT_TRUE(board.add_model("model-" + std::to_string(m)));
  }
  EXPECT_FALSE(board.add_model("one-too-many"));
  EXPECT_TRUE(board.add_model("model-7"));  // already there
  board.set_queued("model-7", 3);
  board.set_queued("one-too-many", 3);  // not on the board: ignored
  EXPECT_EQ(board.queued("model-7"), 3u);
  EXPECT_EQ(board.queued("one-too-many"), 0u);
  EXPECT_EQ(board.models().size(), SlotBoard::kMaxModels);
}

TEST(SlotBoard, ReadersSeeAConsistentBoardWhileItGrows) {
  // One writer grows the board and adds models (as the control thread does on a reload) while
  // readers claim, release and look models up (as the I/O threads do): no torn reads, no lost
  // counts. Meaningful under ThreadSanitizer above all.
  SlotBoard board(1, {"m0"});
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<std::uint64_t> claims{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      std::vector<std::uint32_t> loads;
      // At least a few thousand rounds each, however quickly the writer finishes.
      for (int round = 0; round < 5000 || !done.load(); ++round) {
        const std::size_t n = board.endpoint_count();
        const auto e = static_cast<std::uint32_t>(claims.load() % n);
        if (board.try_claim(e, 1000)) {
          claims.fetch_add(1);
          board.release(e);
        }
        board.load_all(loads);
        (void)board.queued("m" + std::to_string(claims.load() % 64));
      }
    });
  }
  for (std::size_t i = 2; i <= 2000; ++i) {
    board.reserve_endpoints(i);
    if (i % 32 == 0) (void)board.add_model("m" + std::to_string(i / 32));
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(board.endpoint_count(), 2000u);
  for (std::uint32_t e = 0; e < 2000; ++e) ASSERT_EQ(board.in_flight(e), 0u) << e;
  EXPECT_GT(claims.load(), 0u);
}

}  // namespace
}  // namespace sy::control
