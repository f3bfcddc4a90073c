// TaskEncoder and the native error envelope: tokens become `token {t, i}` records with the
// engine's JSON string copied as sent and indexes from 0; events without text make nothing; an
// engine's error becomes an `error` record with llama-orch's code; records split back exactly.

#include "tasks/task_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tasks/error_envelope.hpp"

namespace sy::tasks {
namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

Records split(std::string_view records) {
  Records out;
  for_each_record(records, [&](std::string_view e, std::string_view d) {
    out.emplace_back(std::string(e), std::string(d));
  });
  return out;
}

TEST(TaskEncoder, TokensAreIndexedRecordsWithTheEnginesTextAsSent) {
  TaskEncoder enc;
  std::string out;
  engines::EngineEvent a;
  a.text = R"("Hel\nlo")";
  engines::EngineEvent none;  // a role-only chunk: no text
  none.text = R"("")";
  engines::EngineEvent b;
  b.text = R"(" w\u00f6rld")";
  engines::EngineEvent end;
  end.end = true;
  for (const auto* ev : {&a, &none, &b, &end}) enc.encode(*ev, out);
  EXPECT_EQ(split(out), (Records{{"token", R"({"t":"Hel\nlo","i":0})"},
                                 {"token", R"({"t":" w\u00f6rld","i":1})"}}));
  EXPECT_EQ(enc.tokens(), 2u);
  EXPECT_EQ(out.find('\n'), out.find("\n"));  // one line per record
}

TEST(TaskEncoder, AnEngineErrorIsAnErrorRecord) {
  TaskEncoder enc;
  std::string out;
  engines::EngineEvent err;
  err.status = engines::EventStatus::EngineError;
  enc.encode(err, out);
  const Records r = split(out);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, "error");
  EXPECT_NE(r[0].second.find(R"("code":"WORKER_RESET")"), std::string::npos);
  EXPECT_NE(r[0].second.find(R"("retriable":true)"), std::string::npos);
}

TEST(ErrorEnvelope, CarriesTheNativeCodeAndWhatIsKnown) {
  std::string out;
  append_error_envelope(out, Error{ErrorCode::QueueFull, "The queue is full.", {}, 1500},
                        {.engine = "vllm", .pool_id = "p1", .policy_label = "drop-lru"});
  EXPECT_EQ(out,
            R"({"code":"ADMISSION_REJECT","message":"The queue is full.","engine":"vllm",)"
            R"("pool_id":"p1","retriable":true,"retry_after_ms":1500,"policy_label":"drop-lru"})");
  out.clear();
  append_error_envelope(out, Error{ErrorCode::InvalidParams, "Bad \"x\".", "x", 0});
  EXPECT_EQ(out,
            R"({"code":"INVALID_PARAMS","message":"Bad \"x\".","param":"x","retriable":false})");
  out.clear();
  append_error_envelope(out, Error{ErrorCode::QueueFull, "Full.", {}, 0});
  EXPECT_NE(out.find(R"("policy_label":"reject")"), std::string::npos);  // required on a 429
}

TEST(Records, SplitExactlyAndIgnoreAPartialTail) {
  std::string out;
  append_record(out, "metrics", R"({"queue_position":3})");
  append_record(out, "token", "{\"t\":\"a\\tb\",\"i\":0}");
  out += "tok";  // no tab, no newline: not a record
  EXPECT_EQ(split(out), (Records{{"metrics", R"({"queue_position":3})"},
                                 {"token", "{\"t\":\"a\\tb\",\"i\":0}"}}));
}

}  // namespace
}  // namespace sy::tasks
