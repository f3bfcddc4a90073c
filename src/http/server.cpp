#include "http/server.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <ctime>
#include <thread>

#include "control/control_plane.hpp"
#include "http/connection.hpp"
#include "http/health_prober.hpp"
#include "http/worker.hpp"
#include "telemetry/log.hpp"

namespace sy::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using telemetry::LogLevel;

namespace {

// After the grace period, how long aborted requests get to write their final event.
constexpr auto kAbortFlushTime = std::chrono::milliseconds(1000);

asio::awaitable<void> accept_loop(Worker& worker, tcp::acceptor& acceptor, std::uint32_t threads) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      asio::steady_timer t(worker.io);
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // limits.max_connections is shared among the threads; read per accept, so a reload applies.
    const std::uint32_t max_connections =
        std::max(1u, worker.registry()->config->limits.max_connections / threads);
    if (worker.metrics.open_connections.value() >= static_cast<std::int64_t>(max_connections)) {
      // Over the per-worker bound: refuse rather than exhaust descriptors, with a best-effort
      // 503 (one non-blocking write; nothing is kept for this connection).
      static constexpr std::string_view kBusyHead =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nX-Backoff-Ms: 1000\r\nConnection: close\r\nContent-Length: "
          "184\r\n\r\n";
      static constexpr std::string_view kBusyBody =
          R"({"error":{"message":"The server has too many open connections; retry shortly.",)"
          R"("type":"server_error","param":null,"code":"too_many_connections",)"
          R"("retriable":true,"retry_after_ms":1000}})";
      static_assert(kBusyBody.size() == 184, "Content-Length above must match the body");
      const std::array<asio::const_buffer, 2> busy{asio::buffer(kBusyHead),
                                                   asio::buffer(kBusyBody)};
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(busy, ignored);
      socket.close(ignored);
      worker.metrics.count_request(telemetry::Route::Other, 503);
      continue;
    }
    spawn_connection(worker, std::move(socket));
  }
}

tcp::acceptor open_acceptor(asio::io_context& io, const tcp::endpoint& ep) {
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  // SO_REUSEPORT: each worker owns an acceptor on the same port and the kernel spreads
  // connections across them (a connection changes threads only to follow a task: hand_over).
  int one = 1;
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  acceptor.bind(ep);
  acceptor.listen(4096);
  return acceptor;
}

// Carries the registry's changes to the parts outside the control plane that keep state per
// endpoint: the probes (control thread) and each I/O thread's exchanges and idle connections
// (posted to the thread that owns them).
class RegistryWiring final : public control::RegistryObserver {
 public:
  RegistryWiring(HealthProber& prober, const std::vector<std::unique_ptr<Worker>>& workers)
      : prober_(prober), workers_(workers) {}

  void endpoint_added(std::shared_ptr<const control::EndpointInfo> endpoint) override {
    prober_.watch(std::move(endpoint));
  }
  void endpoint_removed(const control::EndpointInfo& endpoint) override {
    prober_.unwatch(endpoint.serial);
  }
  void drain_expired(const control::EndpointInfo& endpoint) override {
    for (const auto& w : workers_) {
      asio::post(w->io, [&live = w->live, id = endpoint.id, serial = endpoint.serial] {
        (void)live.abort_endpoint(id, serial);
      });
    }
  }
  void endpoint_retired(const control::EndpointInfo& endpoint) override {
    for (const auto& w : workers_) {
      asio::post(w->io, [&engines = w->engines, id = endpoint.id, serial = endpoint.serial] {
        engines.forget(id, serial);
      });
    }
  }

 private:
  HealthProber& prober_;
  const std::vector<std::unique_ptr<Worker>>& workers_;
};

// SIGHUP: re-read the configuration (the outcome is logged by reload()), then wait for the next.
void watch_reload_signal(asio::signal_set& hup, control::ControlPlane& control,
                         const config::ConfigSource& source) {
  hup.async_wait([&hup, &control, &source](boost::system::error_code ec, int) {
    if (ec) return;
    telemetry::log_event(
        LogLevel::Info, "reload_requested", {}, "SIGHUP received: the configuration is read again.",
        {{"config", std::string_view(source.is_file() ? source.path : "<embedded demo>")}});
    (void)control.reload(source);
    watch_reload_signal(hup, control, source);
  });
}

}  // namespace

