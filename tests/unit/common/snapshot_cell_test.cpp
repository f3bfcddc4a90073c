#include "common/snapshot_cell.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

namespace sy {
namespace {

struct Snap {
  int version = 0;
  int payload = 0;  // always version * 10 in a published snapshot
};

TEST(SnapshotCell, ReaderSeesEachPublishedSnapshot) {
  SnapshotCell<Snap> cell;
  SnapshotCell<Snap>::Reader reader;
  EXPECT_EQ(reader.get(cell), nullptr);
  cell.publish(std::make_shared<const Snap>(Snap{1, 10}));
  auto first = reader.get(cell);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(reader.get(cell), first);  // unchanged: the cached copy
  cell.publish(std::make_shared<const Snap>(Snap{2, 20}));
  EXPECT_EQ(reader.get(cell)->version, 2);
  EXPECT_EQ(first->version, 1);  // a kept copy stays valid after a newer publish
  EXPECT_EQ(cell.load()->version, 2);
}

TEST(SnapshotCell, ConcurrentReadersNeverSeeATornOrOlderSnapshot) {
  SnapshotCell<Snap> cell;
  cell.publish(std::make_shared<const Snap>(Snap{0, 0}));
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      SnapshotCell<Snap>::Reader reader;
      int last = 0;
      while (!stop.load()) {
        const auto s = reader.get(cell);
        if (s->payload != s->version * 10 || s->version < last) bad = true;
        last = s->version;
      }
    });
  }
  for (int v = 1; v <= 5000; ++v) cell.publish(std::make_shared<const Snap>(Snap{v, v * 10}));
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_FALSE(bad.load());
}

}  // namespace
}  // namespace sy
