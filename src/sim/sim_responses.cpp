#include "sim/sim_responses.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>

#include "common/json_writer.hpp"
#include "sim/sim_words.hpp"

namespace sy::sim {
namespace {

void append_int(std::string& out, std::int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;  // 24 bytes always hold an int64
  out.append(buf, end);
}

void append_status_line(std::string& out, int status) {
  out += "HTTP/1.1 ";
  append_int(out, status);
  out += ' ';
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
}

void append_connection(std::string& out, bool keep_alive) {
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
}

// {"id":"chatcmpl-sim-7","object":"chat.completion.chunk","created":1,"model":"m",
void append_envelope_start(std::string& out, const ResponseIdentity& id, bool chunk) {
  const bool chat = id.api == SimApi::ChatCompletions;
  out += chat ? "{\"id\":\"chatcmpl-sim-" : "{\"id\":\"cmpl-sim-";
  append_int(out, static_cast<std::int64_t>(id.number));
  out += chat ? (chunk ? "\",\"object\":\"chat.completion.chunk\",\"created\":"
                       : "\",\"object\":\"chat.completion\",\"created\":")
              : "\",\"object\":\"text_completion\",\"created\":";
  append_int(out, id.created);
  out += ",\"model\":\"";
  append_json_escaped(out, id.model);
  out += "\",";
}

void append_usage(std::string& out, const StreamEnd& end) {
  out += "\"usage\":{\"prompt_tokens\":";
  append_int(out, end.prompt_tokens);
  out += ",\"completion_tokens\":";
  append_int(out, end.completion_tokens);
  out += ",\"total_tokens\":";
  append_int(out, end.prompt_tokens + end.completion_tokens);
  out += '}';
}

// Builds an SSE event in `scratch` and frames it as one chunk.
template <typename Fill>
void append_event_chunk(std::string& out, std::string& scratch, Fill&& fill) {
  scratch.clear();
  scratch += "data: ";
  fill(scratch);
  scratch += "\n\n";
  append_chunk(out, scratch);
}

}  // namespace

void append_response_head(std::string& out, int status, std::string_view content_type,
                          std::size_t content_length, bool keep_alive,
                          std::string_view extra_headers) {
  append_status_line(out, status);
  out += extra_headers;
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  append_int(out, static_cast<std::int64_t>(content_length));
  out += "\r\n";
  append_connection(out, keep_alive);
  out += "\r\n";
}

void append_stream_head(std::string& out, bool keep_alive) {
  append_status_line(out, 200);
  out +=
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n";
  append_connection(out, keep_alive);
  out += "\r\n";
}

void append_chunk(std::string& out, std::string_view payload) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, payload.size(), 16);
  (void)ec;
  out.append(buf, end);
  out += "\r\n";
  out += payload;
  out += "\r\n";
}

void append_last_chunk(std::string& out) { out += "0\r\n\r\n"; }

void append_error_body(std::string& out, std::string_view message, std::string_view type,
                       std::string_view param, std::string_view code) {
  JsonWriter w(out);
  w.begin_object().key("error").begin_object();
  w.field("message", message).field("type", type);
  w.key("param");
  if (param.empty()) {
    w.null();
  } else {
    w.value(param);
  }
  w.field("code", code);
  w.end_object().end_object();
}

std::string_view error_type_for_status(int status) noexcept {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    default:
      break;
  }
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

void TokenEventTemplate::build(const ResponseIdentity& id) {
  head.clear();
  tail_before_count.clear();
  tail_after_count.clear();
  with_count = false;
  head += "data: ";
  switch (id.api) {
    case SimApi::ChatCompletions:
      append_envelope_start(head, id, true);
      head += "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
      tail_before_count += "\"},\"finish_reason\":null}]}\n\n";
      break;
    case SimApi::Completions:
      append_envelope_start(head, id, true);
      head += "\"choices\":[{\"text\":\"";
      tail_before_count += "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n";
      break;
    case SimApi::LlamaCompletion:
      head += "{\"content\":\"";
      tail_before_count += "\",\"stop\":false,\"id_slot\":";
      append_int(tail_before_count, id.slot);
      tail_before_count += ",\"tokens_predicted\":";
      tail_after_count += "}\n\n";
      with_count = true;
      break;
  }
}

