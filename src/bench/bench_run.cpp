#include "bench/bench_run.hpp"

#include <algorithm>
#include <charconv>

#include "common/json_writer.hpp"

namespace sy::bench {
namespace {

constexpr std::size_t kSampleCapacity = 1'000'000;

std::size_t expected(std::int64_t n) {
  return static_cast<std::size_t>(std::clamp<std::int64_t>(n, 0, kSampleCapacity));
}

}  // namespace

BenchRun::BenchRun(BenchConfig config_in, HttpUrl url_in)
    : config(std::move(config_in)),
      url(std::move(url_in)),
      ttft(kSampleCapacity, expected(config.requests)),
      itl(kSampleCapacity, expected(config.stream ? config.requests * config.max_tokens : 0)) {
  llama_native = config.path == "/completion";

  std::string body;
  JsonWriter w(body);
  w.begin_object();
  if (llama_native) {
    w.field("prompt", std::string_view(config.prompt));
    w.field("n_predict", config.max_tokens);
  } else {
    w.field("model", std::string_view(config.model));
    const bool chat = config.path.find("chat") != std::string::npos ||
                      config.path.find("/completions") == std::string::npos;
    if (chat) {
      w.key("messages").begin_array().begin_object();
      w.field("role", "user").field("content", std::string_view(config.prompt));
      w.end_object().end_array();
    } else {
      w.field("prompt", std::string_view(config.prompt));
    }
    w.field("max_tokens", config.max_tokens);
  }
  w.field("stream", config.stream);
  w.end_object();

  request_head_ = "POST " + config.path + " HTTP/1.1\r\nHost: " + url.host_header() +
                  "\r\nContent-Type: application/json\r\n";
  request_head_ += config.stream ? "Accept: text/event-stream\r\n" : "Accept: application/json\r\n";
  for (const std::string& header : config.headers) {
    const auto colon = header.find(':');
    std::string_view name(header.data(), colon);
    std::string_view value(header.data() + colon + 1, header.size() - colon - 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request_head_.append(name).append(": ").append(value).append("\r\n");
  }
  request_head_ += "X-Correlation-Id: bench-";
  request_tail_ = "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void BenchRun::build_request(std::string& out, std::int64_t index) const {
  out.clear();
  out += request_head_;
  out += run_id;
  out += '-';
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
  (void)ec;
  out.append(digits, end);
  out += request_tail_;
}

void BenchRun::record_error(std::string_view kind) {
  ++errors;
  auto it = error_kinds.find(kind);
  if (it == error_kinds.end()) it = error_kinds.emplace(std::string(kind), 0).first;
  ++it->second;
}

}  // namespace sy::bench
