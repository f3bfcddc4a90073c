#include "bench/bench_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "bench/bench_config.hpp"
#include "bench/bench_runner.hpp"

namespace sy::bench {

void register_bench_command(CLI::App& app) {
  auto config = std::make_shared<BenchConfig>();
  CLI::App* bench =
      app.add_subcommand("bench", "Load-test an OpenAI-compatible or llama.cpp endpoint");
  bench->add_option("--url", config->url, "Server base URL (http://host:port)")
      ->capture_default_str();
  bench
      ->add_option("--path", config->path,
                   "Request path: /v1/chat/completions, /v1/completions or /completion")
      ->capture_default_str();
  bench->add_option("--model", config->model, "Model name sent in requests")->capture_default_str();
  bench->add_option("--concurrency", config->concurrency, "Parallel connections (workers)")
      ->capture_default_str();
  bench->add_option("--requests", config->requests, "Total requests")->capture_default_str();
  bench
      ->add_option("--duration-s", config->duration_s,
                   "Stop issuing requests after this; cancel in-flight ones 10 s later")
      ->capture_default_str();
  bench->add_option("--max-tokens", config->max_tokens, "max_tokens (n_predict) per request")
      ->capture_default_str();
  bench->add_flag("--stream,!--no-stream", config->stream, "Stream responses (default) or not");
  bench->add_option("--prompt", config->prompt, "Prompt text")->capture_default_str();
  bench
      ->add_option("--disconnect-after-tokens", config->disconnect_after_tokens,
                   "Close the connection after N content tokens (0 = never)")
      ->capture_default_str();
  bench->add_option("--sim-stats", config->sim_stats_url,
                    "A sim's stats URL (http://host:port[/sim/stats]) to time disconnects");
  bench->add_option("--header", config->headers, "Extra request header NAME:VALUE (repeatable)");
  bench->add_option("--connect-timeout-ms", config->connect_timeout_ms, "TCP connect timeout")
      ->capture_default_str();
  bench->callback([config] {
    const int rc = run_bench(*config);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace sy::bench
