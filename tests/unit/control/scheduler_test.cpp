#include "control/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace sy::control {
namespace {
using namespace sy::placement;  // snapshots and breakers: what the scheduler works on

using admission::OverflowPolicy;
using admission::Priority;
using std::chrono::milliseconds;
using Kind = SubmitOutcome::Kind;

constexpr auto I = Priority::Interactive;
constexpr auto B = Priority::Batch;
const TimePoint t0 = TimePoint{} + std::chrono::hours(1);

struct PoolSpec {
  std::vector<std::string> models;
  std::uint32_t slots;
  std::uint32_t ctx_max;
  std::vector<std::uint32_t> endpoints;
};

// Builds a snapshot; every endpoint is ready unless listed in `unready`.
std::shared_ptr<const RegistrySnapshot> registry(const std::vector<PoolSpec>& pools,
                                                 const std::vector<std::uint32_t>& unready = {},
                                                 std::uint64_t version = 1) {
  auto snapshot = std::make_shared<RegistrySnapshot>();
  snapshot->version = version;
  std::uint32_t endpoint_count = 0;
  for (std::uint32_t p = 0; p < pools.size(); ++p) {
    snapshot->pools.push_back({"pool" + std::to_string(p), pools[p].models, pools[p].slots,
                               pools[p].ctx_max, pools[p].endpoints});
    for (std::uint32_t e : pools[p].endpoints) endpoint_count = std::max(endpoint_count, e + 1);
  }
  snapshot->endpoints.resize(endpoint_count);
  for (std::uint32_t p = 0; p < pools.size(); ++p) {
    for (std::uint32_t e : pools[p].endpoints) {
      const bool ready = std::find(unready.begin(), unready.end(), e) == unready.end();
      snapshot->endpoints[e] = {e, p, "http://e" + std::to_string(e), ready};
    }
  }
  return snapshot;
}

// m1: endpoints 0 and 1, one slot each, ctx 4096. m2: endpoint 2, one slot.
std::shared_ptr<const RegistrySnapshot> two_pools(const std::vector<std::uint32_t>& unready = {}) {
  return registry({{{"m1"}, 1, 4096, {0, 1}}, {{"m2"}, 1, 4096, {2}}}, unready);
}

SchedulerConfig config(std::size_t capacity = 8, OverflowPolicy policy = OverflowPolicy::Reject) {
  SchedulerConfig c;
  c.queue_capacity = capacity;
  c.policy = policy;
  c.breaker_failure_threshold = 2;
  c.breaker_open_for = milliseconds(1000);
  c.session_max_entries = 100;
  c.session_ttl = milliseconds(5000);
  return c;
}

Ticket ticket(std::uint64_t id, std::string model = "m1", Priority priority = I,
              std::uint32_t ctx = 100) {
  Ticket t;
  t.id = id;
  t.model = std::move(model);
  t.priority = priority;
  t.needed_ctx = ctx;
  return t;
}

Ticket with_session(Ticket t, std::string session) {
  t.session_id = std::move(session);
  return t;
}

Ticket with_excluded(Ticket t, std::vector<std::uint32_t> excluded) {
  t.excluded = std::move(excluded);
  return t;
}

Ticket with_deadline(Ticket t, TimePoint deadline) {
  t.deadline = deadline;
  return t;
}

std::vector<std::uint64_t> ids(const std::vector<Dispatch>& dispatches) {
  std::vector<std::uint64_t> out;
  for (const Dispatch& d : dispatches) out.push_back(d.id);
  return out;
}

void expect_dispatched(const SubmitOutcome& outcome, std::uint32_t endpoint) {
  EXPECT_EQ(outcome.kind, Kind::Dispatched);
  EXPECT_EQ(outcome.endpoint, endpoint);
  EXPECT_FALSE(outcome.error.has_value());
}

void expect_queued(const SubmitOutcome& outcome, std::size_t position) {
  EXPECT_EQ(outcome.kind, Kind::Queued);
  EXPECT_EQ(outcome.queue_position, position);
  EXPECT_FALSE(outcome.error.has_value());
}

void expect_rejected(const SubmitOutcome& outcome, ErrorCode code) {
  ASSERT_EQ(outcome.kind, Kind::Rejected);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_EQ(outcome.error->code, code) << outcome.error->message;
  EXPECT_FALSE(outcome.error->message.empty());
}

TEST(Scheduler, ListsModelsAndRejectsWhatCannotRun) {
  Scheduler s(config(), two_pools());
  EXPECT_EQ(s.models(), (std::vector<std::string>{"m1", "m2"}));

  auto unknown = s.submit(ticket(1, "m9"), t0);
  expect_rejected(unknown, ErrorCode::ModelNotFound);
  EXPECT_EQ(unknown.error->param, "model");

  auto too_large = s.submit(ticket(2, "m1", I, 5000), t0);
  expect_rejected(too_large, ErrorCode::InvalidParams);
  EXPECT_EQ(too_large.error->param, "max_tokens");

  expect_rejected(s.submit(with_deadline(ticket(3), t0), t0), ErrorCode::DeadlineExceeded);
  EXPECT_EQ(s.in_flight(0) + s.in_flight(1), 0u);
}

TEST(Scheduler, DispatchesThenQueuesThenReleasesInPriorityFifoOrder) {
  Scheduler s(config(), two_pools());
  expect_dispatched(s.submit(ticket(1), t0), 0);
  expect_dispatched(s.submit(ticket(2), t0), 1);
  EXPECT_EQ(s.in_flight(0), 1u);
  EXPECT_EQ(s.in_flight(1), 1u);

  expect_queued(s.submit(ticket(3, "m1", B), t0), 0);
  expect_queued(s.submit(ticket(4, "m1", I), t0), 0);  // jumps ahead of batch
  expect_queued(s.submit(ticket(5, "m1", B), t0), 2);
  expect_queued(s.submit(ticket(6, "m1", I), t0), 1);
  EXPECT_EQ(s.queue_position(4), 0u);
  EXPECT_EQ(s.queue_position(6), 1u);
  EXPECT_EQ(s.queue_position(3), 2u);
  EXPECT_EQ(s.queue_position(5), 3u);
  EXPECT_EQ(s.queue_depth("m1", I), 2u);
  EXPECT_EQ(s.queue_depth("m1", B), 2u);
  EXPECT_EQ(s.queue_depth("m2", I), 0u);

  const TimePoint t1 = t0 + milliseconds(10);
  auto d = s.release(0, true, t1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 4u);
  EXPECT_EQ(d[0].endpoint, 0u);
  EXPECT_EQ(s.in_flight(0), 1u);
  EXPECT_EQ(s.queue_position(4), std::nullopt);

  EXPECT_EQ(ids(s.release(1, true, t1)), (std::vector<std::uint64_t>{6}));
  EXPECT_EQ(ids(s.release(0, true, t1)), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(ids(s.release(1, true, t1)), (std::vector<std::uint64_t>{5}));
  EXPECT_TRUE(s.release(0, true, t1).empty());
  EXPECT_EQ(s.in_flight(0), 0u);
  EXPECT_EQ(s.in_flight(1), 1u);
}

TEST(Scheduler, RejectsWithRetryAfterWhenTheQueueIsFull) {
  Scheduler s(config(2), two_pools());
  // Build a drain-rate history: 20 dispatches over two seconds.
  TimePoint now = t0;
  for (std::uint64_t id = 100; id < 120; ++id, now += milliseconds(100)) {
    expect_dispatched(s.submit(ticket(id), now), 0);
    ASSERT_TRUE(s.release(0, true, now).empty());
  }
  expect_dispatched(s.submit(ticket(1), now), 0);
  expect_dispatched(s.submit(ticket(2), now), 1);
  expect_queued(s.submit(ticket(3), now), 0);
  expect_queued(s.submit(ticket(4), now), 1);
  const auto full = s.submit(ticket(5), now);
  expect_rejected(full, ErrorCode::QueueFull);
  EXPECT_GE(full.error->retry_after_ms, 100u);
  EXPECT_LE(full.error->retry_after_ms, 60000u);
  EXPECT_EQ(full.error->retry_after_ms, s.retry_after_ms("m1", now));
  EXPECT_EQ(s.queue_depth("m1", I), 2u);

  // Without any history, the fallback is one second per queued ticket.
  Scheduler fresh(config(2), two_pools({0, 1}));
  expect_queued(fresh.submit(ticket(1), t0), 0);
  expect_queued(fresh.submit(ticket(2), t0), 1);
  const auto refused = fresh.submit(ticket(3), t0);
  expect_rejected(refused, ErrorCode::QueueFull);
  EXPECT_EQ(refused.error->retry_after_ms, 2000u);
}

TEST(Scheduler, ReportsTicketsEvictedByTheOverflowPolicy) {
  Scheduler shed(config(2, OverflowPolicy::ShedLowPriority), two_pools({0, 1}));
  expect_queued(shed.submit(ticket(1, "m1", B), t0), 0);
  expect_queued(shed.submit(ticket(2, "m1", B), t0), 1);
  expect_rejected(shed.submit(ticket(3, "m1", B), t0), ErrorCode::QueueFull);
  const auto admitted = shed.submit(ticket(4, "m1", I), t0);
  expect_queued(admitted, 0);
  EXPECT_EQ(admitted.evicted, 2u);  // the newest batch ticket
  EXPECT_EQ(shed.queue_position(2), std::nullopt);
  EXPECT_FALSE(shed.cancel(2));
  EXPECT_EQ(shed.queue_position(1), 1u);

  Scheduler lru(config(2, OverflowPolicy::DropLru), two_pools({0, 1}));
  expect_queued(lru.submit(ticket(1, "m1", I), t0), 0);
  expect_queued(lru.submit(ticket(2, "m1", B), t0), 1);
  const auto dropped = lru.submit(ticket(3, "m1", B), t0);
  expect_queued(dropped, 1);
  EXPECT_EQ(dropped.evicted, 2u);  // the oldest batch ticket
  const auto dropped_interactive = lru.submit(ticket(4, "m1", I), t0);
  EXPECT_EQ(dropped_interactive.evicted, 3u);
  const auto oldest_interactive = lru.submit(ticket(5, "m1", I), t0);
  EXPECT_EQ(oldest_interactive.evicted, 1u);
  EXPECT_EQ(lru.queue_position(4), 0u);
  EXPECT_EQ(lru.queue_position(5), 1u);
}

TEST(Scheduler, QueuesWhenNothingIsReadyAndDispatchesWhenAnEndpointTurnsReady) {
  Scheduler s(config(), two_pools({0, 1}));
  expect_queued(s.submit(ticket(1, "m1", B), t0), 0);
  expect_queued(s.submit(ticket(2, "m1", I), t0), 0);
  expect_queued(s.submit(ticket(3, "m1", I), t0), 1);
  EXPECT_TRUE(s.poll(t0).empty());

  const auto d = s.update_registry(two_pools({1}), t0 + milliseconds(5));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 2u);
  EXPECT_EQ(d[0].endpoint, 0u);

  const auto more = s.update_registry(two_pools(), t0 + milliseconds(6));
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].id, 3u);
  EXPECT_EQ(more[0].endpoint, 1u);
  EXPECT_EQ(s.queue_depth("m1", B), 1u);
  EXPECT_EQ(s.in_flight(0), 1u);  // kept across snapshots
}

