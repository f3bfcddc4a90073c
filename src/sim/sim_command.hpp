#pragma once
// The `switchyard sim` subcommand: an LLM engine simulator for tests, demos and benchmarks.
// See docs/sim.md. Called once from main before parsing; the subcommand's callback runs the
// simulator on the calling thread until SIGINT/SIGTERM.

namespace CLI {
class App;
}

namespace sy::sim {

// Adds subcommand `sim` with --listen, --threads, --ttft-ms, --itl-ms, --slots, --tokens, --model,
// --max-waiting. On a bad value or a failed bind the callback prints a message to stderr and throws
// CLI::RuntimeError (exit code 2 for bad values, 1 for bind failures).
void register_sim_command(CLI::App& app);

}  // namespace sy::sim
