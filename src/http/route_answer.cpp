#include "http/route_answer.hpp"

#include <fmt/format.h>

#include <string>

#include "http/response_writer.hpp"
#include "tasks/error_envelope.hpp"

namespace sy::http {

boost::asio::awaitable<bool> answer(RequestContext& rc, int status, std::string_view content_type,
                                    std::string_view body) {
  rc.worker.metrics.count_request(rc.info.route, status);
  co_return co_await write_response(rc.client, status, content_type, body, rc.info.correlation_id,
                                    rc.reply()) &&
      rc.keep_alive;
}

boost::asio::awaitable<bool> answer_native_error(RequestContext& rc, const Error& error) {
  const int status = error.info().http_status;
  rc.worker.metrics.count_request(rc.info.route, status);
  std::string body;
  tasks::append_error_envelope(body, error);
  HeaderList extra;
  if (error.retry_after_ms > 0 && (status == 429 || status == 503)) {
    extra.emplace_back("Retry-After", fmt::format("{}", (error.retry_after_ms + 999) / 1000));
    extra.emplace_back("X-Backoff-Ms", fmt::format("{}", error.retry_after_ms));
  }
  co_return co_await write_response(rc.client, status, "application/json", body,
                                    rc.info.correlation_id, rc.reply(), &extra) &&
      rc.keep_alive;
}

}  // namespace sy::http
