#pragma once
// Where `serve` gets its configuration from, so that a reload reads it the same way startup did:
// the file (or the embedded demo) with the command line's overrides applied on top. And which
// settings a reload may not change.
//
// Thread: pure functions (load_config reads one file); safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"

namespace sy::config {

struct CommandLineOverrides {
  std::optional<std::string> listen;  // --listen HOST:PORT
  std::optional<std::uint32_t> threads;
  std::optional<std::string> log_level;
};

struct ConfigSource {
  std::string path;  // empty: the embedded demo configuration
  CommandLineOverrides overrides;
  [[nodiscard]] bool is_file() const noexcept { return !path.empty(); }
};

// Reads the configuration and applies the overrides. Errors: the loader's `file:line:column`
// message (InvalidParams), or which override is wrong.
[[nodiscard]] Result<Config> load_config(const ConfigSource& source);

// The settings that differ between `running` and `next` and take effect only at restart, by key
// path ("listen", "threads", "queue.capacity", ...); empty when `next` can be applied live.
[[nodiscard]] std::vector<std::string> restart_only_changes(const Config& running,
                                                            const Config& next);

}  // namespace sy::config