TEST(Scheduler, EvictsQueuedTicketsOfModelsThatNoReadyPoolServes) {
  // m1's endpoints are busy, m2's endpoint is not ready: both queue.
  Scheduler s(config(), two_pools({2}));
  expect_dispatched(s.submit(ticket(1, "m1"), t0), 0);
  expect_dispatched(s.submit(ticket(2, "m1"), t0), 1);
  expect_queued(s.submit(ticket(3, "m1"), t0), 0);
  expect_queued(s.submit(ticket(4, "m2", B), t0), 0);
  expect_queued(s.submit(ticket(5, "m2", I), t0), 0);

  // Busy is not unready: only m2's tickets go, in dispatch order (interactive first).
  EXPECT_EQ(s.evict_unready(), (std::vector<std::uint64_t>{5, 4}));
  EXPECT_EQ(s.queue_depth("m2", I), 0u);
  EXPECT_EQ(s.queue_depth("m1", I), 1u);
  EXPECT_FALSE(s.cancel(4));

  // m1 loses both endpoints: its queued ticket goes too; in-flight work is not touched.
  EXPECT_TRUE(s.update_registry(two_pools({0, 1, 2}), t0).empty());
  EXPECT_EQ(s.evict_unready(), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(s.in_flight(0), 1u);
  EXPECT_TRUE(s.evict_unready().empty());
}

TEST(Scheduler, SharesSlotsWithFastPathClaimsAndHoldsThemBackForQueuedWork) {
  Scheduler s(config(), two_pools());
  SlotBoard& board = *s.board();
  // An I/O thread claims endpoint 0 directly; the scheduler sees it and uses endpoint 1.
  ASSERT_EQ(claim_free_slot(*s.snapshot(), board, "m1", 100), 0u);
  EXPECT_EQ(s.in_flight(0), 1u);
  expect_dispatched(s.submit(ticket(1), t0), 1);
  // Both busy: the next ticket queues, and while it waits no fast-path claim may pass it.
  expect_queued(s.submit(ticket(2), t0), 0);
  EXPECT_EQ(board.queued("m1"), 1u);
  EXPECT_EQ(claim_free_slot(*s.snapshot(), board, "m1", 100), std::nullopt);
  // The fast-path request ends like any other: its slot goes to the queued ticket.
  const auto d = s.release(0, true, t0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 2u);
  EXPECT_EQ(d[0].endpoint, 0u);
  EXPECT_EQ(board.queued("m1"), 0u);
  EXPECT_EQ(s.in_flight(0), 1u);
  EXPECT_TRUE(s.release(0, true, t0).empty());
  EXPECT_TRUE(s.release(1, true, t0).empty());
  EXPECT_EQ(claim_free_slot(*s.snapshot(), board, "m1", 100), 0u);
}

TEST(Scheduler, KeepsTheLastEndpointInServiceWhenItsBreakerOpens) {
  // m2's one endpoint fails twice (threshold 2): its breaker opens, but ejecting it would take
  // the model offline for everyone, so it keeps serving (panic routing).
  Scheduler s(config(), two_pools());
  for (std::uint64_t id = 1; id <= 2; ++id) {
    expect_dispatched(s.submit(ticket(id, "m2"), t0), 2);
    EXPECT_TRUE(s.release(2, false, t0).empty());
  }
  EXPECT_EQ(s.breaker_state(2, t0), BreakerState::Open);
  expect_dispatched(s.submit(ticket(3, "m2"), t0), 2);
  EXPECT_TRUE(s.in_panic(2));
  EXPECT_FALSE(s.ejected(2));
  EXPECT_EQ(s.panic_routed(), 1u);
  // Work queued behind it is placed as soon as the slot frees, not after the cool-off.
  expect_queued(s.submit(ticket(4, "m2"), t0), 0);
  const auto d = s.release(2, false, t0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 4u);
  EXPECT_EQ(s.panic_routed(), 2u);
  EXPECT_TRUE(s.evict_unready().empty());
  // A success while the breaker is open proves little; one after the cool-off closes it.
  EXPECT_TRUE(s.release(2, true, t0 + milliseconds(10)).empty());
  EXPECT_EQ(s.breaker_state(2, t0 + milliseconds(10)), BreakerState::Open);
  const TimePoint cool = t0 + milliseconds(1000);
  expect_dispatched(s.submit(ticket(5, "m2"), cool), 2);  // the half-open trial
  EXPECT_TRUE(s.release(2, true, cool).empty());
  EXPECT_EQ(s.breaker_state(2, cool), BreakerState::Closed);
  s.refresh_breakers(cool);
  EXPECT_FALSE(s.in_panic(2));
}

TEST(Scheduler, EjectsAtMostTheConfiguredShareOfAModelsEndpoints) {
  // Four endpoints of one model, 50 %: two may be ejected, the third stays in service.
  Scheduler s(config(), registry({{{"m1"}, 4, 4096, {0, 1, 2, 3}}}));
  auto fail_twice = [&](std::uint32_t endpoint, TimePoint at) {
    for (int i = 0; i < 2; ++i) EXPECT_TRUE(s.release(endpoint, false, at).empty());
  };
  // Fake two dispatches per endpoint so release() has something to release.
  for (std::uint64_t id = 1; id <= 8; ++id) (void)s.submit(ticket(id), t0);
  fail_twice(0, t0);
  fail_twice(1, t0 + milliseconds(1));
  fail_twice(2, t0 + milliseconds(2));
  s.refresh_breakers(t0 + milliseconds(3));
  EXPECT_TRUE(s.ejected(0));
  EXPECT_TRUE(s.ejected(1));
  EXPECT_FALSE(s.ejected(2));  // opened last: back in service
  EXPECT_TRUE(s.in_panic(2));
  EXPECT_FALSE(s.in_panic(3));
  const auto d = s.submit(ticket(20), t0 + milliseconds(3));
  ASSERT_EQ(d.kind, Kind::Dispatched);
  EXPECT_TRUE(d.endpoint == 2 || d.endpoint == 3) << d.endpoint;
}

TEST(Scheduler, EjectsNothingWhenTheShareIsZero) {
  SchedulerConfig c = config();
  c.max_ejection_percent = 0;
  Scheduler s(c, two_pools());
  expect_dispatched(s.submit(ticket(1), t0), 0);
  EXPECT_TRUE(s.release(0, false, t0).empty());
  expect_dispatched(s.submit(ticket(2), t0), 0);
  EXPECT_TRUE(s.release(0, false, t0).empty());
  EXPECT_EQ(s.breaker_state(0, t0), BreakerState::Open);
  s.refresh_breakers(t0);
  EXPECT_FALSE(s.ejected(0));
  EXPECT_TRUE(s.in_panic(0));
}

TEST(Scheduler, ReleaseUnusedGivesNoVerdict) {
  Scheduler s(config(), two_pools());
  for (std::uint64_t id = 1; id <= 3; ++id) {
    expect_dispatched(s.submit(ticket(id, "m2"), t0), 2);
    EXPECT_TRUE(s.release_unused(2, t0).empty());
  }
  EXPECT_EQ(s.breaker_state(2, t0), BreakerState::Closed);
}

TEST(Scheduler, CountsFastPathClaimsInTheDrainRate) {
  Scheduler s(config(1), two_pools());
  // Without any dispatch on record, Retry-After falls back to 1 s per queued request.
  EXPECT_EQ(s.retry_after_ms("m1", t0), 100u);  // empty queue: the floor
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(claim_free_slot(*s.snapshot(), *s.board(), "m1", 1).has_value());
    ASSERT_TRUE(claim_free_slot(*s.snapshot(), *s.board(), "m1", 1).has_value());
    EXPECT_TRUE(s.release(0, true, t0).empty());
    EXPECT_TRUE(s.release(1, true, t0).empty());
  }
  ASSERT_TRUE(claim_free_slot(*s.snapshot(), *s.board(), "m1", 1).has_value());
  ASSERT_TRUE(claim_free_slot(*s.snapshot(), *s.board(), "m1", 1).has_value());
  expect_queued(s.submit(ticket(1), t0), 0);
  const auto refused = s.submit(ticket(2), t0);
  expect_rejected(refused, ErrorCode::QueueFull);
  // Eight dispatches within the first second: about 8 per second, so one queued request drains
  // in well under the 1 s fallback.
  EXPECT_LT(refused.error->retry_after_ms, 1000u);
  EXPECT_GE(refused.error->retry_after_ms, 100u);
}

