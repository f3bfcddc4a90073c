#include "telemetry/exposition.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

namespace sy::telemetry {
namespace {

void write_labels(std::string& out, std::span<const Label> labels, std::string_view extra_key = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return;
  out += '{';
  bool first = true;
  auto put = [&](std::string_view k, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  };
  for (const auto& [k, v] : labels) put(k, v);
  if (!extra_key.empty()) put(extra_key, extra_value);
  out += '}';
}

}  // namespace

HistogramBounds make_bounds(std::initializer_list<double> seconds) {
  HistogramBounds b;
  for (double s : seconds) {
    if (b.count == kMaxBuckets) break;
    b.upper_ns[b.count++] = static_cast<std::int64_t>(s * 1e9 + 0.5);
  }
  return b;
}

void write_header(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  double value) {
  out += name;
  write_labels(out, labels);
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}
void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  std::uint64_t value) {
  out += name;
  write_labels(out, labels);
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}
void write_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                  std::int64_t value) {
  out += name;
  write_labels(out, labels);
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}

void write_histogram(std::string& out, std::string_view name, std::span<const Label> labels,
                     std::span<const Histogram* const> shards) {
  if (shards.empty()) return;
  const HistogramBounds& bounds = shards.front()->bounds();
  std::array<std::uint64_t, kMaxBuckets + 1> counts{};
  std::uint64_t sum_ns = 0;
  for (const Histogram* h : shards) {
    for (std::size_t i = 0; i <= bounds.count; ++i) counts[i] += h->bucket(i);
    sum_ns += h->sum_ns();
  }
  std::uint64_t cumulative = 0;
  const std::string bucket_name = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i <= bounds.count; ++i) {
    cumulative += counts[i];
    const std::string le = i < bounds.count
                               ? fmt::format("{}", static_cast<double>(bounds.upper_ns[i]) / 1e9)
                               : "+Inf";
    out += bucket_name;
    write_labels(out, labels, "le", le);
    fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
  }
  out += name;
  out += "_sum";
  write_labels(out, labels);
  fmt::format_to(std::back_inserter(out), " {}\n", static_cast<double>(sum_ns) / 1e9);
  out += name;
  out += "_count";
  write_labels(out, labels);
  fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
}

}  // namespace sy::telemetry
