// libFuzzer target for the client request path of http/connection.cpp: Beast's request_parser
// reading requests from a byte stream (header first, then the body, keep-alive requests one after
// another) the way http::async_read_header and http::async_read do, then the interpretation of
// each head (http/request_head.hpp), the deadline headers (api::request_deadline) and the model
// id of GET /v1/models/{model}. Built by the `fuzz` preset (docs/fuzzing.md).
//
// Input layout: byte 0 picks the limits (bits 0-1 max_header_bytes, bits 2-3 max_body_bytes),
// bytes 1-2 a cut point; the rest is what the client sent. Properties:
//   1. The stream arriving whole, cut in two anywhere, or byte by byte gives the same requests:
//      the same errors, heads, interpretations and bodies (but for three quirks of Beast's; see
//      same_requests).
//   2. The interpretation agrees with the head: path is the target before '?', http10 is version
//      10, an echoed correlation id is the client's and 1-128 visible ASCII characters, and a
//      Content-Length over the limit never gets past Beast (which refuses it in the head).
//   3. request_deadline: no deadline without the headers; X-Timeout-Ms alone is arrival + that;
//      both bound the result; an error is InvalidParams naming the header. No overflow (UBSan).
//   4. A model id that percent-decodes re-encodes (every byte as %XX) and decodes to itself.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/deadline.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "http/request_head.hpp"

// Boost's assertions (BOOST_ENABLE_ASSERT_HANDLER for this target only) abort, but for one:
// Beast 1.81 asserts `n >= 5` in basic_parser::parse_chunk_header when the last chunk of a chunked
// body ("0\r\n\r\n") arrives cut after 3 or 4 of its bytes. The code after the assert handles
// that case correctly (need_more), and Beast dropped the assert in boostorg/beast#2861 (Boost
// 1.86); builds with NDEBUG never see it. A Debug build of switchyard does: the client's cut
// aborts it (tests/fuzz/crashes/http_request/, docs/fuzzing.md).
namespace boost {
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::string_view(expr) == "n >= 5" && std::string_view(file).ends_with("basic_parser.ipp")) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Boost assertion failed: %s\n", file, line, function, expr);
  std::abort();
}
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  std::fprintf(stderr, "%s:%ld: %s: Boost assertion failed: %s (%s)\n", file, line, function, expr,
               msg);
  std::abort();
}
}  // namespace boost

namespace {

namespace http = boost::beast::http;
using Parser = http::request_parser<http::string_body>;
using sy::http::RequestHead;
using sy::http::RequestHeadFields;
using sy::telemetry::Route;

constexpr std::size_t kMaxRequests = 8;

struct Limits {
  std::uint32_t max_header_bytes;
  std::uint64_t max_body_bytes;
};

// What the client has sent so far and what it will send next, as the socket would deliver it.
struct Wire {
  std::vector<std::string_view> pieces;
  std::size_t next = 0;
  std::string buffer;  // received, not yet consumed by a parser (connection.cpp's flat_buffer)
  std::size_t consumed = 0;  // bytes parsers have taken so far