TEST(Scheduler, HonoursExcludedEndpoints) {
  Scheduler s(config(), two_pools());
  expect_dispatched(s.submit(with_excluded(ticket(1), {0}), t0), 1);
  expect_rejected(s.submit(with_excluded(ticket(2), {0, 1}), t0), ErrorCode::UpstreamError);

  // Excluded from the only free endpoint: wait for the other one.
  expect_queued(s.submit(with_excluded(ticket(3), {0}), t0), 0);
  EXPECT_TRUE(s.release(0, true, t0).empty());  // endpoint 0 is free but excluded for 3
  expect_dispatched(s.submit(ticket(4), t0), 0);
  const auto d = s.release(1, true, t0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 3u);
  EXPECT_EQ(d[0].endpoint, 1u);
}

TEST(Scheduler, ExcludingTheOnlyReadyEndpointQueuesWhileOthersMayRecover) {
  Scheduler s(config(), two_pools({1}));
  // Endpoint 1 is not ready but not excluded either: the ticket may still run there.
  expect_queued(s.submit(with_excluded(ticket(1), {0}), t0), 0);
  const auto d = s.update_registry(two_pools(), t0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].endpoint, 1u);
}

TEST(Scheduler, SkipsQueuedTicketsThatDoNotFitTheFreedEndpoint) {
  // m1 on a small pool (endpoint 0, ctx 1000) and a big pool (endpoint 1, ctx 8000).
  Scheduler s(config(), registry({{{"m1"}, 1, 1000, {0}}, {{"m1"}, 1, 8000, {1}}}));
  expect_dispatched(s.submit(ticket(1, "m1", I, 500), t0), 0);
  expect_dispatched(s.submit(ticket(2, "m1", I, 500), t0), 1);
  expect_queued(s.submit(ticket(3, "m1", I, 5000), t0), 0);
  expect_queued(s.submit(ticket(4, "m1", B, 500), t0), 1);

  const auto small_free = s.release(0, true, t0);
  ASSERT_EQ(small_free.size(), 1u);
  EXPECT_EQ(small_free[0].id, 4u);  // 3 needs the big pool
  const auto big_free = s.release(1, true, t0);
  ASSERT_EQ(big_free.size(), 1u);
  EXPECT_EQ(big_free[0].id, 3u);
  EXPECT_EQ(big_free[0].endpoint, 1u);
}

