#include "sim/sim_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "sim/sim_config.hpp"
#include "sim/sim_server.hpp"

namespace sy::sim {

void register_sim_command(CLI::App& app) {
  auto config = std::make_shared<SimConfig>();
  CLI::App* sim =
      app.add_subcommand("sim", "Run an LLM engine simulator (OpenAI + llama.cpp APIs)");
  sim->add_option("--listen", config->listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->capture_default_str();
  sim->add_option("--threads", config->threads, "Worker threads")->capture_default_str();
  sim->add_option("--ttft-ms", config->ttft_ms, "Delay before the first token (ms)")
      ->capture_default_str();
  sim->add_option("--itl-ms", config->itl_ms, "Delay between tokens (ms); 0 = as fast as possible")
      ->capture_default_str();
  sim->add_option("--slots", config->slots, "Concurrent generations; more requests wait FIFO")
      ->capture_default_str();
  sim->add_option("--tokens", config->default_tokens,
                  "Tokens to generate when a request sets no max_tokens")
      ->capture_default_str();
  sim->add_option("--model", config->models, "Model name served (repeatable)")
      ->capture_default_str();
  sim->add_option("--max-waiting", config->max_waiting,
                  "Requests allowed to wait for a slot; beyond that 503")
      ->capture_default_str();
  sim->add_option("--fault-status", config->fault_status,
                  "Answer every generation request with this HTTP status (a broken engine)")
      ->check(CLI::Range(100, 599));
  sim->add_option("--fault-fail-after-tokens", config->fault_fail_after_tokens,
                  "Close every stream abruptly after N tokens")
      ->check(CLI::NonNegativeNumber);
  sim->add_option("--fault-stall-after-tokens", config->fault_stall_after_tokens,
                  "Stop sending every stream after N tokens, keeping the connection")
      ->check(CLI::NonNegativeNumber);
  sim->callback([config] {
    const int rc = run_sim(*config);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace sy::sim
