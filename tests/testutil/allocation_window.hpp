#pragma once
// AllocationWindow: counts heap allocations made while it is alive, for tests of hot-path
// promises ("once warm, this allocates nothing").
//
// It works only in a test executable that links tests/testutil/counting_allocator.cpp, which
// replaces the global operator new/delete (every form, nothrow included) with counting versions.
// Thread: the count is process-wide; open one window at a time.

#include <cstddef>

namespace sy::testutil {

class AllocationWindow {
 public:
  AllocationWindow();
  ~AllocationWindow();
  AllocationWindow(const AllocationWindow&) = delete;
  AllocationWindow& operator=(const AllocationWindow&) = delete;

  // Allocations since the window opened.
  [[nodiscard]] std::size_t count() const;
};

}  // namespace sy::testutil