TEST(Scheduler, KeepsSessionsOnTheirEndpoint) {
  Scheduler s(config(), registry({{{"m1"}, 4, 4096, {0, 1}}}));
  expect_dispatched(s.submit(with_session(ticket(1), "alice"), t0), 0);
  expect_dispatched(s.submit(ticket(2), t0), 1);
  expect_dispatched(s.submit(ticket(3), t0), 0);
  // Endpoint 0 now runs 2, endpoint 1 runs 1; alice still goes back to 0.
  expect_dispatched(s.submit(with_session(ticket(4), "alice"), t0 + milliseconds(1)), 0);
  // The binding was refreshed at t0+1ms and lasts 5 s.
  expect_dispatched(s.submit(with_session(ticket(5), "alice"), t0 + milliseconds(5000)), 0);
  // Once it lapses, alice goes wherever is least loaded.
  expect_dispatched(s.submit(with_session(ticket(6), "alice"), t0 + milliseconds(10001)), 1);
  // A full sticky endpoint is not waited for.
  EXPECT_EQ(s.in_flight(0), 4u);
  expect_dispatched(s.submit(with_session(ticket(7), "bob"), t0 + milliseconds(10002)), 1);
}

TEST(Scheduler, QueuedSessionTicketsGoBackToTheirEndpoint) {
  Scheduler s(config(), two_pools({0}));
  expect_dispatched(s.submit(with_session(ticket(1), "alice"), t0), 1);  // binds alice to 1
  EXPECT_TRUE(s.release(1, true, t0).empty());
  EXPECT_TRUE(s.update_registry(two_pools({0, 1}), t0).empty());
  expect_queued(s.submit(with_session(ticket(2), "alice"), t0), 0);
  expect_queued(s.submit(ticket(3), t0), 1);
  // Both endpoints become free at once: alice takes 1 (not the lower index), 3 takes 0.
  const auto d = s.update_registry(two_pools(), t0);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, 2u);
  EXPECT_EQ(d[0].endpoint, 1u);
  EXPECT_EQ(d[1].id, 3u);
  EXPECT_EQ(d[1].endpoint, 0u);
}

