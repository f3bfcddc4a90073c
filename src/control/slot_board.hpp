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
// Sizes are fixed at construction (endpoints and models of the registry it was built from): an
// endpoint index past the end never has a free slot, a model not on the board never takes the
// fast path. Thread: every member is safe from any thread; lock-free.

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
  SlotBoard(std::size_t endpoints, std::vector<std::string> models);
  SlotBoard(const SlotBoard&) = delete;
  SlotBoard& operator=(const SlotBoard&) = delete;

  [[nodiscard]] std::size_t endpoint_count() const noexcept { return endpoints_; }
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

  // The models on the board, sorted.
  [[nodiscard]] const std::vector<std::string>& models() const noexcept { return models_; }

 private:
  [[nodiscard]] std::size_t model_index(std::string_view model) const noexcept;  // npos if absent

  std::size_t endpoints_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> in_flight_;
  std::vector<std::string> models_;  // sorted; queued_ is parallel to it
  std::unique_ptr<std::atomic<std::uint32_t>[]> queued_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> fast_claims_;
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
