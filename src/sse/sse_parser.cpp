#include "sse/sse_parser.hpp"

#include "sse/line_break.hpp"

namespace sy::sse {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr std::uint8_t kBomSize = 3;

}  // namespace

Parser::Parser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void Parser::reset() noexcept {
  line_buf_.clear();
  data_.clear();
  data_view_ = {};
  data_is_view_ = false;
  event_.clear();
  id_.clear();
  comment_lines_ = 0;
  bom_matched_ = 0;
  bom_checked_ = false;
  line_in_buf_ = false;
  skip_lf_ = false;
  has_data_ = false;
  has_event_ = false;
  failed_ = false;
}

Parser::Step Parser::next_line(std::string_view& bytes, std::string_view& line) {
  if (failed_) return Step::TooLarge;
  if (line_in_buf_) {
    line_buf_.clear();
    line_in_buf_ = false;
  }

  if (!bom_checked_) {
    // The BOM may itself be split across chunks, so match it byte by byte and remember how far.
    while (!bytes.empty() && bom_matched_ < kBomSize && bytes.front() == kBom[bom_matched_]) {
      ++bom_matched_;
      bytes.remove_prefix(1);
    }
    if (bom_matched_ == kBomSize) {
      bom_checked_ = true;
    } else if (bytes.empty()) {
      return Step::NeedMore;  // still a possible BOM prefix: decide when more bytes come
    } else {
      // Not a BOM after all: the bytes matched so far are the start of the first line.
      bom_checked_ = true;
      line_buf_.append(kBom, bom_matched_);
    }
  }

  if (skip_lf_ && !bytes.empty()) {
    // The previous chunk ended in CR; an LF right after it belongs to the same line ending.
    skip_lf_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }

  const char* const p = bytes.data();
  const std::size_t n = bytes.size();
  const std::size_t i = find_line_break(p, n);

  // The limit is checked on (held event + line so far), which only grows as a line arrives, so
  // it trips on the same line whatever the chunking.
  const std::size_t held = data_size() + event_.size() + line_buf_.size();
  if (held + i > max_event_bytes_) {
    failed_ = true;
    return Step::TooLarge;
  }
  if (i == n) {
    if (n != 0) line_buf_.append(p, n);
    bytes = {};
    return Step::NeedMore;
  }

  std::size_t consumed = i + 1;
  if (p[i] == '\r') {
    if (i + 1 < n) {
      if (p[i + 1] == '\n') ++consumed;
    } else {
      skip_lf_ = true;
    }
  }

  if (line_buf_.empty()) {
    line = bytes.substr(0, i);  // whole line inside this chunk: no copy
  } else {
    line_buf_.append(p, i);
    line = line_buf_;
    line_in_buf_ = true;
  }
  bytes.remove_prefix(consumed);
  return Step::Line;
}

bool Parser::apply_line(std::string_view line) {
  if (line.empty()) return has_data_ || has_event_;
  if (line.front() == ':') {
    ++comment_lines_;
    return false;
  }

  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    if (!has_data_ && !line_in_buf_) {
      // The common event, one data line inside this chunk: keep a view, copy nothing.
      data_view_ = value;
      data_is_view_ = true;
    } else {
      keep_data();
      if (has_data_) data_.push_back('\n');
      data_.append(value);
    }
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
    has_event_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  }
  // Any other field (`retry` included) is ignored, as WHATWG says for unknown fields.
  return false;
}

void Parser::keep_data() {
  if (!data_is_view_) return;
  data_.assign(data_view_);
  data_view_ = {};
  data_is_view_ = false;
}

void Parser::finish_event() noexcept {
  data_.clear();
  data_view_ = {};
  data_is_view_ = false;
  event_.clear();
  has_data_ = false;
  has_event_ = false;
}

}  // namespace sy::sse
