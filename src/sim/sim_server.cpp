#include "sim/sim_server.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "sim/sim_session.hpp"

namespace sy::sim {

namespace asio = boost::asio;
using asio::ip::tcp;

struct SimServer::Worker {
  Worker(const SimConfig& config, SlotPool& pool, SimStats& stats, SimCounters& counters,
         std::atomic<std::uint64_t>& numbers)
      : state(config, pool, stats, counters, numbers) {}

  SimWorker state;
  // Declared after `state`: destroyed first, so the connection frames it owns go before the
  // state they point at.
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
};

namespace {

bool split_host_port(const std::string& listen, std::string& host, std::string& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return port.size() <= 5 && std::stoul(port) <= 65535;
}

// The last-resort net of a connection coroutine: log, and that one connection is gone.
void on_session_done(const std::exception_ptr& error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{{\"event\":\"sim_connection_error\",\"error\":\"{}\"}}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "{{\"event\":\"sim_connection_error\",\"error\":\"unknown\"}}\n");
  }
}

}  // namespace

std::string validate_sim_config(const SimConfig& config) {
  std::string host;
  std::string port;
  if (!split_host_port(config.listen, host, port)) return "--listen must be HOST:PORT";
  if (config.threads < 1 || config.threads > 256) return "--threads must be 1..256";
  if (config.ttft_ms < 0) return "--ttft-ms must be >= 0";
  if (config.itl_ms < 0) return "--itl-ms must be >= 0";
  if (config.slots < 1) return "--slots must be >= 1";
  if (config.default_tokens < 0) return "--tokens must be >= 0";
  if (config.models.empty()) return "--model needs at least one name";
  if (config.max_waiting < 0) return "--max-waiting must be >= 0";
  return {};
}

SimServer::SimServer(SimConfig config)
    : config_(std::move(config)),
      pool_(config_.slots, config_.max_waiting),
      stats_(static_cast<std::size_t>(config_.threads), pool_) {
  workers_.reserve(static_cast<std::size_t>(config_.threads));
  for (int i = 0; i < config_.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(
        config_, pool_, stats_, stats_.shard(static_cast<std::size_t>(i)), response_numbers_));
  }
}

SimServer::~SimServer() { shutdown_workers(); }

std::uint16_t SimServer::bind() {
  std::string host;
  std::string port;
  if (!split_host_port(config_.listen, host, port)) {
    throw boost::system::system_error(asio::error::invalid_argument, "--listen");
  }
  asio::io_context& io = workers_.front()->io;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, port, tcp::resolver::passive);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.emplace(io);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  return acceptor_->local_endpoint().port();
}

namespace {

struct AcceptTargets {
  tcp::acceptor* acceptor;
  std::vector<asio::io_context*> contexts;
  std::vector<SimWorker*> workers;
};

asio::awaitable<void> accept_loop(std::shared_ptr<AcceptTargets> targets) {
  constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
  std::size_t next = 0;
  for (;;) {
    const std::size_t index = next++ % targets->contexts.size();
    auto [ec, socket] = co_await targets->acceptor->async_accept(*targets->contexts[index], kTok);
    if (ec == asio::error::operation_aborted || !targets->acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors or a connection reset before accept: back off briefly, keep serving.
      asio::steady_timer backoff(targets->acceptor->get_executor(), std::chrono::milliseconds(5));
      co_await backoff.async_wait(kTok);
      continue;
    }
    asio::co_spawn(*targets->contexts[index],
                   serve_sim_connection(std::move(socket), targets->workers[index]),
                   on_session_done);
  }
}

}  // namespace

void SimServer::run(bool handle_signals) {
  auto targets = std::make_shared<AcceptTargets>();
  targets->acceptor = &*acceptor_;
  for (auto& worker : workers_) {
    targets->contexts.push_back(&worker->io);
    targets->workers.push_back(&worker->state);
  }
  asio::io_context& main_io = workers_.front()->io;
  if (handle_signals) {
    signals_.emplace(main_io, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) stop();
    });
  }
  asio::co_spawn(main_io, accept_loop(targets), asio::detached);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([io = &workers_[i]->io] { io->run(); });
  }
  if (!stopping_.load()) main_io.run();
  for (auto& thread : threads) thread.join();
  shutdown_workers();
}

void SimServer::stop() {
  stopping_.store(true);
  for (auto& worker : workers_) worker->io.stop();
}

void SimServer::shutdown_workers() {
  // Order matters: the acceptor and signal set belong to worker 0's io_context; waiters are
  // forgotten before their timers' io_contexts go; then each io_context is destroyed, which
  // destroys the connection coroutines (closing their sockets and returning their slots).
  signals_.reset();
  acceptor_.reset();
  pool_.close();
  workers_.clear();
}

int run_sim(const SimConfig& config) {
  if (std::string problem = validate_sim_config(config); !problem.empty()) {
    fmt::print(stderr, "switchyard sim: {}\n", problem);
    return 2;
  }
  SimServer server(config);
  std::uint16_t port = 0;
  try {
    port = server.bind();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "switchyard sim: cannot listen on {}: {}\n", config.listen,
               e.code().message());
    return 1;
  }
  std::printf("{\"event\":\"listening\",\"port\":%u}\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  server.run(true);
  return 0;
}

}  // namespace sy::sim
