#pragma once
// Classification of one SSE `data` payload from an engine or proxy, cheap enough for every token:
// substring scans, no JSON parse. Pure.
//   token: the JSON has a non-empty string "content" (chat delta / llama.cpp) or "text"
//          (completions) — the first such key decides; the chat role chunk ("content":"") is not.
//   done:  the payload is [DONE], or (llama.cpp native API) it carries "stop":true.
//   error: the JSON object's first key is "error".
// Scanning is safe against look-alikes inside strings: a quote inside a JSON string is escaped, so
// `"content":"` cannot appear within a string value.

#include <string_view>

namespace sy::bench {

struct DataEventKind {
  bool token = false;
  bool done = false;
  bool error = false;
};

[[nodiscard]] DataEventKind classify_data_event(std::string_view data, bool llama_native) noexcept;

}  // namespace sy::bench
