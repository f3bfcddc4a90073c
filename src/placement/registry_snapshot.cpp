#include "placement/registry_snapshot.hpp"

#include <algorithm>

namespace sy::placement {
namespace {

void sort_unique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

}  // namespace

std::string_view to_string(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::Closed:
      return "closed";
    case BreakerState::Open:
      return "open";
    case BreakerState::HalfOpen:
      return "half_open";
  }
  return "closed";  // unreachable for valid enum values
}

bool pool_serves(const PoolSnapshot& pool, std::string_view model) noexcept {
  return std::find(pool.models.begin(), pool.models.end(), model) != pool.models.end();
}

bool RegistrySnapshot::pool_ready(std::uint32_t pool_index) const {
  if (pool_index >= pools.size()) return false;
  const auto& indices = pools[pool_index].endpoint_indices;
  return std::any_of(indices.begin(), indices.end(), [this](std::uint32_t e) {
    return e < endpoints.size() && endpoints[e].ready && !endpoints[e].ejected;
  });
}

bool RegistrySnapshot::any_pool_ready() const {
  for (std::uint32_t p = 0; p < pools.size(); ++p) {
    if (pool_ready(p)) return true;
  }
  return false;
}

std::vector<std::string> RegistrySnapshot::ready_models() const {
  std::vector<std::string> models;
  for (std::uint32_t p = 0; p < pools.size(); ++p) {
    if (!pool_ready(p)) continue;
    models.insert(models.end(), pools[p].models.begin(), pools[p].models.end());
  }
  sort_unique(models);
  return models;
}

bool RegistrySnapshot::serves_model(std::string_view model) const {
  return std::any_of(pools.begin(), pools.end(),
                     [model](const PoolSnapshot& pool) { return pool_serves(pool, model); });
}

bool RegistrySnapshot::model_ready(std::string_view model) const {
  for (std::uint32_t p = 0; p < pools.size(); ++p) {
    if (pool_serves(pools[p], model) && pool_ready(p)) return true;
  }
  return false;
}

std::vector<std::string> RegistrySnapshot::all_models() const {
  std::vector<std::string> models;
  for (const PoolSnapshot& pool : pools) {
    models.insert(models.end(), pool.models.begin(), pool.models.end());
  }
  sort_unique(models);
  return models;
}

}  // namespace sy::placement
