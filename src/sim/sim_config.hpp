#pragma once
// SimConfig: the `switchyard sim` settings, filled from the command line and then read-only.
// Shared by reference with every worker thread after startup (never mutated after run starts).

#include <cstdint>
#include <string>
#include <vector>

namespace sy::sim {

struct SimConfig {
  std::string listen = "127.0.0.1:9101";  // HOST:PORT; port 0 picks a free port
  int threads = 1;                        // worker threads, each with its own io_context
  std::int64_t ttft_ms = 20;              // delay before the first token
  std::int64_t itl_ms = 10;               // delay between tokens; 0 = as fast as possible
  int slots = 8;                          // concurrent generations; the rest wait FIFO
  std::int64_t default_tokens = 16;       // max_tokens when the request names none
  std::vector<std::string> models{"sim-model"};
  std::int64_t max_waiting = 100000;  // waiting requests beyond this get 503
  // A broken engine, for resilience tests: these apply to every generation request that does not
  // set the same field in its own sim_options. Health probes keep passing.
  int fault_status = 0;                        // != 0: answer every request with this status
  std::int64_t fault_fail_after_tokens = -1;   // >= 0: close every stream after N tokens
  std::int64_t fault_stall_after_tokens = -1;  // >= 0: stall every stream after N tokens
};

}  // namespace sy::sim
