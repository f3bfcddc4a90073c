#include "control/slot_board.hpp"

#include <algorithm>
#include <functional>

#include "placement/placement.hpp"

namespace sy::control {

SlotBoard::SlotBoard(std::size_t endpoints, const std::vector<std::string>& models) {
  reserve_endpoints(endpoints);
  for (const std::string& model : models) (void)add_model(model);
}

SlotBoard::~SlotBoard() {
  for (auto& chunk : chunks_) delete chunk.load(std::memory_order_relaxed);
}

void SlotBoard::reserve_endpoints(std::size_t count) {
  count = std::min(count, kMaxEndpoints);
  const std::size_t have = endpoints_.load(std::memory_order_relaxed);
  if (count <= have) return;
  for (std::size_t c = have / kChunkSize; c * kChunkSize < count; ++c) {
    if (chunks_[c].load(std::memory_order_relaxed) != nullptr) continue;
    // Value-initialised: every counter starts at 0. Published before endpoints_ moves past it.
    chunks_[c].store(new Chunk{}, std::memory_order_release);
  }
  endpoints_.store(count, std::memory_order_release);
}

std::atomic<std::uint32_t>* SlotBoard::counter(std::uint32_t endpoint) const noexcept {
  if (endpoint >= endpoint_count()) return nullptr;
  Chunk* chunk = chunks_[endpoint / kChunkSize].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &(*chunk)[endpoint % kChunkSize];
}

std::uint32_t SlotBoard::in_flight(std::uint32_t endpoint) const noexcept {
  const auto* count = counter(endpoint);
  return count == nullptr ? 0 : count->load(std::memory_order_acquire);
}

bool SlotBoard::try_claim(std::uint32_t endpoint, std::uint32_t slots) noexcept {
  std::atomic<std::uint32_t>* count = counter(endpoint);
  if (count == nullptr) return false;
  std::uint32_t seen = count->load(std::memory_order_relaxed);
  while (seen < slots) {
    if (count->compare_exchange_weak(seen, seen + 1, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void SlotBoard::release(std::uint32_t endpoint) noexcept {
  std::atomic<std::uint32_t>* count = counter(endpoint);
  if (count == nullptr) return;
  std::uint32_t seen = count->load(std::memory_order_relaxed);
  while (seen > 0 && !count->compare_exchange_weak(seen, seen - 1, std::memory_order_acq_rel,
                                                   std::memory_order_relaxed)) {
  }
}

void SlotBoard::load_all(std::vector<std::uint32_t>& out) const {
  const std::size_t n = endpoint_count();
  out.resize(n);
  for (std::size_t c = 0; c * kChunkSize < n; ++c) {
    const Chunk* chunk = chunks_[c].load(std::memory_order_acquire);
    const std::size_t end = std::min(n, (c + 1) * kChunkSize);
    for (std::size_t e = c * kChunkSize; e < end; ++e) {
      out[e] = (*chunk)[e % kChunkSize].load(std::memory_order_acquire);
    }
  }
}

bool SlotBoard::add_model(std::string_view model) {
  if (find_model(model) != nullptr) return true;
  if (model_names_.size() >= kMaxModels) return false;
  std::size_t i = std::hash<std::string_view>{}(model) & (kModelSlots - 1);
  while (model_slots_[i].used.load(std::memory_order_relaxed)) i = (i + 1) & (kModelSlots - 1);
  model_slots_[i].name = std::string(model);
  model_slots_[i].used.store(true, std::memory_order_release);
  model_names_.insert(std::lower_bound(model_names_.begin(), model_names_.end(), model),
                      std::string(model));
  return true;
}

SlotBoard::ModelSlot* SlotBoard::find_model(std::string_view model) const noexcept {
  // Linear probing over slots that are only ever added: a reader that sees `used` sees the name.
  for (std::size_t i = std::hash<std::string_view>{}(model) & (kModelSlots - 1), n = 0;
       n < kModelSlots; i = (i + 1) & (kModelSlots - 1), ++n) {
    ModelSlot& slot = model_slots_[i];
    if (!slot.used.load(std::memory_order_acquire)) return nullptr;
    if (slot.name == model) return &slot;
  }
  return nullptr;
}

std::uint32_t SlotBoard::queued(std::string_view model) const noexcept {
  const ModelSlot* slot = find_model(model);
  return slot == nullptr ? 0 : slot->queued.load(std::memory_order_acquire);
}

void SlotBoard::set_queued(std::string_view model, std::uint32_t count) noexcept {
  if (ModelSlot* slot = find_model(model)) slot->queued.store(count, std::memory_order_release);
}

void SlotBoard::note_fast_claim(std::string_view model) noexcept {
  if (ModelSlot* slot = find_model(model))
    slot->fast_claims.fetch_add(1, std::memory_order_relaxed);
}

std::uint32_t SlotBoard::take_fast_claims(std::string_view model) noexcept {
  ModelSlot* slot = find_model(model);
  return slot == nullptr ? 0 : slot->fast_claims.exchange(0, std::memory_order_relaxed);
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
