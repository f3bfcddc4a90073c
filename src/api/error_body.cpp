#include "api/error_body.hpp"

#include "common/json_writer.hpp"

namespace sy::api {

void append_error_body(std::string& out, const Error& error) {
  const ErrorInfo& info = error.info();
  JsonWriter w(out);
  w.begin_object().key("error").begin_object();
  w.field("message", std::string_view(error.message));
  w.field("type", info.type);
  if (error.param.empty()) {
    w.key("param").null();
  } else {
    w.field("param", std::string_view(error.param));
  }
  w.field("code", info.code);
  w.field("retriable", info.retriable);
  if (error.retry_after_ms > 0) w.field("retry_after_ms", error.retry_after_ms);
  w.end_object().end_object();
}

std::string error_body(const Error& error) {
  std::string out;
  append_error_body(out, error);
  return out;
}

}  // namespace sy::api
