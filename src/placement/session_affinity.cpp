#include "placement/session_affinity.hpp"

namespace sy::placement {

SessionAffinity::SessionAffinity(std::size_t max_entries) : max_entries_(max_entries) {}

std::optional<std::uint32_t> SessionAffinity::lookup(std::string_view session_id, TimePoint now) {
  auto entry = entries_.find(session_id);
  if (entry == entries_.end()) return std::nullopt;
  if (entry->second.expiry->first <= now) {
    erase(entry);
    return std::nullopt;
  }
  return entry->second.endpoint;
}

void SessionAffinity::bind(std::string_view session_id, std::uint32_t endpoint,
                           TimePoint expires_at) {
  if (max_entries_ == 0) return;
  auto entry = entries_.find(session_id);
  if (entry == entries_.end()) {
    if (entries_.size() >= max_entries_) {
      // The soonest expiry is the least valuable entry: an expired one if any exists, otherwise
      // the one bound longest ago (TTLs are uniform in practice, so this is close to LRU).
      erase(entries_.find(*by_expiry_.begin()->second));
    }
    entry = entries_.emplace(std::string(session_id), Entry{}).first;
  } else {
    by_expiry_.erase(entry->second.expiry);
  }
  entry->second.endpoint = endpoint;
  entry->second.expiry = by_expiry_.emplace(expires_at, &entry->first);
}

bool SessionAffinity::forget(std::string_view session_id) {
  auto entry = entries_.find(session_id);
  if (entry == entries_.end()) return false;
  erase(entry);
  return true;
}

std::size_t SessionAffinity::purge_expired(TimePoint now) {
  std::size_t purged = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    erase(entries_.find(*by_expiry_.begin()->second));
    ++purged;
  }
  return purged;
}

void SessionAffinity::erase(Entries::iterator entry) {
  by_expiry_.erase(entry->second.expiry);
  entries_.erase(entry);
}

}  // namespace sy::placement
