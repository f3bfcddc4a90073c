// parse_task_request: llama-orch's TaskRequest fields are read and validated; every wrong field
// is an InvalidParams naming it; unknown fields are refused; broken JSON is InvalidJson.

#include "tasks/task_request.hpp"

#include <gtest/gtest.h>

namespace sy::tasks {
namespace {

TEST(TaskRequest, ReadsEveryField) {
  const auto r = parse_task_request(R"({
    "task_id": "t-1", "session_id": "s:9", "workload": "completion", "model_ref": "llama-8b",
    "engine": "vllm", "ctx": 4096, "priority": "batch", "max_tokens": 64, "deadline_ms": 30000,
    "seed": -7, "determinism": "strict", "sampler_profile_version": "v1", "prompt": "Hello there",
    "expected_tokens": 50, "kv_hint": "reuse",
    "placement": {"mode": "prefer", "prefer_pools": ["a", "b"], "avoid_pools": ["c"],
                  "allow_fallback": false}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->task_id, "t-1");
  EXPECT_EQ(r->session_id, "s:9");
  EXPECT_EQ(r->model_ref, "llama-8b");
  EXPECT_EQ(r->engine, "vllm");
  EXPECT_EQ(r->ctx, 4096u);
  EXPECT_EQ(r->priority, TaskPriority::Batch);
  EXPECT_EQ(r->max_tokens, 64u);
  EXPECT_EQ(r->deadline_ms, 30000u);
  EXPECT_EQ(r->seed, -7);
  EXPECT_EQ(r->determinism, Determinism::Strict);
  EXPECT_EQ(r->prompt, "Hello there");
  EXPECT_EQ(r->expected_tokens, 50u);
  EXPECT_EQ(r->kv_hint, "reuse");
  EXPECT_EQ(r->placement.mode, PlacementMode::Prefer);
  EXPECT_EQ(r->placement.prefer_pools, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->placement.avoid_pools, (std::vector<std::string>{"c"}));
  EXPECT_FALSE(r->placement.allow_fallback);
  EXPECT_EQ(r->estimated_prompt_tokens(), 3u);
}

TEST(TaskRequest, DefaultsForTheSmallestRequest) {
  const auto r = parse_task_request(R"({"model_ref":"m","inputs":["a","bcd"]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->task_id.empty());
  EXPECT_EQ(r->priority, TaskPriority::Interactive);
  EXPECT_EQ(r->determinism, Determinism::BestEffort);
  EXPECT_EQ(r->placement.mode, PlacementMode::Auto);
  EXPECT_TRUE(r->placement.allow_fallback);
  EXPECT_FALSE(r->max_tokens);
  EXPECT_EQ(r->inputs.size(), 2u);
}

struct Bad {
  const char* body;
  ErrorCode code;
  const char* param;
};

TEST(TaskRequest, EveryWrongFieldIsNamed) {
  const Bad cases[] = {
      {R"({"model_ref":"m","prompt":"x",)", ErrorCode::InvalidJson, ""},
      {R"([1,2])", ErrorCode::InvalidJson, ""},
      {R"({"prompt":"x"})", ErrorCode::InvalidParams, "model_ref"},
      {R"({"model_ref":"","prompt":"x"})", ErrorCode::InvalidParams, "model_ref"},
      {R"({"model_ref":"m"})", ErrorCode::InvalidParams, "prompt"},
      {R"({"model_ref":"m","prompt":"x","inputs":["y"]})", ErrorCode::InvalidParams, "inputs"},
      {R"({"model_ref":"m","inputs":[]})", ErrorCode::InvalidParams, "inputs"},
      {R"({"model_ref":"m","inputs":[1]})", ErrorCode::InvalidParams, "inputs"},
      {R"({"model_ref":"m","prompt":"x","task_id":"a b"})", ErrorCode::InvalidParams, "task_id"},
      {R"({"model_ref":"m","prompt":"x","task_id":""})", ErrorCode::InvalidParams, "task_id"},
      {R"({"model_ref":"m","prompt":"x","session_id":7})", ErrorCode::InvalidParams, "session_id"},
      {R"({"model_ref":"m","prompt":"x","workload":"embedding"})", ErrorCode::InvalidParams,
       "workload"},
      {R"({"model_ref":"m","prompt":"x","priority":"urgent"})", ErrorCode::InvalidParams,
       "priority"},
      {R"({"model_ref":"m","prompt":"x","max_tokens":0})", ErrorCode::InvalidParams, "max_tokens"},
      {R"({"model_ref":"m","prompt":"x","max_tokens":1.5})", ErrorCode::InvalidParams,
       "max_tokens"},
      {R"({"model_ref":"m","prompt":"x","ctx":-1})", ErrorCode::InvalidParams, "ctx"},
      {R"({"model_ref":"m","prompt":"x","deadline_ms":0})", ErrorCode::InvalidParams,
       "deadline_ms"},
      {R"({"model_ref":"m","prompt":"x","seed":"7"})", ErrorCode::InvalidParams, "seed"},
      {R"({"model_ref":"m","prompt":"x","determinism":"exact"})", ErrorCode::InvalidParams,
       "determinism"},
      {R"({"model_ref":"m","prompt":"x","temperature":0.5})", ErrorCode::InvalidParams,
       "temperature"},
      {R"({"model_ref":"m","prompt":"x","placement":{"mode":"pin"}})", ErrorCode::InvalidParams,
       "placement.pin_pool_id"},
      {R"({"model_ref":"m","prompt":"x","placement":{"mode":"prefer"}})", ErrorCode::InvalidParams,
       "placement.prefer_pools"},
      {R"({"model_ref":"m","prompt":"x","placement":{"zone":"eu"}})", ErrorCode::InvalidParams,
       "placement.zone"},
      {R"({"model_ref":"m","prompt":"x","placement":{"allow_fallback":"yes"}})",
       ErrorCode::InvalidParams, "placement.allow_fallback"},
  };
  for (const Bad& c : cases) {
    const auto r = parse_task_request(c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(TaskRequest, IdsAreBounded) {
  EXPECT_TRUE(valid_id("abc-DEF_1.2:3"));
  EXPECT_TRUE(valid_id(std::string(128, 'a')));
  EXPECT_FALSE(valid_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_id(""));
  EXPECT_FALSE(valid_id("a/b"));
  EXPECT_FALSE(valid_id("é"));
}

}  // namespace
}  // namespace sy::tasks