void TokenEventTemplate::append_chunk_for(std::string& out, std::string_view text,
                                          std::int64_t index) const {
  char count[24];
  std::size_t count_len = 0;
  if (with_count) {
    auto [end, ec] = std::to_chars(count, count + sizeof count, index + 1);
    (void)ec;
    count_len = static_cast<std::size_t>(end - count);
  }
  const std::size_t size =
      head.size() + text.size() + tail_before_count.size() + count_len + tail_after_count.size();
  char hex[20];
  auto [hex_end, ec] = std::to_chars(hex, hex + sizeof hex, size, 16);
  (void)ec;
  out.append(hex, hex_end);
  out += "\r\n";
  out += head;
  out += text;  // sim words need no JSON escaping (static_assert in sim_words.hpp)
  out += tail_before_count;
  out.append(count, count_len);
  out += tail_after_count;
  out += "\r\n";
}

void append_role_chunk(std::string& out, const ResponseIdentity& id) {
  std::string scratch;
  append_event_chunk(out, scratch, [&](std::string& s) {
    append_envelope_start(s, id, true);
    s += "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
         "\"finish_reason\":null}]}";
  });
}

void append_stream_end(std::string& out, const ResponseIdentity& id, const StreamEnd& end) {
  std::string scratch;
  switch (id.api) {
    case SimApi::ChatCompletions:
    case SimApi::Completions:
      append_event_chunk(out, scratch, [&](std::string& s) {
        append_envelope_start(s, id, true);
        s += id.api == SimApi::ChatCompletions
                 ? "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}"
                 : "\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,"
                   "\"finish_reason\":\"length\"}]}";
      });
      if (end.include_usage) {
        append_event_chunk(out, scratch, [&](std::string& s) {
          append_envelope_start(s, id, true);
          s += "\"choices\":[],";
          append_usage(s, end);
          s += '}';
        });
      }
      append_chunk(out, "data: [DONE]\n\n");
      break;
    case SimApi::LlamaCompletion:
      append_event_chunk(out, scratch, [&](std::string& s) {
        s += "{\"content\":\"\",\"stop\":true,\"stop_type\":\"limit\",\"id_slot\":";
        append_int(s, id.slot);
        s += ",\"tokens_predicted\":";
        append_int(s, end.completion_tokens);
        s += ",\"tokens_evaluated\":";
        append_int(s, end.prompt_tokens);
        s += ",\"timings\":{\"predicted_n\":";
        append_int(s, end.completion_tokens);
        s += ",\"prompt_n\":";
        append_int(s, end.prompt_tokens);
        s += "}}";
      });
      break;
  }
  append_last_chunk(out);
}

void append_unary_body(std::string& out, const ResponseIdentity& id, std::int64_t seed,
                       const StreamEnd& end) {
  auto append_text = [&] {
    for (std::int64_t i = 0; i < end.completion_tokens; ++i) out += sim_token_text(seed, i);
  };
  switch (id.api) {
    case SimApi::ChatCompletions:
      append_envelope_start(out, id, false);
      out += "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"";
      append_text();
      out += "\"},\"finish_reason\":\"length\"}],";
      append_usage(out, end);
      out += '}';
      break;
    case SimApi::Completions:
      append_envelope_start(out, id, false);
      out += "\"choices\":[{\"text\":\"";
      append_text();
      out += "\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],";
      append_usage(out, end);
      out += '}';
      break;
    case SimApi::LlamaCompletion:
      out += "{\"content\":\"";
      append_text();
      out += "\",\"stop\":true,\"stop_type\":\"limit\",\"id_slot\":";
      append_int(out, id.slot);
      out += ",\"tokens_predicted\":";
      append_int(out, end.completion_tokens);
      out += ",\"tokens_evaluated\":";
      append_int(out, end.prompt_tokens);
      out += ",\"timings\":{\"predicted_n\":";
      append_int(out, end.completion_tokens);
      out += ",\"prompt_n\":";
      append_int(out, end.prompt_tokens);
      out += "}}";
      break;
  }
}

}  // namespace sy::sim