int run_server(const config::ConfigSource& source, std::shared_ptr<const config::Config> config_ptr,
               std::uint32_t grace_ms) {
  const config::Config& config = *config_ptr;  // the startup configuration: listener, threads
  const std::uint32_t threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());

  asio::io_context control_io(1);
  telemetry::ControlGauges gauges;
  control::ControlPlane control(control_io, config_ptr, gauges);
  HealthProber prober(control_io, control);
  ServerShared shared{source, control, gauges};
  shared.started_unix_s = static_cast<std::int64_t>(std::time(nullptr));
  shared.task_directory.set_max_tasks(config.tasks.max_tasks);
  shared.task_limits.frames = {config.tasks.max_frames, config.tasks.max_frame_bytes};
  shared.task_limits.retention = Millis(config.tasks.retention_ms);

  std::vector<std::unique_ptr<Worker>> workers;
  for (std::uint32_t i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, static_cast<std::uint32_t>(workers.size())));
    shared.all_metrics.push_back(&workers.back()->metrics);
    shared.workers.push_back(workers.back().get());
  }
  RegistryWiring wiring(prober, workers);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config.listen_host, ec);
  if (ec) {
    std::fprintf(stderr, "switchyard: listen address '%s' is not an IP address\n",
                 config.listen_host.c_str());
    return 2;
  }
  std::vector<tcp::acceptor> acceptors;
  tcp::endpoint ep(address, config.listen_port);
  try {
    if (ep.port() != 0) {
      // Every worker's acceptor sets SO_REUSEPORT, which would let a second instance share the
      // port silently; a plain bind first makes "address already in use" an error again.
      tcp::acceptor probe(control_io);
      probe.open(ep.protocol());
      probe.set_option(tcp::acceptor::reuse_address(true));
      probe.bind(ep);
    }
    for (std::uint32_t i = 0; i < threads; ++i) {
      acceptors.push_back(open_acceptor(workers[i]->io, ep));
      if (i == 0) ep = acceptors[0].local_endpoint();  // port 0: the others share the chosen port
    }
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "switchyard: cannot listen on %s:%u: %s\n", config.listen_host.c_str(),
                 static_cast<unsigned>(ep.port()), e.code().message().c_str());
    return 2;
  }
  for (std::uint32_t i = 0; i < threads; ++i) {
    asio::co_spawn(workers[i]->io, accept_loop(*workers[i], acceptors[i], threads), asio::detached);
  }

  control.start(&wiring);
  asio::signal_set hup(control_io, SIGHUP);
  watch_reload_signal(hup, control, source);
  std::printf("{\"event\":\"listening\",\"port\":%u}\n", static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  telemetry::log_event(
      LogLevel::Info, "listening", {},
      fmt::format("Switchyard listens on {}:{} with {} I/O threads and {} engine endpoints.",
                  config.listen_host, ep.port(), threads,
                  control.registry()->placement.endpoints.size()),
      {{"port", static_cast<std::uint64_t>(ep.port())},
       {"threads", static_cast<std::uint64_t>(threads)},
       {"config", std::string_view(config.source)}});

  // Shutdown, driven from the control thread.
  asio::signal_set signals(control_io, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(control_io);
  TimePoint drain_until{};
  bool aborting = false;  // the grace period ran out: running exchanges were told to end
  std::function<void()> check_drained;
  check_drained = [&] {
    const bool idle = shared.active_requests.load() == 0;
    if (!idle && !aborting && Clock::now() >= drain_until) {
      // Grace is over: end what still runs with a final shutting_down event (and close the
      // engine connections), then give those last writes a short, bounded moment.
      aborting = true;
      drain_until = Clock::now() + kAbortFlushTime;
      telemetry::log_event(LogLevel::Warn, "aborting", {},
                           "The shutdown grace period ran out; running requests get a final "
                           "shutting_down error and their engine connections are closed.",
                           {{"running", static_cast<std::int64_t>(shared.active_requests.load())}});
      for (auto& w : workers) {
        asio::post(w->io, [&live = w->live] { (void)live.abort_all(); });
      }
    } else if (idle || Clock::now() >= drain_until) {
      telemetry::log_event(LogLevel::Info, "stopped", {},
                           idle ? "Every running request finished; Switchyard stops."
                                : "Requests that were still ending are cut; Switchyard stops.");
      for (auto& w : workers) w->io.stop();
      control_io.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(25));
    drain_timer.async_wait([&](boost::system::error_code e) {
      if (!e) check_drained();
    });
  };
  signals.async_wait([&](boost::system::error_code e, int signo) {
    if (e) return;
    telemetry::log_event(
        LogLevel::Info, "draining", {},
        "Shutdown requested: no new connections, queued requests get 503, running ones may finish.",
        {{"signal", static_cast<std::int64_t>(signo)}});
    shared.draining.store(true);
    for (std::uint32_t i = 0; i < threads; ++i) {
      asio::post(workers[i]->io, [&acceptor = acceptors[i]] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
      });
    }
    control.stop();
    prober.stop();
    hup.cancel();
    drain_until = Clock::now() + Millis(grace_ms);
    check_drained();
  });

  std::vector<std::thread> threads_running;
  for (auto& w : workers) {
    threads_running.emplace_back([&io = w->io] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  {
    auto guard = asio::make_work_guard(control_io);
    control_io.run();
  }
  for (auto& t : threads_running) t.join();
  // The probe loops are owned here: let any that is still ending end (its timer is cancelled and
  // its socket closed, so that is a moment, unless it waits on a name lookup). Bounded.
  control_io.restart();
  const TimePoint probes_until = Clock::now() + std::chrono::seconds(1);
  while (!prober.idle() && Clock::now() < probes_until) {
    control_io.run_one_for(std::chrono::milliseconds(50));
  }
  return 0;
}

}  // namespace sy::http
