#pragma once
// A small append-only JSON writer for the few documents Switchyard writes itself (error
// envelopes, log lines, translated engine chunks, stats). It appends to a caller-owned
// std::string, so a reused buffer means no allocation once its capacity is warm.
// Commas between members and elements are inserted automatically.

#include <cstdint>
#include <string>
#include <string_view>

namespace sy {

// Appends `text` with JSON string escaping (no surrounding quotes). Invalid UTF-8 passes through
// byte for byte: callers only feed it text that came from JSON or from us.
void append_json_escaped(std::string& out, std::string_view text);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);  // the value call that follows belongs to this key
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(unsigned number) { return value(static_cast<std::uint64_t>(number)); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  JsonWriter& raw(std::string_view json);  // an already-serialised JSON value

  // Shorthands: key(name).value(v)
  template <typename T>
  JsonWriter& field(std::string_view name, T v) {
    key(name);
    return value(v);
  }

 private:
  void separate();
  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace sy
