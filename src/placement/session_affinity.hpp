#pragma once
// SessionAffinity: remembers which endpoint served a session so follow-up requests can go back to
// it (warm KV cache). Entries expire at a time given when they are bound; the table is bounded, and
// when full the entry expiring soonest (an already expired one first) makes room.
//
// Complexity: lookup O(1) average (O(log n) when it erases an expired entry); bind O(log n).
// Thread: not synchronised; owned and used by the control strand only. Not copyable (the expiry
// order points into the table).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"

namespace sy::placement {

class SessionAffinity {
 public:
  // max_entries 0 disables affinity: bind() stores nothing.
  explicit SessionAffinity(std::size_t max_entries);

  SessionAffinity(const SessionAffinity&) = delete;
  SessionAffinity& operator=(const SessionAffinity&) = delete;
  SessionAffinity(SessionAffinity&&) = default;
  SessionAffinity& operator=(SessionAffinity&&) = default;
  ~SessionAffinity() = default;

  // The endpoint bound to `session_id`, or nullopt. An entry with expires_at <= now counts as
  // absent and is erased.
  [[nodiscard]] std::optional<std::uint32_t> lookup(std::string_view session_id, TimePoint now);

  // Binds (or rebinds, replacing endpoint and expiry) `session_id` to `endpoint` until
  // `expires_at`. When a new session finds the table full, the entry expiring soonest is evicted.
  void bind(std::string_view session_id, std::uint32_t endpoint, TimePoint expires_at);

  // Erases the binding of `session_id`; false when there was none.
  bool forget(std::string_view session_id);

  // Erases every entry with expires_at <= now; returns how many.
  std::size_t purge_expired(TimePoint now);

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] std::size_t max_entries() const noexcept { return max_entries_; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Expiry order; the value points at the key inside entries_ (unordered_map nodes are stable).
  using ByExpiry = std::multimap<TimePoint, const std::string*>;
  struct Entry {
    std::uint32_t endpoint = 0;
    ByExpiry::iterator expiry;
  };
  using Entries = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;

  void erase(Entries::iterator entry);

  std::size_t max_entries_;
  Entries entries_;
  ByExpiry by_expiry_;
};

}  // namespace sy::placement
