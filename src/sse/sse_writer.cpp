#include "sse/sse_writer.hpp"

#include "sse/line_break.hpp"

namespace sy::sse {
namespace {

// Appends `prefix<line>\n` for every line of `text`, splitting at LF, CRLF or a lone CR. Empty text
// is one empty line.
void append_prefixed_lines(std::string& out, std::string_view prefix, std::string_view text) {
  for (;;) {
    const std::size_t brk = find_line_break(text.data(), text.size());
    out.append(prefix);
    out.append(text.data(), brk);
    out.push_back('\n');
    if (brk == text.size()) return;
    std::size_t skip = 1;
    if (text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n') skip = 2;
    text.remove_prefix(brk + skip);
  }
}

}  // namespace

void append_data_event(std::string& out, std::string_view data) {
  append_prefixed_lines(out, "data: ", data);
  out.push_back('\n');
}

void append_named_event(std::string& out, std::string_view event_name, std::string_view data) {
  out.append("event: ");
  out.append(event_name.data(), find_line_break(event_name.data(), event_name.size()));
  out.push_back('\n');
  append_data_event(out, data);
}

void append_comment(std::string& out, std::string_view text) {
  append_prefixed_lines(out, ": ", text);
  out.push_back('\n');
}

void append_done(std::string& out) { out.append("data: [DONE]\n\n"); }

}  // namespace sy::sse
