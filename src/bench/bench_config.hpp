#pragma once
// BenchConfig: the `switchyard bench` settings, filled from the command line, then read-only.

#include <cstdint>
#include <string>
#include <vector>

namespace sy::bench {

struct BenchConfig {
  std::string url = "http://127.0.0.1:8080";  // scheme://host:port of the server under test
  std::string path = "/v1/chat/completions";  // or /v1/completions, or /completion (llama.cpp)
  std::string model = "sim-model";
  int concurrency = 16;         // workers, each with one keep-alive connection
  std::int64_t requests = 200;  // total requests over all workers
  double duration_s = 60;       // stop issuing after this; cancel in-flight at +10 s
  std::int64_t max_tokens = 32;
  bool stream = true;
  std::string prompt = "Say hello";
  std::int64_t disconnect_after_tokens = 0;  // > 0: close after N content tokens
  std::string sim_stats_url;                 // a sim's /sim/stats, to time disconnects
  std::vector<std::string> headers;          // extra "K:V" request headers
  std::int64_t connect_timeout_ms = 3000;
};

}  // namespace sy::bench