  // One read_some: false at end of stream. A socket read never returns zero bytes otherwise.
  bool receive() {
    while (next < pieces.size()) {
      const std::string_view piece = pieces[next++];
      if (!piece.empty()) {
        buffer += piece;
        return true;
      }
    }
    return false;
  }
};

// http::read_some's loop: parse what is buffered; read more only when the parser needs more.
boost::beast::error_code read_some(Wire& wire, Parser& parser) {
  boost::beast::error_code ec;
  bool parse = !wire.buffer.empty();
  for (;;) {
    if (parse) {
      ec = {};
      const std::size_t used = parser.put(boost::asio::buffer(wire.buffer), ec);
      wire.buffer.erase(0, used);
      wire.consumed += used;
      if (ec != http::error::need_more) return ec;
    }
    parse = true;
    if (!wire.receive()) {
      if (!parser.got_some()) return http::error::end_of_stream;
      ec = {};
      parser.put_eof(ec);
      return ec;
    }
  }
}

// http::read_header (header_only) and http::read: read_some until the head, or the message, is
// done. They set the parser's eagerness the same way.
boost::beast::error_code read(Wire& wire, Parser& parser, bool header_only) {
  parser.eager(!header_only);
  auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
  while (!done()) {
    if (auto ec = read_some(wire, parser)) return ec;
  }
  return {};
}

std::string describe(const boost::beast::error_code& ec) {
  return ec ? std::string(ec.category().name()) + ':' + std::to_string(ec.value()) : std::string();
}

struct RequestRecord {
  std::string header_error;
  std::string body_error;
  // The head as parsed, and as interpreted (owned copies: the parser goes away).
  std::string method, target, correlation_id, priority, deadline, timeout_ms, session_id, expect;
  unsigned version = 0;
  bool keep_alive = false;
  std::optional<std::uint64_t> content_length;
  bool body_done = false;
  std::size_t head_bytes = 0;
  Route route = Route::Other;
  std::string path, echoed_id;
  bool http10 = false, head_only = false, body_too_large = false, send_continue = false;
  std::string body;
  bool operator==(const RequestRecord&) const = default;
};

void check_interpretation(const RequestHeadFields& f, const RequestHead& h, const Limits& limits) {
  SY_FUZZ_CHECK(h.path == f.target.substr(0, f.target.find('?')));
  SY_FUZZ_CHECK(h.path.find('?') == std::string_view::npos);
  SY_FUZZ_CHECK(h.route == sy::http::route_of(h.path));
  SY_FUZZ_CHECK(h.http10 == (f.version == 10));
  SY_FUZZ_CHECK(h.head_only == (f.method == "HEAD"));
  if (!h.correlation_id.empty()) {
    SY_FUZZ_CHECK(h.correlation_id == f.correlation_id && h.correlation_id.size() <= 128);
    for (const char c : h.correlation_id) SY_FUZZ_CHECK(c > ' ' && c < 0x7f);
  }
  SY_FUZZ_CHECK(!h.body_too_large);  // Beast answered body_limit while reading the head
  SY_FUZZ_CHECK(!f.content_length || *f.content_length <= limits.max_body_bytes);
  SY_FUZZ_CHECK(!h.send_continue || !f.body_done);
}

void check_deadline(const RequestHead& h) {
  using namespace std::chrono;
  const sy::TimePoint arrived = sy::TimePoint{} + hours(240);  // ten days of uptime
  const system_clock::time_point wall = sys_days{year{2026} / 1 / 1} + hours(12);
  const auto d = sy::api::request_deadline(h.deadline, h.timeout_ms, arrived, wall);
  if (!d) {
    SY_FUZZ_CHECK(d.error().code == sy::ErrorCode::InvalidParams);
    SY_FUZZ_CHECK(d.error().param == "X-Timeout-Ms" || d.error().param == "X-Deadline");
    return;
  }
  if (h.deadline.empty() && h.timeout_ms.empty()) SY_FUZZ_CHECK(*d == sy::TimePoint::max());
  if (!h.timeout_ms.empty()) {
    // request_deadline accepted it, so it is plain decimal digits (at most a year of ms).
    std::uint64_t ms = 0;
    for (const char c : h.timeout_ms) ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
    const sy::TimePoint by_timeout = arrived + milliseconds(ms);
    SY_FUZZ_CHECK(*d <= by_timeout);
    if (h.deadline.empty()) SY_FUZZ_CHECK(*d == by_timeout);
  }
  if (!h.deadline.empty()) {
    const auto at = sy::api::parse_rfc3339(h.deadline);
    SY_FUZZ_CHECK(at.has_value());
    if (*at - wall < hours(24 * 365)) {
      SY_FUZZ_CHECK(*d <= arrived + duration_cast<sy::Clock::duration>(*at - wall));
    }
  }
}

void check_model_path(const RequestHead& h) {
  if (h.route != Route::Models || h.path.size() <= sy::http::kModelPathPrefix.size()) return;
  const std::string_view encoded = h.path.substr(sy::http::kModelPathPrefix.size());
  std::string model;
  if (!sy::http::percent_decode(encoded, model)) return;
  SY_FUZZ_CHECK(model.size() <= encoded.size());
  std::string again;
  for (const char c : model) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(c);
    again += '%';
    again += kHex[byte >> 4];
    again += kHex[byte & 15];
  }
  std::string decoded;
  SY_FUZZ_CHECK(sy::http::percent_decode(again, decoded) && decoded == model);
}

std::vector<RequestRecord> serve(const Limits& limits, std::vector<std::string_view> pieces) {
  Wire wire{std::move(pieces)};
  std::vector<RequestRecord> records;
  while (records.size() < kMaxRequests) {
    Parser parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    RequestRecord& r = records.emplace_back();
    const std::size_t start = wire.consumed;
    if (const auto ec = read(wire, parser, true)) {
      r.header_error = describe(ec);
      break;
    }
    r.head_bytes = wire.consumed - start;
    const RequestHeadFields f = sy::http::head_fields(parser);
    const RequestHead h = sy::http::interpret_request_head(f, limits.max_body_bytes);
    check_interpretation(f, h, limits);
    check_deadline(h);
    check_model_path(h);
    r.method = f.method;
    r.target = f.target;
    r.version = f.version;
    r.keep_alive = f.keep_alive;
    r.content_length = f.content_length;
    r.body_done = f.body_done;
    r.correlation_id = f.correlation_id;
    r.priority = f.priority;
    r.deadline = f.deadline;
    r.timeout_ms = f.timeout_ms;
    r.session_id = f.session_id;
    r.expect = f.expect;
    r.route = h.route;
    r.path = h.path;
    r.echoed_id = h.correlation_id;
    r.http10 = h.http10;
    r.head_only = h.head_only;
    r.body_too_large = h.body_too_large;
    r.send_continue = h.send_continue;
    if (h.body_too_large) break;  // 413, connection closed
    if (const auto ec = read(wire, parser, false)) {
      r.body_error = describe(ec);
      break;
    }
    r.body = parser.get().body();
    SY_FUZZ_CHECK(r.body.size() <= limits.max_body_bytes);
    if (!h.keep_alive) break;
  }
  return records;
}

