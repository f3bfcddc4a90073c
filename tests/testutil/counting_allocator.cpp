// Replaces the global operator new/delete of the test executable that links this file with
// versions that count allocations while an AllocationWindow is open. Every form is replaced,
// nothrow included (simdjson allocates with `new (std::nothrow) T[]`): allocation and release
// must go through the same replaced pair, or a sanitizer rightly reports new[] vs free.

#include <atomic>
#include <cstdlib>
#include <new>

#include "testutil/allocation_window.hpp"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};

void* counted_alloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sy::testutil {

AllocationWindow::AllocationWindow() {
  g_allocations = 0;
  g_counting = true;
}

AllocationWindow::~AllocationWindow() { g_counting = false; }

std::size_t AllocationWindow::count() const { return g_allocations.load(); }

}  // namespace sy::testutil
