// switchyard: one binary, several verbs. Flags and wiring only; the work lives in the modules.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "bench/bench_command.hpp"
#include "config/config_source.hpp"
#include "http/server.hpp"
#include "sim/sim_command.hpp"
#include "telemetry/log.hpp"

namespace {

int serve(const std::string& config_path, const std::string& listen, int threads,
          const std::string& log_level, std::uint32_t grace_ms) {
  sy::config::ConfigSource source;
  source.path = config_path;
  if (!listen.empty()) source.overrides.listen = listen;
  if (threads >= 0) source.overrides.threads = static_cast<std::uint32_t>(threads);
  if (!log_level.empty()) source.overrides.log_level = log_level;
  auto config = sy::config::load_config(source);
  if (!config) {
    std::fprintf(stderr, "switchyard: %s\n", config.error().message.c_str());
    return 2;
  }
  sy::telemetry::LogLevel level = sy::telemetry::LogLevel::Info;
  if (!sy::telemetry::parse_log_level(config->log_level, level)) {
    std::fprintf(stderr, "switchyard: unknown log level '%s'\n", config->log_level.c_str());
    return 2;
  }
  sy::telemetry::init_logging(level);
  const int rc = sy::http::run_server(
      source, std::make_shared<const sy::config::Config>(std::move(*config)), grace_ms);
  sy::telemetry::shutdown_logging();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Switchyard: an orchestrator for LLM inference engines"};
  app.require_subcommand(1);

  std::string config_path;
  std::string listen;
  std::string log_level;
  int threads = -1;
  std::uint32_t grace_ms = 10000;
  auto* serve_cmd = app.add_subcommand("serve", "Run the orchestrator (OpenAI-compatible API)");
  serve_cmd->add_option("--config", config_path,
                        "YAML configuration file (default: embedded demo)");
  serve_cmd->add_option("--listen", listen, "HOST:PORT to listen on (overrides the config)");
  serve_cmd->add_option("--threads", threads,
                        "I/O threads, 0 = one per core (overrides the config)");
  serve_cmd->add_option("--log-level", log_level, "trace|debug|info|warn|error|off");
  serve_cmd->add_option("--shutdown-grace-ms", grace_ms,
                        "How long running requests may finish on shutdown");
  serve_cmd->callback([&] { std::exit(serve(config_path, listen, threads, log_level, grace_ms)); });

  sy::sim::register_sim_command(app);
  sy::bench::register_bench_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}
