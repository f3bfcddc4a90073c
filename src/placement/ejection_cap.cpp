#include "placement/ejection_cap.hpp"

#include <algorithm>
#include <map>
#include <string>

namespace sy::placement {

ModelEndpoints model_endpoints(const RegistrySnapshot& snapshot) {
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_model;
  for (const PoolSnapshot& pool : snapshot.pools) {
    for (const std::string& model : pool.models) {
      auto& list = by_model[model];
      list.insert(list.end(), pool.endpoint_indices.begin(), pool.endpoint_indices.end());
    }
  }
  ModelEndpoints out;
  out.reserve(by_model.size());
  for (auto& [model, list] : by_model) out.push_back(std::move(list));
  return out;
}

std::uint32_t max_ejected(std::uint32_t ready, std::uint32_t max_percent) noexcept {
  if (ready == 0) return 0;
  const std::uint64_t share =
      std::uint64_t{ready} * std::min<std::uint32_t>(max_percent, 100) / 100;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(share, ready - 1));
}

std::uint32_t cap_ejections(const RegistrySnapshot& snapshot, const ModelEndpoints& models,
                            std::span<bool> allows, std::span<const TimePoint> opened_at,
                            std::uint32_t max_percent, std::span<bool> panic) {
  std::fill(panic.begin(), panic.end(), false);
  const std::size_t n = snapshot.endpoints.size();
  if (std::all_of(allows.begin(), allows.begin() + static_cast<std::ptrdiff_t>(n),
                  [](bool a) { return a; })) {
    return 0;  // the common case: no breaker is refusing anything
  }
  std::uint32_t restored = 0;
  std::vector<std::uint32_t> ejected;
  for (const auto& endpoints : models) {
    std::uint32_t ready = 0;
    ejected.clear();
    for (const std::uint32_t e : endpoints) {
      if (e >= n || !snapshot.endpoints[e].ready) continue;
      ++ready;
      if (!allows[e]) ejected.push_back(e);
    }
    const std::uint32_t cap = max_ejected(ready, max_percent);
    if (ejected.size() <= cap) continue;
    // Most recently opened first; ties by the higher index, so the result is deterministic.
    std::sort(ejected.begin(), ejected.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (opened_at[a] != opened_at[b]) return opened_at[a] > opened_at[b];
      return a > b;
    });
    const std::size_t back = ejected.size() - cap;
    for (std::size_t i = 0; i < back; ++i) {
      allows[ejected[i]] = true;
      panic[ejected[i]] = true;
      ++restored;
    }
  }
  return restored;
}

}  // namespace sy::placement