// Equal, except for three ways Beast 1.81's result depends on how the bytes arrive (each ends the
// connection with an error answer, or accepts a head a little over the limit; none is ours):
//  - Beast checks a head as far as it has it, but once it had to wait for more it waits for the
//    blank line (CRLF CRLF) before it looks again. So "GET / HTTP/1.1\nHost: a\n\n" (bare LFs)
//    is bad_version when it arrives at once, and need_more until header_limit or the end of the
//    stream when it arrives in pieces: both fail, with different errors.
//  - Arriving at once, the request line and the fields are each held to header_limit, so a head
//    of up to about twice the limit passes; arriving in pieces, the whole head is (431).
//  - A chunk-size line whose extension cannot be parsed up to its line end (an unclosed quoted
//    string, say) makes Beast return need_more after it already charged the chunk's size to the
//    body limit, and charge it again on every retry. So "2;x=\"abc\r\n..." fails with body_limit
//    (413) when it trickles in and with bad_chunk_extension or need_more when it arrives at once:
//    both are errors for a malformed body.
bool same_requests(const std::vector<RequestRecord>& a, const std::vector<RequestRecord>& b,
                   const Limits& limits) {
  const std::string header_limit = describe(http::error::header_limit);
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    const RequestRecord& x = a[i];
    const RequestRecord& y = b[i];
    const bool last = i + 1 == a.size() && i + 1 == b.size();
    if (!x.header_error.empty() && !y.header_error.empty()) return last;
    if (!x.body_error.empty() && !y.body_error.empty()) {
      RequestRecord x_head = x;
      RequestRecord y_head = y;
      x_head.body_error.clear();
      y_head.body_error.clear();
      x_head.body.clear();
      y_head.body.clear();
      return last && x_head == y_head;
    }
    const auto over_limit_passed = [&](const RequestRecord& failed, const RequestRecord& passed) {
      return failed.header_error == header_limit && passed.header_error.empty() &&
             passed.head_bytes > limits.max_header_bytes;
    };
    return over_limit_passed(x, y) || over_limit_passed(y, x);
  }
  return a.size() == b.size();
}

void print(const char* label, const std::vector<RequestRecord>& records) {
  std::fprintf(stderr, "%s: %zu request(s)\n", label, records.size());
  for (const RequestRecord& r : records) {
    std::fprintf(stderr,
                 "  header_error='%s' body_error='%s' method='%s' target='%s' version=%u "
                 "keep_alive=%d content_length=%lld body_done=%d head=%zu body=%zu bytes\n",
                 r.header_error.c_str(), r.body_error.c_str(), r.method.c_str(), r.target.c_str(),
                 r.version, r.keep_alive,
                 r.content_length ? static_cast<long long>(*r.content_length) : -1LL, r.body_done,
                 r.head_bytes, r.body.size());
  }
}

// Prints both runs before failing, since the input alone does not show where they part.
void check_same_requests(const std::vector<RequestRecord>& pieces,
                         const std::vector<RequestRecord>& whole, const Limits& limits) {
  if (same_requests(pieces, whole, limits)) return;
  print("whole", whole);
  print("in pieces", pieces);
  SY_FUZZ_CHECK(same_requests(pieces, whole, limits));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static constexpr std::uint32_t kHeaderLimits[] = {16384, 64, 256, 1024};
  static constexpr std::uint64_t kBodyLimits[] = {8388608, 1, 16, 1024};
  const Limits limits{kHeaderLimits[data[0] & 3], kBodyLimits[(data[0] >> 2) & 3]};
  const std::size_t cut = sy::fuzz::u16_at(data + 1, 2);
  const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);

  const auto whole = serve(limits, {stream});
  check_same_requests(serve(limits, sy::fuzz::two_pieces(stream, cut)), whole, limits);
  if (stream.size() <= sy::fuzz::kMaxBytewiseInput) {
    check_same_requests(serve(limits, sy::fuzz::byte_pieces(stream)), whole, limits);
  }
  return 0;
}
