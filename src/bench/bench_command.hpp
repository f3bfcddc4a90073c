#pragma once
// The `switchyard bench` subcommand: a load generator for OpenAI-compatible and llama.cpp
// endpoints (docs/sim.md). Called once from main before parsing; the callback runs the benchmark
// on the calling thread and prints one JSON report to stdout.

namespace CLI {
class App;
}

namespace sy::bench {

// Adds subcommand `bench` with --url, --path, --model, --concurrency, --requests, --duration-s,
// --max-tokens, --stream/--no-stream, --prompt, --disconnect-after-tokens, --sim-stats, --header,
// --connect-timeout-ms. Bad values: message on stderr and CLI::RuntimeError(2).
void register_bench_command(CLI::App& app);

}  // namespace sy::bench
