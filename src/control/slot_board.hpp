#pragma once
// SlotBoard: how many requests run on each endpoint, and how many wait per model, as atomics that
// every thread may read. It lets an I/O thread start a request at once when nothing waits for its
// model and an endpoint has a free slot (claim_free_slot), without a round trip through the
// control thread; everything else (queueing, sessions, retries, breaker trials) still goes through
// the Scheduler, which keeps its counts here too.
//
// Invariants: in_flight(e) never exceeds the slots it was claimed against (claims are
// compare-and-swap), and every successful claim is matched by exactly one release(). The
// scheduler publishes a model's queue length after each change; while it is non-zero, I/O threads
// leave free slots to the queue (first come, first served).
//
// The board grows with the registry without locks: endpoint counters live in chunks that are
// allocated when an id in their range is first used and then stay (ids are reused, so memory
// follows the most endpoints that existed at once, up to kMaxEndpoints); models are entered
// once into a fixed open-addressing table (up to kMaxModels). An endpoint id the board has no
// room for never has a free slot, and a model not on the board never takes the fast path (it
// goes through the scheduler): both are limits, not failures.
//
// Thread: every member is safe from any thread and lock-free, except the ones marked "control
// thread" (the only writer of the board's shape).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "placement/registry_snapshot.hpp"

namespace sy::control {

class SlotBoard {
 public:
  static constexpr std::size_t kChunkSize = 256;
  static constexpr std::size_t kMaxEndpoints = 64 * kChunkSize;  // 16,384 ids
  static constexpr std::size_t kMaxModels = 512;

  SlotBoard() = default;
  // A board with room for `endpoints` ids and the given models (tests, and the first registry).
  SlotBoard(std::size_t endpoints, const std::vector<std::string>& models);
  ~SlotBoard();
  SlotBoard(const SlotBoard&) = delete;
  SlotBoard& operator=(const SlotBoard&) = delete;

  // Control thread: makes room for endpoint ids below `count` (at most kMaxEndpoints).
  void reserve_endpoints(std::size_t count);
  // Control thread: puts `model` on the board; false when the board is full.
  bool add_model(std::string_view model);

  // Endpoint ids the board has counters for.
  [[nodiscard]] std::size_t endpoint_count() const noexcept {
    return endpoints_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint32_t in_flight(std::uint32_t endpoint) const noexcept;
  // Takes one slot of `endpoint` if fewer than `slots` are taken; false otherwise.
  [[nodiscard]] bool try_claim(std::uint32_t endpoint, std::uint32_t slots) noexcept;
  // Returns a slot taken by try_claim (ignored when none is taken).
  void release(std::uint32_t endpoint) noexcept;
  // Copies every endpoint's count into `out` (resized to endpoint_count()).
  void load_all(std::vector<std::uint32_t>& out) const;

  // Requests of `model` waiting in the scheduler's queue (0 for a model not on the board).
  [[nodiscard]] std::uint32_t queued(std::string_view model) const noexcept;
  void set_queued(std::string_view model, std::uint32_t count) noexcept;
  // Fast-path claims per model since the scheduler last took them: it folds them into the
  // model's drain rate (Retry-After), which must count every dispatch, not only its own.
  void note_fast_claim(std::string_view model) noexcept;
  [[nodiscard]] std::uint32_t take_fast_claims(std::string_view model) noexcept;

  // Control thread: the models on the board, sorted.
  [[nodiscard]] const std::vector<std::string>& models() const noexcept { return model_names_; }

 private:
  using Chunk = std::array<std::atomic<std::uint32_t>, kChunkSize>;
  struct ModelSlot {
    std::atomic<bool> used{false};  // set once, after `name` (release); never cleared
    std::string name;
    std::atomic<std::uint32_t> queued{0};
    std::atomic<std::uint32_t> fast_claims{0};
  };
  static constexpr std::size_t kModelSlots = 2 * kMaxModels;  // a power of two

  [[nodiscard]] std::atomic<std::uint32_t>* counter(std::uint32_t endpoint) const noexcept;
  [[nodiscard]] ModelSlot* find_model(std::string_view model) const noexcept;

  std::array<std::atomic<Chunk*>, kMaxEndpoints / kChunkSize> chunks_{};
  std::atomic<std::size_t> endpoints_{0};
  std::unique_ptr<ModelSlot[]> model_slots_ = std::make_unique<ModelSlot[]>(kModelSlots);
  std::vector<std::string> model_names_;  // control thread
};

// The I/O threads' fast path: when nothing of `model` is queued (nor of any other model of the
// chosen endpoint's pool), places the request as place()
// would (least loaded ready endpoint whose breaker is Closed in `snapshot`, whose pool fits
// needed_ctx, with a free slot) and claims that slot. nullopt when there is nothing to claim at
// once: the caller then submits to the scheduler, which queues or rejects with the reason.
// Breakers that are not Closed are left to the scheduler (a half-open trial is its decision).
[[nodiscard]] std::optional<std::uint32_t> claim_free_slot(
    const placement::RegistrySnapshot& snapshot, SlotBoard& board, std::string_view model,
    std::uint32_t needed_ctx);

}  // namespace sy::control
