#include "admission/priority.hpp"

#include <algorithm>
#include <cctype>

namespace sy::admission {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<Priority> parse_priority(std::string_view text) noexcept {
  if (equals_ignore_case(text, "interactive")) return Priority::Interactive;
  if (equals_ignore_case(text, "batch")) return Priority::Batch;
  return std::nullopt;
}

std::string_view to_string(Priority priority) noexcept {
  switch (priority) {
    case Priority::Interactive:
      return "interactive";
    case Priority::Batch:
      return "batch";
  }
  return "interactive";  // unreachable for valid enum values
}

}  // namespace sy::admission
