// ThreadTimers on a real io_context: deadlines fire in due order and never before they are due;
// a cancelled or destroyed entry never fires; moving a deadline earlier re-arms the thread's
// timer, later does not fire early; an expiring entry may reschedule itself and cancel others;
// after shut_down nothing fires; random schedules, reschedules and cancels keep the heap's order.

#include "relay/thread_timers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <vector>

namespace sy::relay {
namespace {

struct Fired {
  int id;
  TimePoint due;
  TimePoint at;
};

class Recorder final : public ThreadTimers::Entry {
 public:
  Recorder(int id, std::vector<Fired>& log) : id_(id), log_(&log) {}
  ~Recorder() override = default;
  std::function<void(Recorder&)> on_expired;  // runs after the firing is logged

 private:
  void expired(TimePoint now) override {
    log_->push_back(Fired{id_, due(), now});
    if (on_expired) on_expired(*this);
  }
  int id_;
  std::vector<Fired>* log_;
};

struct Fixture {
  Fixture() { timers.bind(io.get_executor()); }
  ~Fixture() { timers.shut_down(); }
  // Runs the loop until nothing is scheduled or `limit` passed.
  void run(std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto until = Clock::now() + limit;
    while (timers.size() > 0 && Clock::now() < until) io.run_for(std::chrono::milliseconds(5));
    io.restart();
  }
  ThreadTimers timers;  // outlives io: entries in io's handlers could still cancel
  boost::asio::io_context io;
  std::vector<Fired> log;
};

std::vector<int> ids(const std::vector<Fired>& log) {
  std::vector<int> out;
  for (const Fired& f : log) out.push_back(f.id);
  return out;
}

TEST(ThreadTimers, FireInDueOrderAndNeverEarly) {
  Fixture f;
  std::vector<std::unique_ptr<Recorder>> entries;
  std::mt19937 rng(7);
  const TimePoint start = Clock::now();
  for (int i = 0; i < 200; ++i) {
    entries.push_back(std::make_unique<Recorder>(i, f.log));
    f.timers.schedule(*entries.back(), start + std::chrono::microseconds(rng() % 40000));
  }
  EXPECT_EQ(f.timers.size(), 200u);
  f.run();
  ASSERT_EQ(f.log.size(), 200u);
  for (std::size_t i = 0; i < f.log.size(); ++i) {
    EXPECT_GE(f.log[i].at, f.log[i].due);
    if (i > 0) {
      EXPECT_LE(f.log[i - 1].due, f.log[i].due);
    }
  }
  for (const auto& e : entries) EXPECT_FALSE(e->scheduled());
}

TEST(ThreadTimers, CancelledAndDestroyedEntriesNeverFire) {
  Fixture f;
  Recorder a(1, f.log);
  Recorder b(2, f.log);
  auto c = std::make_unique<Recorder>(3, f.log);
  const TimePoint now = Clock::now();
  f.timers.schedule(a, now + std::chrono::milliseconds(5));
  f.timers.schedule(b, now + std::chrono::milliseconds(10));
  f.timers.schedule(*c, now + std::chrono::milliseconds(1));
  a.cancel();
  c.reset();  // destroyed while scheduled: unlinked
  EXPECT_FALSE(a.scheduled());
  EXPECT_EQ(f.timers.size(), 1u);
  f.run();
  EXPECT_EQ(ids(f.log), std::vector<int>{2});
}

TEST(ThreadTimers, MovingADeadlineEarlierRearmsAndLaterDoesNotFireEarly) {
  Fixture f;
  Recorder early(1, f.log);
  Recorder late(2, f.log);
  const TimePoint now = Clock::now();
  f.timers.schedule(early, now + std::chrono::seconds(30));
  f.timers.schedule(late, now + std::chrono::milliseconds(2));
  f.timers.schedule(early, now + std::chrono::milliseconds(5));  // moved earlier
  f.timers.schedule(late, now + std::chrono::milliseconds(40));  // moved later
  f.run(std::chrono::milliseconds(2000));
  ASSERT_EQ(ids(f.log), (std::vector<int>{1, 2}));
  EXPECT_GE(f.log[1].at, now + std::chrono::milliseconds(40));
  // Re-armed for a deadline earlier than the one armed: fires long before the first one.
  Recorder x(3, f.log);
  f.timers.schedule(x, Clock::now() + std::chrono::seconds(30));
  f.io.run_for(std::chrono::milliseconds(5));
  f.io.restart();
  const TimePoint soon = Clock::now() + std::chrono::milliseconds(5);
  f.timers.schedule(x, soon);
  f.run(std::chrono::milliseconds(2000));
  ASSERT_EQ(f.log.size(), 3u);
  EXPECT_EQ(f.log[2].id, 3);
  EXPECT_LT(f.log[2].at, soon + std::chrono::seconds(1));
}

TEST(ThreadTimers, AnExpiringEntryMayRescheduleItselfAndCancelOthers) {
  Fixture f;
  Recorder again(1, f.log);
  Recorder canceller(2, f.log);
  Recorder victim(3, f.log);
  int rounds = 0;
  again.on_expired = [&](Recorder& self) {
    if (++rounds < 3) f.timers.schedule(self, Clock::now() + std::chrono::milliseconds(2));
  };
  canceller.on_expired = [&](Recorder&) { victim.cancel(); };
  const TimePoint now = Clock::now();
  f.timers.schedule(again, now + std::chrono::milliseconds(1));
  f.timers.schedule(canceller, now + std::chrono::milliseconds(3));
  f.timers.schedule(victim, now + std::chrono::milliseconds(3));
  // Rescheduled strictly after the canceller, so the canceller surely runs first.
  f.timers.schedule(victim, now + std::chrono::milliseconds(4));
  f.run();
  EXPECT_EQ(rounds, 3);
  const std::vector<int> fired = ids(f.log);
  EXPECT_EQ(std::count(fired.begin(), fired.end(), 3), 0);
  EXPECT_EQ(std::count(fired.begin(), fired.end(), 1), 3);
}

TEST(ThreadTimers, NothingFiresAfterShutDown) {
  Fixture f;
  Recorder a(1, f.log);
  f.timers.schedule(a, Clock::now() + std::chrono::milliseconds(1));
  f.timers.shut_down();
  f.io.run_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(f.log.empty());
  a.cancel();  // still allowed (a frame ~io_context destroys)
  EXPECT_EQ(f.timers.size(), 0u);
}

TEST(ThreadTimers, RandomSchedulesReschedulesAndCancelsKeepTheOrder) {
  Fixture f;
  std::vector<std::unique_ptr<Recorder>> entries;
  for (int i = 0; i < 300; ++i) entries.push_back(std::make_unique<Recorder>(i, f.log));
  std::mt19937 rng(11);
  const TimePoint start = Clock::now() + std::chrono::milliseconds(20);
  for (int op = 0; op < 5000; ++op) {
    Recorder& e = *entries[rng() % entries.size()];
    if (rng() % 4 == 0) {
      e.cancel();
    } else {
      f.timers.schedule(e, start + std::chrono::microseconds(rng() % 30000));
    }
  }
  std::size_t scheduled = 0;
  for (const auto& e : entries) scheduled += e->scheduled() ? 1 : 0;
  EXPECT_EQ(f.timers.size(), scheduled);
  f.run();
  ASSERT_EQ(f.log.size(), scheduled);
  for (std::size_t i = 1; i < f.log.size(); ++i) EXPECT_LE(f.log[i - 1].due, f.log[i].due);
}

}  // namespace
}  // namespace sy::relay
