#pragma once
// The state shared by all I/O threads (ServerShared, read-mostly) and the state of one I/O
// thread (Worker). A connection lives on one Worker for its whole life.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "server/control_plane.hpp"
#include "server/serve_metrics.hpp"
#include "server/upstream_pool.hpp"

namespace sy::server {

struct ServerShared {
  const config::Config& config;
  ControlPlane& control;
  ControlGauges& gauges;
  std::vector<const WorkerMetrics*> all_metrics;  // filled before threads start; read-only after
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> active_requests{0};
  std::int64_t started_unix_s = 0;
};

struct Worker {
  Worker(ServerShared& shared_state, std::size_t endpoint_count)
      : shared(shared_state), io(1), upstreams(io.get_executor(), endpoint_count, 256) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  ServerShared& shared;
  boost::asio::io_context io;
  WorkerMetrics metrics;
  UpstreamPool upstreams;
};

}  // namespace sy::server