TEST(Scheduler, OpensBreakersAndLetsOneTrialThroughAfterTheCoolOff) {
  Scheduler s(config(), two_pools());
  // Two consecutive failures on endpoint 0 open its breaker.
  expect_dispatched(s.submit(ticket(1), t0), 0);
  EXPECT_TRUE(s.release(0, false, t0).empty());
  expect_dispatched(s.submit(ticket(2), t0), 0);
  EXPECT_TRUE(s.release(0, false, t0).empty());
  EXPECT_EQ(s.breaker_state(0, t0), BreakerState::Open);

  expect_dispatched(s.submit(ticket(3), t0), 1);  // avoids the open endpoint
  expect_queued(s.submit(ticket(4), t0), 0);
  expect_queued(s.submit(ticket(5), t0), 1);
  EXPECT_TRUE(s.poll(t0 + milliseconds(999)).empty());

  const TimePoint cool = t0 + milliseconds(1000);
  EXPECT_EQ(s.breaker_state(0, cool), BreakerState::HalfOpen);
  const auto trial = s.poll(cool);
  ASSERT_EQ(trial.size(), 1u);
  EXPECT_EQ(trial[0].id, 4u);
  EXPECT_EQ(trial[0].endpoint, 0u);
  EXPECT_TRUE(s.poll(cool).empty());  // one trial at a time

  const auto after = s.release(0, true, cool);  // trial succeeded: closed again
  EXPECT_EQ(s.breaker_state(0, cool), BreakerState::Closed);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, 5u);
}

