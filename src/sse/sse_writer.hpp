#pragma once
// SSE encoding helpers for the client side of the relay.
//
// Each function APPENDS one complete, blank-line-terminated SSE block to a caller-owned string;
// nothing is allocated when `out` already has the capacity, so a relay can reuse one buffer for
// every write. Output always parses back (sse::Parser) to exactly one event (or, for comments, to
// no event), whatever the input bytes:
//   - data containing line breaks is written as one `data:` line per line. LF, CRLF and a lone CR
//     all count as line breaks (a raw CR would end the line on the client anyway), so after a
//     round trip CR and CRLF in data come back as LF.
//   - an event name is written up to its first CR or LF only (a name cannot span lines).
//
// Thread: pure functions; safe from any thread on distinct strings.

#include <string>
#include <string_view>

namespace sy::sse {

// Appends `data: <data>\n\n` (one `data: ` line per line of data; empty data gives `data: \n\n`).
void append_data_event(std::string& out, std::string_view data);

// Appends `event: <event_name>\n` followed by the data lines and a blank line.
void append_named_event(std::string& out, std::string_view event_name, std::string_view data);

// Appends `: <text>\n\n` (one `: ` line per line of text): a comment, e.g. a keep-alive heartbeat.
void append_comment(std::string& out, std::string_view text);

// Appends `data: [DONE]\n\n`, the OpenAI end-of-stream marker.
void append_done(std::string& out);

}  // namespace sy::sse
