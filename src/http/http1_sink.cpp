#include "http/http1_sink.hpp"

namespace sy::http {

namespace asio = boost::asio;

Http1Sink::Http1Sink(asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer,
                     std::string_view correlation_id, ReplyMode mode)
    : client_(client),
      correlation_id_(correlation_id),
      mode_(mode),
      watch_(std::make_shared<ClientWatch>(client, buffer)) {}

Http1Sink::~Http1Sink() {
  watch_->set_listener(nullptr);
  if (watching_) watch_->stop();
}

bool Http1Sink::record(bool ok) noexcept {
  if (!ok) {
    intact_ = false;
    watch_->mark_gone();
  }
  return ok;
}

asio::awaitable<bool> Http1Sink::send_answer(int status, std::string_view content_type,
                                             std::string_view body, std::string_view retry_after) {
  HeaderList extra;
  if (!retry_after.empty()) extra.emplace_back("Retry-After", std::string(retry_after));
  co_return record(co_await write_response(client_, status, content_type, body, correlation_id_,
                                           mode_, extra.empty() ? nullptr : &extra));
}

asio::awaitable<bool> Http1Sink::send_error(const Error& error) {
  co_return record(co_await write_error(client_, error, correlation_id_, mode_));
}

void Http1Sink::watch(relay::GoneListener* listener) {
  watch_->set_listener(listener);
  if (listener != nullptr && !watching_) {
    watching_ = true;
    watch_->start();
  }
}

asio::awaitable<void> Http1Sink::stop_watch() {
  watch_->set_listener(nullptr);
  if (!watching_) co_return;
  watch_->stop();
  co_await watch_->stopped();
}

SseSink::SseSink(asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer,
                 std::string_view correlation_id, ReplyMode mode, Framing framing)
    : Http1Sink(client, buffer, correlation_id, mode), chunked_(framing == Framing::Chunked) {}

asio::awaitable<bool> SseSink::open_stream() {
  stream_open_ = true;
  co_return record(co_await write_sse_head(client_, correlation_id_, mode_));
}

asio::awaitable<bool> SseSink::send_events(std::string_view events) {
  co_return record((co_await write_chunk(client_, events, chunked_)).ok);
}

asio::awaitable<bool> SseSink::end_stream(std::string_view events) {
  co_return record(co_await write_last_chunk(client_, events, chunked_));
}

}  // namespace sy::http
