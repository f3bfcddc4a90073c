#include "control/slot_board.hpp"

#include <algorithm>

#include "placement/placement.hpp"

namespace sy::control {

SlotBoard::SlotBoard(std::size_t endpoints, std::vector<std::string> models)
    : endpoints_(endpoints),
      in_flight_(std::make_unique<std::atomic<std::uint32_t>[]>(endpoints)),
      models_(std::move(models)) {
  std::sort(models_.begin(), models_.end());
  models_.erase(std::unique(models_.begin(), models_.end()), models_.end());
  queued_ = std::make_unique<std::atomic<std::uint32_t>[]>(models_.size());
  fast_claims_ = std::make_unique<std::atomic<std::uint32_t>[]>(models_.size());
}

std::uint32_t SlotBoard::in_flight(std::uint32_t endpoint) const noexcept {
  return endpoint < endpoints_ ? in_flight_[endpoint].load(std::memory_order_acquire) : 0;
}

bool SlotBoard::try_claim(std::uint32_t endpoint, std::uint32_t slots) noexcept {
  if (endpoint >= endpoints_) return false;
  std::atomic<std::uint32_t>& count = in_flight_[endpoint];
  std::uint32_t seen = count.load(std::memory_order_relaxed);
  while (seen < slots) {
    if (count.compare_exchange_weak(seen, seen + 1, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void SlotBoard::release(std::uint32_t endpoint) noexcept {
  if (endpoint >= endpoints_) return;
  std::atomic<std::uint32_t>& count = in_flight_[endpoint];
  std::uint32_t seen = count.load(std::memory_order_relaxed);
  while (seen > 0 && !count.compare_exchange_weak(seen, seen - 1, std::memory_order_acq_rel,
                                                  std::memory_order_relaxed)) {
  }
}

void SlotBoard::load_all(std::vector<std::uint32_t>& out) const {
  out.resize(endpoints_);
  for (std::size_t e = 0; e < endpoints_; ++e) {
    out[e] = in_flight_[e].load(std::memory_order_acquire);
  }
}

std::size_t SlotBoard::model_index(std::string_view model) const noexcept {
  auto it = std::lower_bound(models_.begin(), models_.end(), model);
  if (it == models_.end() || *it != model) return std::string::npos;
  return static_cast<std::size_t>(it - models_.begin());
}

std::uint32_t SlotBoard::queued(std::string_view model) const noexcept {
  const std::size_t i = model_index(model);
  return i == std::string::npos ? 0 : queued_[i].load(std::memory_order_acquire);
}

void SlotBoard::set_queued(std::string_view model, std::uint32_t count) noexcept {
  const std::size_t i = model_index(model);
  if (i != std::string::npos) queued_[i].store(count, std::memory_order_release);
}

void SlotBoard::note_fast_claim(std::string_view model) noexcept {
  const std::size_t i = model_index(model);
  if (i != std::string::npos) fast_claims_[i].fetch_add(1, std::memory_order_relaxed);
}

std::uint32_t SlotBoard::take_fast_claims(std::string_view model) noexcept {
  const std::size_t i = model_index(model);
  return i == std::string::npos ? 0 : fast_claims_[i].exchange(0, std::memory_order_relaxed);
}

std::optional<std::uint32_t> claim_free_slot(const placement::RegistrySnapshot& snapshot,
                                             SlotBoard& board, std::string_view model,
                                             std::uint32_t needed_ctx) {
  if (board.queued(model) != 0) return std::nullopt;  // first come, first served
  // Scratch per thread: sized once, so the fast path allocates nothing per request.
  thread_local std::vector<std::uint32_t> loads;
  thread_local std::unique_ptr<bool[]> closed;
  thread_local std::size_t closed_size = 0;
  const std::size_t n = snapshot.endpoints.size();
  if (closed_size < n) {
    closed = std::make_unique<bool[]>(n);
    closed_size = n;
  }
  for (std::size_t e = 0; e < n; ++e) {
    // Endpoints past the board's end must look full, not free: pretend they are tripped.
    closed[e] = snapshot.endpoints[e].breaker == placement::BreakerState::Closed &&
                e < board.endpoint_count();
  }
  // A claim can lose a race with another thread; a few fresh looks settle it.
  for (int attempt = 0; attempt < 4; ++attempt) {
    board.load_all(loads);
    const placement::PlacementResult placed =
        placement::place(snapshot, loads, std::span<const bool>(closed.get(), n),
                         placement::PlacementRequest{model, needed_ctx, std::nullopt, {}});
    if (!placed.endpoint) return std::nullopt;
    const std::uint32_t e = *placed.endpoint;
    const placement::PoolSnapshot& pool = snapshot.pools[snapshot.endpoints[e].pool_index];
    // A pool shared by several models: a slot that frees up there belongs to whichever of them
    // has work queued (the scheduler hands it over), not to a newcomer of another model.
    for (const std::string& other : pool.models) {
      if (board.queued(other) != 0) return std::nullopt;
    }
    if (board.try_claim(e, pool.slots)) {
      board.note_fast_claim(model);
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace sy::control
