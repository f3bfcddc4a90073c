#pragma once
// Server: wires `switchyard serve` together — N I/O workers (one io_context and one
// SO_REUSEPORT acceptor each), the control-plane thread, signals and graceful shutdown.

#include <memory>

#include "config/config_source.hpp"

namespace sy::http {

// Runs `config` (read from `source`) until SIGINT or SIGTERM, then drains: stops accepting,
// reports not-ready, refuses queued work with 503 shutting_down, lets running requests finish for
// up to `grace_ms`, then stops. SIGHUP (or POST /admin/reload) re-reads `source` and applies it
// live when it is valid. Prints {"event":"listening","port":N} on stdout once the port is bound.
// Returns the exit code.
int run_server(const config::ConfigSource& source, std::shared_ptr<const config::Config> config,
               std::uint32_t grace_ms = 10000);

}  // namespace sy::http
