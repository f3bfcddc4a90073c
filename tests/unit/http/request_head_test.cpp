#include "http/request_head.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sy::http {
namespace {

using telemetry::Route;

constexpr std::uint64_t kMaxBody = 1024;

// A plain HTTP/1.1 POST with its body still to come.
RequestHeadFields post(std::string_view target) {
  RequestHeadFields f;
  f.method = "POST";
  f.target = target;
  f.content_length = 10;
  return f;
}

// --- route_of ------------------------------------------------------------------------------------

TEST(RouteOf, MapsEveryRoute) {
  EXPECT_EQ(route_of("/v1/chat/completions"), Route::ChatCompletions);
  EXPECT_EQ(route_of("/v1/completions"), Route::Completions);
  EXPECT_EQ(route_of("/v1/models"), Route::Models);
  EXPECT_EQ(route_of("/v1/models/llama-3"), Route::Models);
  EXPECT_EQ(route_of("/v1/models/org%2Fname"), Route::Models);
  EXPECT_EQ(route_of("/v1/models/x"), Route::Models);
  EXPECT_EQ(route_of("/health"), Route::Health);
  EXPECT_EQ(route_of("/ready"), Route::Ready);
  EXPECT_EQ(route_of("/metrics"), Route::Metrics);
}

TEST(RouteOf, ReturnsOtherForNearMisses) {
  for (const std::string_view path : {
           "/v1/models/",  // the prefix alone names no model
           "/v1/chat/completions/x",
           "/v1/chat/completions/",
           "/v1/chat/completion",
           "/v1/completions/",
           "/v1/completion",
           "/v1/modelsx",
           "/v1/model",
           "/V1/models",
           "/v1/Models",
           "v1/models",
           "//v1/models",
           "/v2/models",
           "/health/",
           "/healthz",
           "/HEALTH",
           "/ready/",
           "/metrics/",
           "/metric",
           "/",
           "",
       }) {
    EXPECT_EQ(route_of(path), Route::Other) << "path: \"" << path << "\"";
  }
}

// --- interpret_request_head ----------------------------------------------------------------------

TEST(InterpretRequestHead, StripsQueryStringBeforeRouting) {
  struct Case {
    std::string_view target;
    std::string_view path;
    Route route;
  };
  for (const Case& c : {
           Case{"/v1/chat/completions?stream=true", "/v1/chat/completions", Route::ChatCompletions},
           Case{"/v1/completions?", "/v1/completions", Route::Completions},
           Case{"/v1/models?limit=1", "/v1/models", Route::Models},
           Case{"/v1/models/m?x=/y", "/v1/models/m", Route::Models},
           // The query string does not make the bare prefix a model id.
           Case{"/v1/models/?model=m", "/v1/models/", Route::Other},
           Case{"/health?a?b", "/health", Route::Health},
           Case{"/metrics", "/metrics", Route::Metrics},
           Case{"?ready", "", Route::Other},
       }) {
    const RequestHead h = interpret_request_head(post(c.target), kMaxBody);
    EXPECT_EQ(h.path, c.path) << "target: " << c.target;
    EXPECT_EQ(h.route, c.route) << "target: " << c.target;
  }
}

TEST(InterpretRequestHead, PathIsAViewIntoTheTarget) {
  const std::string target = "/ready?x=1";
  const RequestHead h = interpret_request_head(post(target), kMaxBody);
  EXPECT_EQ(h.path.data(), target.data());
  EXPECT_EQ(h.path.size(), 6u);
}

TEST(InterpretRequestHead, DetectsHttp10) {
  RequestHeadFields f = post("/health");
  f.version = 10;
  EXPECT_TRUE(interpret_request_head(f, kMaxBody).http10);
  f.version = 11;
  EXPECT_FALSE(interpret_request_head(f, kMaxBody).http10);
}

TEST(InterpretRequestHead, CopiesKeepAliveAsTheParserSawIt) {
  // The parser has already combined the version with Connection; the head must not re-derive it.
  RequestHeadFields f = post("/health");
  f.version = 10;
  f.keep_alive = true;
  EXPECT_TRUE(interpret_request_head(f, kMaxBody).keep_alive);
  f.version = 11;
  f.keep_alive = false;
  EXPECT_FALSE(interpret_request_head(f, kMaxBody).keep_alive);
}

TEST(InterpretRequestHead, DetectsHeadRequests) {
  RequestHeadFields f = post("/health");
  f.method = "HEAD";
  EXPECT_TRUE(interpret_request_head(f, kMaxBody).head_only);
  // Methods are case-sensitive tokens.
  for (const std::string_view method : {"GET", "POST", "head", "HEADX", ""}) {
    f.method = method;
    EXPECT_FALSE(interpret_request_head(f, kMaxBody).head_only) << "method: " << method;
  }
}

TEST(InterpretRequestHead, SendsContinueOnlyWhenTheBodyIsStillToCome) {
  RequestHeadFields f = post("/v1/chat/completions");
  for (const std::string_view expect : {"100-continue", "100-Continue", "100-CONTINUE"}) {
    f.expect = expect;
    f.body_done = false;
    EXPECT_TRUE(interpret_request_head(f, kMaxBody).send_continue) << "Expect: " << expect;
    // The parser already holds the whole message: a 100 would be a stray extra response.
    f.body_done = true;
    EXPECT_FALSE(interpret_request_head(f, kMaxBody).send_continue) << "Expect: " << expect;
  }
}

TEST(InterpretRequestHead, IgnoresOtherExpectations) {
  RequestHeadFields f = post("/v1/chat/completions");
  for (const std::string_view expect :
       {"", "100", "100-continu", "100-continued", "200-continue", "100_continue"}) {
    f.expect = expect;
    EXPECT_FALSE(interpret_request_head(f, kMaxBody).send_continue) << "Expect: " << expect;
  }
}

TEST(InterpretRequestHead, FlagsBodyAboveTheLimit) {
  RequestHeadFields f = post("/v1/chat/completions");
  f.content_length = kMaxBody + 1;
  EXPECT_TRUE(interpret_request_head(f, kMaxBody).body_too_large);
  f.content_length = UINT64_MAX;
  EXPECT_TRUE(interpret_request_head(f, kMaxBody).body_too_large);
  // Exactly at the limit is allowed.
  f.content_length = kMaxBody;
  EXPECT_FALSE(interpret_request_head(f, kMaxBody).body_too_large);
  f.content_length = 0;
  EXPECT_FALSE(interpret_request_head(f, 0).body_too_large);
  // Without Content-Length (chunked or no body) there is nothing to judge up front.
  f.content_length = std::nullopt;
  EXPECT_FALSE(interpret_request_head(f, 0).body_too_large);
}

TEST(InterpretRequestHead, EchoesAcceptableCorrelationId) {
  const std::string max_len(128, 'a');
  for (const std::string_view id :
       {std::string_view("abc-123"), std::string_view("0e8400e2-9b1d-41d4-a716-446655440000"),
        std::string_view("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), std::string_view("x"),
        std::string_view(max_len)}) {
    RequestHeadFields f = post("/health");
    f.correlation_id = id;
    const RequestHead h = interpret_request_head(f, kMaxBody);
    EXPECT_EQ(h.correlation_id, id);
    // A view into the fields' storage, not a copy.
    EXPECT_EQ(h.correlation_id.data(), id.data());
  }
}

TEST(InterpretRequestHead, DropsUnacceptableCorrelationId) {
  using namespace std::string_view_literals;
  const std::string too_long(129, 'a');
  for (const std::string_view id : {""sv, "has space"sv, "tab\there"sv, "cr\rlf\n"sv, "nul\0x"sv,
                                    "del\x7F"sv, "caf\xC3\xA9"sv, std::string_view(too_long)}) {
    RequestHeadFields f = post("/health");
    f.correlation_id = id;
    EXPECT_TRUE(interpret_request_head(f, kMaxBody).correlation_id.empty())
        << "id of " << id.size() << " bytes: " << id;
  }
}

TEST(InterpretRequestHead, PassesInterpretedHeadersThroughAsSent) {
  RequestHeadFields f = post("/v1/chat/completions");
  f.priority = "high";
  f.deadline = "2030-01-01T00:00:00Z";
  f.timeout_ms = "not-a-number";  // judged later (api/deadline.hpp), not here
  f.session_id = "sess 1";
  const RequestHead h = interpret_request_head(f, kMaxBody);
  EXPECT_EQ(h.priority, "high");
  EXPECT_EQ(h.deadline, "2030-01-01T00:00:00Z");
  EXPECT_EQ(h.timeout_ms, "not-a-number");
  EXPECT_EQ(h.session_id, "sess 1");

  const RequestHead none = interpret_request_head(post("/health"), kMaxBody);
  EXPECT_TRUE(none.priority.empty());
  EXPECT_TRUE(none.deadline.empty());
  EXPECT_TRUE(none.timeout_ms.empty());
  EXPECT_TRUE(none.session_id.empty());
  EXPECT_TRUE(none.correlation_id.empty());
  EXPECT_FALSE(none.send_continue);
  EXPECT_FALSE(none.head_only);
  EXPECT_FALSE(none.http10);
}

// --- percent_decode ------------------------------------------------------------------------------

TEST(PercentDecode, DecodesSlashInModelId) {
  std::string out;
  EXPECT_TRUE(percent_decode("org%2Fname", out));
  EXPECT_EQ(out, "org/name");
  EXPECT_TRUE(percent_decode("org%2fname", out));
  EXPECT_EQ(out, "org/name");
}

TEST(PercentDecode, DecodesEveryEscapeAndKeepsOtherBytes) {
  using namespace std::string_view_literals;
  std::string out;
  EXPECT_TRUE(percent_decode("%41%62%7e", out));
  EXPECT_EQ(out, "Ab~");
  // %25 is a literal percent sign and is not decoded again.
  EXPECT_TRUE(percent_decode("100%25%32%30", out));
  EXPECT_EQ(out, "100%20");
  EXPECT_TRUE(percent_decode("%00%FF", out));
  EXPECT_EQ(out, "\0\xFF"sv);
  // '+' is not a space in a path.
  EXPECT_TRUE(percent_decode("a+b", out));
  EXPECT_EQ(out, "a+b");
  EXPECT_TRUE(percent_decode("llama-3.1-8b", out));
  EXPECT_EQ(out, "llama-3.1-8b");
  EXPECT_TRUE(percent_decode("", out));
  EXPECT_EQ(out, "");
}

TEST(PercentDecode, ReplacesPreviousContentsOfOut) {
  std::string out = "stale";
  EXPECT_TRUE(percent_decode("m", out));
  EXPECT_EQ(out, "m");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  struct Case {
    std::string_view in;
    std::string_view prefix;  // what `out` holds when decoding stops
  };
  for (const Case& c : {
           Case{"%", ""},
           Case{"%4", ""},
           Case{"abc%", "abc"},
           Case{"ab%2", "ab"},
           Case{"%zz", ""},
           Case{"%4g", ""},
           Case{"%g4", ""},
           Case{"%%41", ""},
           Case{"%-1", ""},
           Case{"x%41%4", "xA"},
           Case{"org%2Fname%", "org/name"},
       }) {
    std::string out = "stale";
    EXPECT_FALSE(percent_decode(c.in, out)) << "in: " << c.in;
    EXPECT_EQ(out, c.prefix) << "in: " << c.in;
  }
}

}  // namespace
}  // namespace sy::http
