#pragma once
// Internal to sy_config (not part of its public API): typed reads of yaml-cpp nodes that turn
// every problem into an sy::Error naming "<source>:<line>:<column>: <key path> ...".
//
// None of these throw; yaml-cpp's own exceptions can only come from YAML::Load, which the caller
// wraps. Pure functions; safe from any thread on distinct nodes.

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace sy::config::detail {

using Status = sy::Result<void>;

// Where the YAML text came from, for messages.
struct Source {
  std::string_view name;
};

// An InvalidParams error "<name>:<line>:<col>: <message>" (1-based; just "<name>: " when the mark
// is unknown) with `param` set to the key path.
[[nodiscard]] tl::unexpected<Error> fail_at(const Source& src, const YAML::Mark& mark,
                                            std::string_view path, std::string_view message);

// A value to read and the position to blame for it. An empty value (`key:` followed by nothing)
// gets the key's position: yaml-cpp marks such a null at the NEXT token, often on a later line.
struct Field {
  const YAML::Node& value;
  YAML::Mark mark;
};

// The Field for `value` as the value of `key` in a map.
[[nodiscard]] inline Field map_field(const YAML::Node& key, const YAML::Node& value) {
  return Field{value, value.IsNull() ? key.Mark() : value.Mark()};
}

// "'text'" for a scalar, "a map", "a list" or "nothing": what a message says it got.
[[nodiscard]] std::string describe(const YAML::Node& node);

// "a.b" (or "b" when `where` is empty).
[[nodiscard]] std::string join_path(std::string_view where, std::string_view key);

// Reads a decimal integer in [min, max] (no sign, no hex or octal).
[[nodiscard]] Status read_uint64(const Source& src, const Field& field, std::string_view path,
                                 std::uint64_t& out, std::uint64_t min, std::uint64_t max);

template <typename T>
[[nodiscard]] Status read_uint(const Source& src, const Field& field, std::string_view path, T& out,
                               std::uint64_t min = 0,
                               std::uint64_t max = std::numeric_limits<T>::max()) {
  std::uint64_t v = 0;
  if (auto st = read_uint64(src, field, path, v, min, max); !st) return st;
  out = static_cast<T>(v);
  return {};
}

// Reads a scalar string; empty strings are refused unless allow_empty.
[[nodiscard]] Status read_string(const Source& src, const Field& field, std::string_view path,
                                 std::string& out, bool allow_empty = false);

// Reads a scalar that must be one of `names`; stores its index.
[[nodiscard]] Status read_choice(const Source& src, const Field& field, std::string_view path,
                                 const std::string_view* names, std::size_t count,
                                 std::size_t& index);

template <typename E, std::size_t N>
[[nodiscard]] Status read_enum(const Source& src, const Field& field, std::string_view path,
                               const std::array<std::pair<std::string_view, E>, N>& table, E& out) {
  std::array<std::string_view, N> names;
  for (std::size_t i = 0; i < N; ++i) names[i] = table[i].first;
  std::size_t index = 0;
  if (auto st = read_choice(src, field, path, names.data(), N, index); !st) return st;
  out = table[index].second;
  return {};
}

// Checks that `map` is a map (null counts as an empty map) whose keys are unique scalars, and
// calls fn(key, key_node, Field) -> Status for each entry in order, stopping at the first
// error. `where` is the map's key path ("" for the top level), used in messages.
[[nodiscard]] Status check_map(const Source& src, const Field& map, std::string_view where);

template <typename Fn>
[[nodiscard]] Status for_each_entry(const Source& src, const Field& map, std::string_view where,
                                    Fn&& fn) {
  if (auto st = check_map(src, map, where); !st) return st;
  if (map.value.IsNull()) return {};
  for (const auto& entry : map.value) {
    if (auto st = fn(entry.first.Scalar(), entry.first, map_field(entry.first, entry.second));
        !st) {
      return st;
    }
  }
  return {};
}

// The error for a key that `where` does not know.
[[nodiscard]] tl::unexpected<Error> unknown_key(const Source& src, const YAML::Node& key,
                                                std::string_view where);

}  // namespace sy::config::detail
