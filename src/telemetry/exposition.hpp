#pragma once
// Prometheus text exposition (format 0.0.4) helpers. They append to a string; the scrape
// handler sums shards and calls these. Label values are escaped.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "telemetry/metric_types.hpp"

namespace sy::telemetry {

using Label = std::pair<std::string_view, std::string_view>;

// "# HELP name help\n# TYPE name type\n"
void write_header(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help);
// "name{labels} value\n"
void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  double value);
void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  std::uint64_t value);
void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  std::int64_t value);

// Writes the _bucket/_sum/_count series of the sum of `shards` (all built with the same bounds).
void write_histogram(std::string& out, std::string_view name, std::span<const Label> labels,
                     std::span<const Histogram* const> shards);

}  // namespace sy::telemetry
