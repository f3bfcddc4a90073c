// libFuzzer target for http::BodyFramer (built by the `fuzz` preset, docs/fuzzing.md).
//
// Input layout: byte 0 picks the framing (0 chunked, 1 Content-Length, 2 until close; modulo 3),
// bytes 1-2 the cut point and encoder seed, bytes 3-4 the Content-Length; the rest is the bytes the
// engine sent. Properties checked:
//   1. Whole, cut in two anywhere, and byte by byte: the same payload, status, and the same bytes
//      left unconsumed after Done or Error (what the relay would see as the next response).
//   2. Content-Length: exactly the first `length` bytes are payload; until close: all of them.
//   3. The stream as a payload, chunk-encoded with sizes, hex case, extensions, bare-LF line ends
//      and a trailer chosen from the seed, decodes back to itself, Done, with the bytes after the
//      last chunk left over.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "http/body_framer.hpp"

namespace {

using sy::http::BodyFramer;

enum class Framing : std::uint8_t { Chunked, Length, UntilClose };

struct FrameRun {
  std::string payload;
  BodyFramer::Status status = BodyFramer::Status::NeedMore;
  std::string leftover;  // bytes not consumed once the framer stopped (Done or Error)
  bool operator==(const FrameRun&) const = default;
};

FrameRun frame_pieces(Framing framing, std::uint64_t length,
                      const std::vector<std::string_view>& pieces) {
  BodyFramer framer;
  switch (framing) {
    case Framing::Chunked:
      framer.start_chunked();
      break;
    case Framing::Length:
      framer.start_length(length);
      break;
    case Framing::UntilClose:
      framer.start_until_close();
      break;
  }
  FrameRun run;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::string_view in = pieces[i];
    const std::size_t before = in.size();
    run.status = framer.feed(in, [&](std::string_view p) { run.payload += p; });
    SY_FUZZ_CHECK(in.size() <= before);
    if (run.status == BodyFramer::Status::NeedMore) {
      SY_FUZZ_CHECK(in.empty());  // NeedMore means every byte was taken
      continue;
    }
    run.leftover = in;
    for (std::size_t j = i + 1; j < pieces.size(); ++j) run.leftover += pieces[j];
    break;
  }
  return run;
}

// A small deterministic generator for the encoder's choices (not for security).
struct Choices {
  std::uint32_t state;
  std::uint32_t next(std::uint32_t bound) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % bound;
  }
};

std::string hex(std::size_t n, bool upper) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  std::string out;
  do {
    out.insert(out.begin(), (upper ? kUpper : kLower)[n % 16]);
    n /= 16;
  } while (n != 0);
  return out;
}

std::string chunk_encode(std::string_view payload, Choices& c) {
  std::string out;
  auto line_end = [&] { out += c.next(4) == 0 ? "\n" : "\r\n"; };
  while (!payload.empty()) {
    const std::size_t n = std::min<std::size_t>(payload.size(), 1 + c.next(40));
    if (c.next(8) == 0) out += "00";  // leading zeros are still one size
    out += hex(n, c.next(2) == 0);
    if (c.next(6) == 0) out += ";name=value";
    line_end();
    out += payload.substr(0, n);
    line_end();
    payload.remove_prefix(n);
  }
  out += "0";
  line_end();
  if (c.next(3) == 0) {
    out += "X-Trailer: yes";
    line_end();
  }
  line_end();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const auto framing = static_cast<Framing>(data[0] % 3);
  const std::size_t cut = sy::fuzz::u16_at(data + 1, 2);
  const std::uint64_t length = sy::fuzz::u16_at(data + 3, 2);
  const std::string_view stream(reinterpret_cast<const char*>(data + 5), size - 5);

  const FrameRun whole = frame_pieces(framing, length, {stream});
  SY_FUZZ_CHECK(frame_pieces(framing, length, sy::fuzz::two_pieces(stream, cut)) == whole);
  if (stream.size() <= sy::fuzz::kMaxBytewiseInput) {
    SY_FUZZ_CHECK(frame_pieces(framing, length, sy::fuzz::byte_pieces(stream)) == whole);
  }

  if (framing == Framing::Length) {
    if (stream.size() >= length) {
      SY_FUZZ_CHECK(whole.status == BodyFramer::Status::Done);
      SY_FUZZ_CHECK(whole.payload == stream.substr(0, length));
      SY_FUZZ_CHECK(whole.leftover == stream.substr(length));
    } else {
      SY_FUZZ_CHECK(whole.status == BodyFramer::Status::NeedMore);
      SY_FUZZ_CHECK(whole.payload == stream);
    }
  } else if (framing == Framing::UntilClose) {
    SY_FUZZ_CHECK(whole.status == BodyFramer::Status::NeedMore);
    SY_FUZZ_CHECK(whole.payload == stream);
  } else {
    SY_FUZZ_CHECK(whole.payload.size() <= stream.size());
  }

  Choices choices{static_cast<std::uint32_t>(cut)};
  const std::string encoded = chunk_encode(stream, choices) + "NEXT";
  const FrameRun decoded = frame_pieces(Framing::Chunked, 0, {encoded});
  SY_FUZZ_CHECK(decoded.status == BodyFramer::Status::Done);
  SY_FUZZ_CHECK(decoded.payload == stream);
  SY_FUZZ_CHECK(decoded.leftover == "NEXT");
  if (encoded.size() <= sy::fuzz::kMaxBytewiseInput) {
    SY_FUZZ_CHECK(frame_pieces(Framing::Chunked, 0, sy::fuzz::byte_pieces(encoded)) == decoded);
  }
  return 0;
}
