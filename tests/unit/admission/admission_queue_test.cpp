#include "admission/admission_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace sy::admission {
namespace {

using std::chrono::milliseconds;

constexpr auto I = Priority::Interactive;
constexpr auto B = Priority::Batch;
const TimePoint t0{};

QueuedRequest item(std::uint64_t id, Priority priority, TimePoint deadline = TimePoint::max(),
                   std::uint32_t needed_ctx = 0) {
  return QueuedRequest{id, priority, t0, deadline, needed_ctx};
}

std::vector<std::uint64_t> drain(AdmissionQueue& queue) {
  std::vector<std::uint64_t> ids;
  while (auto next = queue.pop()) ids.push_back(next->id);
  return ids;
}

TEST(AdmissionQueue, PopsInteractiveFirstThenFifoWithinPriority) {
  AdmissionQueue queue(10, OverflowPolicy::Reject);
  for (const auto& [id, p] : std::vector<std::pair<std::uint64_t, Priority>>{
           {1, B}, {2, I}, {3, B}, {4, I}, {5, I}, {6, B}}) {
    ASSERT_TRUE(queue.push(item(id, p)).admitted);
  }
  EXPECT_EQ(queue.size(), 6u);
  EXPECT_EQ(queue.size(I), 3u);
  EXPECT_EQ(queue.size(B), 3u);
  ASSERT_NE(queue.peek(), nullptr);
  EXPECT_EQ(queue.peek()->id, 2u);
  EXPECT_EQ(drain(queue), (std::vector<std::uint64_t>{2, 4, 5, 1, 3, 6}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.peek(), nullptr);
  EXPECT_EQ(queue.pop(), std::nullopt);
}

struct OverflowCase {
  std::string name;
  OverflowPolicy policy;
  std::vector<Priority> queued;  // ids 1..n in this order; fills the queue (capacity = n)
  Priority incoming;             // id 100
  bool admitted;
  std::optional<std::uint64_t> evicted;
};

TEST(AdmissionQueue, OverflowPoliciesChooseTheRightVictim) {
  const std::vector<OverflowCase> cases = {
      {"reject refuses interactive", OverflowPolicy::Reject, {I, B, B}, I, false, std::nullopt},
      {"reject refuses batch", OverflowPolicy::Reject, {I, B, B}, B, false, std::nullopt},
      {"drop_lru evicts oldest batch", OverflowPolicy::DropLru, {I, B, B}, I, true, 2},
      {"drop_lru evicts oldest batch for batch", OverflowPolicy::DropLru, {B, I, B}, B, true, 1},
      {"drop_lru refuses batch facing only interactive",
       OverflowPolicy::DropLru,
       {I, I, I},
       B,
       false,
       std::nullopt},
      {"drop_lru oldest interactive for interactive", OverflowPolicy::DropLru, {I, I}, I, true, 1},
      {"shed evicts newest batch", OverflowPolicy::ShedLowPriority, {B, I, B, I}, I, true, 3},
      {"shed refuses batch newcomer",
       OverflowPolicy::ShedLowPriority,
       {B, I, B},
       B,
       false,
       std::nullopt},
      {"shed refuses when only interactive",
       OverflowPolicy::ShedLowPriority,
       {I, I},
       I,
       false,
       std::nullopt},
  };
  for (const OverflowCase& c : cases) {
    SCOPED_TRACE(c.name);
    AdmissionQueue queue(c.queued.size(), c.policy);
    for (std::size_t i = 0; i < c.queued.size(); ++i) {
      const auto pushed = queue.push(item(i + 1, c.queued[i]));
      ASSERT_TRUE(pushed.admitted);
      ASSERT_EQ(pushed.evicted, std::nullopt);
    }
    const auto outcome = queue.push(item(100, c.incoming));
    EXPECT_EQ(outcome.admitted, c.admitted);
    EXPECT_EQ(outcome.evicted, c.evicted);
    EXPECT_EQ(queue.size(), c.queued.size());
    EXPECT_EQ(queue.position(100).has_value(), c.admitted);
    if (c.evicted) {
      EXPECT_EQ(queue.position(*c.evicted), std::nullopt);
    }
  }
}

TEST(AdmissionQueue, AdmitsWithoutEvictionWhileBelowCapacity) {
  for (const auto policy :
       {OverflowPolicy::Reject, OverflowPolicy::DropLru, OverflowPolicy::ShedLowPriority}) {
    AdmissionQueue queue(3, policy);
    for (std::uint64_t id = 1; id <= 3; ++id) {
      const auto outcome = queue.push(item(id, id % 2 ? B : I));
      EXPECT_TRUE(outcome.admitted);
      EXPECT_EQ(outcome.evicted, std::nullopt);
    }
  }
}

TEST(AdmissionQueue, CapacityZeroNeverAdmits) {
  for (const auto policy :
       {OverflowPolicy::Reject, OverflowPolicy::DropLru, OverflowPolicy::ShedLowPriority}) {
    AdmissionQueue queue(0, policy);
    EXPECT_FALSE(queue.push(item(1, I)).admitted);
    EXPECT_FALSE(queue.push(item(2, B)).admitted);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.capacity(), 0u);
  }
}

TEST(AdmissionQueue, RefusesDuplicateIds) {
  AdmissionQueue queue(5, OverflowPolicy::DropLru);
  ASSERT_TRUE(queue.push(item(7, I)).admitted);
  EXPECT_FALSE(queue.push(item(7, B)).admitted);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(AdmissionQueue, PositionCountsInteractiveAheadOfBatch) {
  AdmissionQueue queue(20, OverflowPolicy::Reject);
  // Interactive 10..14 and batch 20..26, interleaved on arrival.
  std::vector<std::uint64_t> interactive;
  std::vector<std::uint64_t> batch;
  for (std::uint64_t k = 0; k < 7; ++k) {
    if (k < 5) {
      ASSERT_TRUE(queue.push(item(10 + k, I)).admitted);
      interactive.push_back(10 + k);
    }
    ASSERT_TRUE(queue.push(item(20 + k, B)).admitted);
    batch.push_back(20 + k);
  }
  for (std::size_t i = 0; i < interactive.size(); ++i) {
    EXPECT_EQ(queue.position(interactive[i]), i) << "interactive " << interactive[i];
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(queue.position(batch[i]), interactive.size() + i) << "batch " << batch[i];
  }
  EXPECT_EQ(queue.position(999), std::nullopt);
}

TEST(AdmissionQueue, RemoveUnlinksAndShiftsPositions) {
  AdmissionQueue queue(10, OverflowPolicy::Reject);
  for (std::uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(queue.push(item(id, I)).admitted);
  ASSERT_TRUE(queue.push(item(5, B, t0 + milliseconds(10))).admitted);

  EXPECT_TRUE(queue.remove(2));
  EXPECT_FALSE(queue.remove(2));
  EXPECT_FALSE(queue.remove(42));
  EXPECT_EQ(queue.position(3), 1u);
  EXPECT_EQ(queue.position(5), 3u);

  EXPECT_TRUE(queue.remove(5));  // an item with a deadline: expire must not see it again
  EXPECT_TRUE(queue.expire(t0 + milliseconds(100)).empty());
  EXPECT_EQ(drain(queue), (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST(AdmissionQueue, ExpireRemovesItemsAtOrPastDeadlineEarliestFirst) {
  AdmissionQueue queue(10, OverflowPolicy::Reject);
  ASSERT_TRUE(queue.push(item(1, I, t0 + milliseconds(300))).admitted);
  ASSERT_TRUE(queue.push(item(2, B, t0 + milliseconds(100))).admitted);
  ASSERT_TRUE(queue.push(item(3, I)).admitted);  // no deadline
  ASSERT_TRUE(queue.push(item(4, I, t0 + milliseconds(200))).admitted);
  ASSERT_TRUE(queue.push(item(5, B, t0 + milliseconds(500))).admitted);

  EXPECT_TRUE(queue.expire(t0 + milliseconds(99)).empty());
  EXPECT_EQ(queue.expire(t0 + milliseconds(300)), (std::vector<std::uint64_t>{2, 4, 1}));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.expire(TimePoint::max() - milliseconds(1)), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(drain(queue), (std::vector<std::uint64_t>{3}));
}

TEST(AdmissionQueue, EvictedItemsLeaveTheDeadlineIndex) {
  AdmissionQueue queue(1, OverflowPolicy::ShedLowPriority);
  ASSERT_TRUE(queue.push(item(1, B, t0 + milliseconds(10))).admitted);
  const auto outcome = queue.push(item(2, I));
  ASSERT_TRUE(outcome.admitted);
  EXPECT_EQ(outcome.evicted, 1u);
  EXPECT_TRUE(queue.expire(t0 + milliseconds(50)).empty());
}

TEST(AdmissionQueue, PopIfTakesFirstMatchInDispatchOrder) {
  AdmissionQueue queue(10, OverflowPolicy::Reject);
  ASSERT_TRUE(queue.push(item(1, B, TimePoint::max(), 100)).admitted);
  ASSERT_TRUE(queue.push(item(2, I, TimePoint::max(), 9000)).admitted);
  ASSERT_TRUE(queue.push(item(3, B, TimePoint::max(), 200)).admitted);
  ASSERT_TRUE(queue.push(item(4, I, TimePoint::max(), 300)).admitted);
  ASSERT_TRUE(queue.push(item(5, I, TimePoint::max(), 50)).admitted);

  const auto fits = [](std::uint32_t limit) {
    return [limit](const QueuedRequest& r) { return r.needed_ctx <= limit; };
  };
  EXPECT_EQ(queue.pop_if(fits(1000))->id, 4u);  // 2 is first but too large
  EXPECT_EQ(queue.pop_if(fits(80))->id, 5u);
  EXPECT_EQ(queue.pop_if(fits(150))->id, 1u);  // no interactive fits; first batch that does
  EXPECT_EQ(queue.pop_if(fits(10)), std::nullopt);
  EXPECT_EQ(queue.pop_if(B, fits(100000))->id, 3u);  // restricted to batch
  EXPECT_EQ(queue.pop_if(B, fits(100000)), std::nullopt);
  EXPECT_EQ(drain(queue), (std::vector<std::uint64_t>{2}));
}

TEST(AdmissionQueue, PositionIsCorrectFromEitherEnd) {
  for (std::uint64_t n = 1; n <= 9; ++n) {
    AdmissionQueue queue(n, OverflowPolicy::Reject);
    for (std::uint64_t id = 0; id < n; ++id) ASSERT_TRUE(queue.push(item(id, B)).admitted);
    for (std::uint64_t id = 0; id < n; ++id) EXPECT_EQ(queue.position(id), id) << n;
  }
}

TEST(AdmissionQueue, StaysConsistentAfterMove) {
  AdmissionQueue original(4, OverflowPolicy::DropLru);
  ASSERT_TRUE(original.push(item(1, I)).admitted);
  ASSERT_TRUE(original.push(item(2, B, t0 + milliseconds(5))).admitted);
  AdmissionQueue moved = std::move(original);
  EXPECT_TRUE(moved.remove(1));  // an item without a deadline
  EXPECT_EQ(moved.expire(t0 + milliseconds(5)), (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(moved.empty());
}

}  // namespace
}  // namespace sy::admission