TEST(Scheduler, BreakerStateOfUnknownEndpointIsClosed) {
  Scheduler s(config(), two_pools());
  EXPECT_EQ(s.breaker_state(99, t0), BreakerState::Closed);
  EXPECT_EQ(s.in_flight(99), 0u);
  EXPECT_TRUE(s.release(99, false, t0).empty());  // tolerated
}

TEST(Scheduler, CancelsAndExpiresQueuedTickets) {
  Scheduler s(config(), two_pools({0, 1}));
  expect_queued(s.submit(with_deadline(ticket(1), t0 + milliseconds(100)), t0), 0);
  expect_queued(s.submit(with_deadline(ticket(2), t0 + milliseconds(200)), t0), 1);
  expect_queued(s.submit(ticket(3), t0), 2);
  EXPECT_TRUE(s.cancel(3));
  EXPECT_FALSE(s.cancel(3));
  EXPECT_FALSE(s.cancel(42));

  EXPECT_TRUE(s.expire(t0 + milliseconds(50)).empty());
  EXPECT_EQ(s.expire(t0 + milliseconds(100)), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(s.queue_position(2), 0u);

  // A ticket past its deadline is not dispatched even before expire() collects it.
  EXPECT_TRUE(s.update_registry(two_pools(), t0 + milliseconds(250)).empty());
  EXPECT_EQ(s.expire(t0 + milliseconds(250)), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(s.queue_depth("m1", I), 0u);
}

TEST(Scheduler, DispatchesInteractiveOfEveryModelBeforeBatch) {
  // Two models share one endpoint with one slot.
  Scheduler s(config(), registry({{{"a", "b"}, 1, 4096, {0}}}));
  expect_dispatched(s.submit(ticket(1, "a"), t0), 0);
  expect_queued(s.submit(ticket(2, "a", B), t0), 0);
  expect_queued(s.submit(ticket(3, "b", I), t0), 0);
  expect_queued(s.submit(ticket(4, "a", I), t0), 0);
  expect_queued(s.submit(ticket(5, "b", B), t0), 1);

  std::vector<std::uint64_t> order;
  for (int i = 0; i < 5; ++i) {
    for (const Dispatch& d : s.release(0, true, t0)) order.push_back(d.id);
  }
  ASSERT_EQ(order.size(), 4u);
  // Both interactive tickets run before either batch ticket; models alternate.
  EXPECT_TRUE((order[0] == 3 && order[1] == 4) || (order[0] == 4 && order[1] == 3));
  EXPECT_TRUE((order[2] == 2 && order[3] == 5) || (order[2] == 5 && order[3] == 2));
}

TEST(Scheduler, KeepsQueuesOfRemovedModelsUntilTheyEmpty) {
  Scheduler s(config(), two_pools({0, 1, 2}));
  expect_queued(s.submit(ticket(1, "m2"), t0), 0);
  const auto only_m1 = registry({{{"m1"}, 1, 4096, {0, 1}}});
  EXPECT_TRUE(s.update_registry(only_m1, t0).empty());
  EXPECT_EQ(s.models(), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(s.queue_depth("m2", I), 1u);
  expect_rejected(s.submit(ticket(2, "m2"), t0), ErrorCode::ModelNotFound);
  EXPECT_TRUE(s.cancel(1));
  EXPECT_EQ(s.queue_depth("m2", I), 0u);

  // A model that comes back gets a fresh queue.
  EXPECT_TRUE(s.update_registry(two_pools(), t0).empty());
  expect_dispatched(s.submit(ticket(3, "m2"), t0), 2);
}

TEST(Scheduler, DispatchesSurvivorsAfterEvictionCancelAndExpiry) {
  // One endpoint, ctx 1000; bookkeeping of queued context sizes must follow every removal.
  Scheduler s(config(4, OverflowPolicy::ShedLowPriority), registry({{{"m1"}, 1, 1000, {0}}}));
  expect_dispatched(s.submit(ticket(1, "m1", I, 900), t0), 0);
  expect_queued(s.submit(with_deadline(ticket(2, "m1", I, 800), t0 + milliseconds(5)), t0), 0);
  expect_queued(s.submit(ticket(3, "m1", B, 700), t0), 1);
  expect_queued(s.submit(ticket(4, "m1", B, 600), t0), 2);
  expect_queued(s.submit(ticket(5, "m1", I, 500), t0), 1);
  const auto shed = s.submit(ticket(6, "m1", I, 400), t0);
  EXPECT_EQ(shed.evicted, 4u);
  EXPECT_TRUE(s.cancel(5));
  EXPECT_EQ(s.expire(t0 + milliseconds(5)), (std::vector<std::uint64_t>{2}));

  std::vector<std::uint64_t> order;
  for (int i = 0; i < 4; ++i) {
    for (const Dispatch& d : s.release(0, true, t0 + milliseconds(6))) order.push_back(d.id);
  }
  EXPECT_EQ(order, (std::vector<std::uint64_t>{6, 3}));
}

TEST(Scheduler, RefusesDuplicateQueuedIds) {
  Scheduler s(config(), two_pools({0, 1}));
  expect_queued(s.submit(ticket(1), t0), 0);
  expect_rejected(s.submit(ticket(1), t0), ErrorCode::Internal);
  EXPECT_EQ(s.queue_depth("m1", I), 1u);
}

TEST(Scheduler, NullSnapshotIsAnEmptyRegistry) {
  Scheduler s(config(), nullptr);
  EXPECT_TRUE(s.models().empty());
  expect_rejected(s.submit(ticket(1), t0), ErrorCode::ModelNotFound);
  EXPECT_EQ(s.retry_after_ms("m1", t0), 100u);
}

TEST(Scheduler, GivesSlotsOnEndpointsAddedLater) {
  Scheduler s(config(), registry({{{"m1"}, 1, 4096, {0}}}));
  expect_dispatched(s.submit(ticket(1), t0), 0);
  expect_queued(s.submit(ticket(2), t0), 0);
  // A reload adds endpoint 1 (and a model on a new pool): the queued ticket goes there at once,
  // and the board has room for it (the fast path can claim it too).
  const auto grown = registry({{{"m1"}, 1, 4096, {0, 1}}, {{"m3"}, 1, 4096, {2}}}, {}, 2);
  EXPECT_EQ(ids(s.update_registry(grown, t0)), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(s.in_flight(1), 1u);
  EXPECT_GE(s.board()->endpoint_count(), 3u);
  EXPECT_EQ(claim_free_slot(*grown, *s.board(), "m3", 10), std::optional<std::uint32_t>(2));
}

TEST(Scheduler, TakesNoNewWorkOnARemovedEndpointButReleasesItsRunningOnes) {
  Scheduler s(config(), registry({{{"m1"}, 1, 4096, {0, 1}}}));
  expect_dispatched(s.submit(ticket(1), t0), 0);
  expect_dispatched(s.submit(ticket(2), t0), 1);
  // Endpoint 1 leaves its pool (it drains): it stays in the snapshot, listed by no pool.
  auto drained = std::make_shared<RegistrySnapshot>(*registry({{{"m1"}, 1, 4096, {0, 1}}}));
  drained->pools[0].endpoint_indices = {0};
  EXPECT_TRUE(s.update_registry(drained, t0).empty());
  expect_queued(s.submit(ticket(3), t0), 0);
  // Its running request ends: the slot frees, and nothing queued is sent there.
  EXPECT_TRUE(s.release(1, true, t0).empty());
  EXPECT_EQ(s.in_flight(1), 0u);
  EXPECT_EQ(ids(s.release(0, true, t0)), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(s.in_flight(0), 1u);
}

TEST(Scheduler, StartsTheBreakerOfAReusedIdClosed) {
  auto first = std::make_shared<RegistrySnapshot>(*registry({{{"m1"}, 1, 4096, {0, 1}}}));
  first->endpoints[1].serial = 11;
  Scheduler s(config(), first);
  // Two failures open endpoint 1's breaker (threshold 2 in config()).
  for (int i = 0; i < 2; ++i) {
    expect_dispatched(s.submit(with_excluded(ticket(10 + i), {0}), t0), 1);
    (void)s.release(1, false, t0);
  }
  EXPECT_EQ(s.breaker_state(1, t0), BreakerState::Open);
  // Same serial: the breaker is kept. Another serial at id 1 is a new endpoint: closed.
  auto same = std::make_shared<RegistrySnapshot>(*first);
  (void)s.update_registry(same, t0);
  EXPECT_EQ(s.breaker_state(1, t0), BreakerState::Open);
  auto reused = std::make_shared<RegistrySnapshot>(*first);
  reused->endpoints[1].serial = 12;
  (void)s.update_registry(reused, t0);
  EXPECT_EQ(s.breaker_state(1, t0), BreakerState::Closed);
}

// A queued request's predicted start: its place in line x the pools' mean service time / the
// slots of the model's ready endpoints, once a service time is known; before that the model's
// drain rate.
TEST(Scheduler, PredictsTheStartFromThePoolsServiceTime) {
  // m1: one pool, two endpoints of 2 slots each.
  Scheduler s(config(), registry({{{"m1"}, 2, 4096, {0, 1}}}));
  for (std::uint64_t id = 1; id <= 4; ++id)
    ASSERT_EQ(s.submit(ticket(id), t0).kind, Kind::Dispatched);
  const SubmitOutcome cold = s.submit(ticket(5), t0);
  expect_queued(cold, 0);
  EXPECT_GT(cold.predicted_start_ms, 0u);  // no service time yet: from the drain rate
  // Requests held their slots for 400 ms on average (the weighted mean moves towards each one).
  s.observe_service(0, Millis(400));
  s.observe_service(1, Millis(400));
  const SubmitOutcome warm = s.submit(ticket(6), t0);
  expect_queued(warm, 1);
  EXPECT_EQ(warm.predicted_start_ms, 200u);  // 2 ahead (itself included) x 400 ms / 4 slots
  EXPECT_EQ(s.predicted_start_ms(5, t0), 100u);
  EXPECT_EQ(s.predicted_start_ms(6, t0), 200u);
  s.observe_service(0, Millis(1400));  // 400 + 0.2 x (1400 - 400) = 600
  EXPECT_EQ(s.predicted_start_ms(6, t0), 300u);
  EXPECT_EQ(s.predicted_start_ms(99, t0), std::nullopt);
  // Zero (not a completed request) and unknown endpoints change nothing.
  s.observe_service(0, Millis(0));
  s.observe_service(7, Millis(5000));
  EXPECT_EQ(s.predicted_start_ms(6, t0), 300u);
}

}  // namespace
}  // namespace sy::control
