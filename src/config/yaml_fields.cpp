#include "config/yaml_fields.hpp"

#include <charconv>
#include <system_error>

namespace sy::config::detail {

tl::unexpected<Error> fail_at(const Source& src, const YAML::Mark& mark, std::string_view path,
                              std::string_view message) {
  std::string text(src.name);
  if (!mark.is_null()) {
    text += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  text += ": ";
  text += message;
  return fail(ErrorCode::InvalidParams, std::move(text), std::string(path));
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return '\'' + node.Scalar() + '\'';
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string join_path(std::string_view where, std::string_view key) {
  std::string path(where);
  if (!path.empty()) path += '.';
  path += key;
  return path;
}

Status read_uint64(const Source& src, const Field& field, std::string_view path, std::uint64_t& out,
                   std::uint64_t min, std::uint64_t max) {
  auto not_integer = [&] {
    return fail_at(
        src, field.mark, path,
        std::string(path) + " must be a non-negative integer (got " + describe(field.value) + ")");
  };
  if (!field.value.IsScalar()) return not_integer();
  const std::string& s = field.value.Scalar();
  // from_chars alone would accept nothing else, but say so explicitly: digits only, so "0x10" and
  // "010" never mean 16 or 8 the way yaml-cpp's own conversion would read them.
  for (const char ch : s) {
    if (ch < '0' || ch > '9') return not_integer();
  }
  if (s.empty()) return not_integer();
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && v > max)) {
    return fail_at(src, field.mark, path,
                   std::string(path) + " must be at most " + std::to_string(max) + " (got " +
                       describe(field.value) + ")");
  }
  if (ec != std::errc{} || end != s.data() + s.size()) return not_integer();
  if (v < min) {
    return fail_at(src, field.mark, path,
                   std::string(path) + " must be at least " + std::to_string(min) + " (got " +
                       describe(field.value) + ")");
  }
  out = v;
  return {};
}

Status read_string(const Source& src, const Field& field, std::string_view path, std::string& out,
                   bool allow_empty) {
  if (!field.value.IsScalar()) {
    return fail_at(src, field.mark, path,
                   std::string(path) + " must be a string (got " + describe(field.value) + ")");
  }
  if (!allow_empty && field.value.Scalar().empty()) {
    return fail_at(src, field.mark, path, std::string(path) + " must not be empty");
  }
  out = field.value.Scalar();
  return {};
}

Status read_choice(const Source& src, const Field& field, std::string_view path,
                   const std::string_view* names, std::size_t count, std::size_t& index) {
  if (field.value.IsScalar()) {
    for (std::size_t i = 0; i < count; ++i) {
      if (field.value.Scalar() == names[i]) {
        index = i;
        return {};
      }
    }
  }
  std::string message = std::string(path) + " must be one of ";
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) message += ", ";
    message += names[i];
  }
  message += " (got " + describe(field.value) + ")";
  return fail_at(src, field.mark, path, std::move(message));
}

Status check_map(const Source& src, const Field& field, std::string_view where) {
  const YAML::Node& map = field.value;
  if (map.IsNull()) return {};
  if (!map.IsMap()) {
    const std::string what = where.empty() ? "the configuration" : std::string(where);
    return fail_at(src, field.mark, where,
                   what + " must be a map of keys (got " + describe(map) + ")");
  }
  std::vector<std::string> seen;
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    const std::string in = where.empty() ? std::string() : " in " + std::string(where);
    if (!key.IsScalar()) {
      return fail_at(src, key.Mark(), where,
                     "keys" + in + " must be plain names (got " + describe(key) + ")");
    }
    for (const auto& s : seen) {
      if (s == key.Scalar()) {
        return fail_at(src, key.Mark(), join_path(where, key.Scalar()),
                       "duplicate key '" + key.Scalar() + "'" + in);
      }
    }
    seen.push_back(key.Scalar());
  }
  return {};
}

tl::unexpected<Error> unknown_key(const Source& src, const YAML::Node& key,
                                  std::string_view where) {
  if (where.empty()) {
    return fail_at(src, key.Mark(), key.Scalar(), "unknown top-level key '" + key.Scalar() + "'");
  }
  return fail_at(src, key.Mark(), join_path(where, key.Scalar()),
                 "unknown key '" + key.Scalar() + "' in " + std::string(where));
}

}  // namespace sy::config::detail
