#include "bench/bench_runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <exception>

#include "bench/bench_report.hpp"
#include "bench/bench_run.hpp"
#include "bench/bench_worker.hpp"
#include "bench/http_url.hpp"
#include "bench/sim_stats_probe.hpp"
#include "common/clock.hpp"

namespace sy::bench {

namespace asio = boost::asio;

namespace {

constexpr std::int64_t kHardCapGraceNs = 10'000'000'000;  // in-flight requests get 10 s more
constexpr std::int64_t kStatsTimeoutMs = 10'000;

std::size_t read_buffer_for(int concurrency) {
  // Keep all read buffers together around 64 MiB: 16 KiB each up to 4096 connections, 4 KiB at
  // 16k. A buffer only has to hold one response head; bodies stream through it.
  const std::size_t per =
      (std::size_t{64} << 20) / static_cast<std::size_t>(std::max(concurrency, 1));
  return std::clamp<std::size_t>(per, 4096, 16384);
}

void log_exception(const std::exception_ptr& error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    fmt::print(stderr, "switchyard bench: worker failed: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "switchyard bench: worker failed\n");
  }
}

}  // namespace

std::string validate_bench_config(const BenchConfig& config) {
  auto url = parse_http_url(config.url);
  if (!url) return "--url: " + url.error().message;
  if (!url->path.empty() && url->path != "/") return "--url must not contain a path (use --path)";
  if (config.path.empty() || config.path.front() != '/') return "--path must start with /";
  if (config.concurrency < 1 || config.concurrency > 100000)
    return "--concurrency must be 1..100000";
  if (config.requests < 0) return "--requests must be >= 0";
  if (!(config.duration_s > 0)) return "--duration-s must be > 0";
  if (config.max_tokens < 1) return "--max-tokens must be >= 1";
  if (config.disconnect_after_tokens < 0) return "--disconnect-after-tokens must be >= 0";
  if (config.connect_timeout_ms < 1) return "--connect-timeout-ms must be >= 1";
  for (const std::string& header : config.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) return "--header must be NAME:VALUE";
    if (header.find_first_of("\r\n") != std::string::npos) return "--header must be one line";
  }
  if (!config.sim_stats_url.empty()) {
    if (auto stats = parse_http_url(config.sim_stats_url); !stats) {
      return "--sim-stats: " + stats.error().message;
    }
  }
  return {};
}

int run_bench(const BenchConfig& config) {
  if (std::string problem = validate_bench_config(config); !problem.empty()) {
    fmt::print(stderr, "switchyard bench: {}\n", problem);
    return 2;
  }
  asio::io_context io{1};
  BenchRun run(config, *parse_http_url(config.url));
  {
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    run.endpoints = resolver.resolve(run.url.host, run.url.port, ec);
    if (ec) {
      fmt::print(stderr, "switchyard bench: cannot resolve {}: {}\n", run.url.host, ec.message());
      return 2;
    }
  }
  run.run_id = fmt::format("{:x}", (static_cast<std::uint64_t>(monotonic_ns()) ^
                                    (static_cast<std::uint64_t>(::getpid()) << 32)) &
                                       0xFFFFFFFFFFULL);
  const auto workers_n = static_cast<std::size_t>(
      std::max<std::int64_t>(1, std::min<std::int64_t>(config.concurrency, config.requests)));
  run.read_buffer_bytes = read_buffer_for(static_cast<int>(workers_n));
  if (config.disconnect_after_tokens > 0) {
    run.close_ns.assign(static_cast<std::size_t>(config.requests), 0);
  }

  const std::int64_t start_ns = monotonic_ns();
  const auto duration_ns = static_cast<std::int64_t>(config.duration_s * 1e9);
  run.issue_deadline_ns = start_ns + duration_ns;
  std::int64_t end_ns = start_ns;

  std::vector<std::unique_ptr<BenchWorker>> workers;
  workers.reserve(workers_n);
  for (std::size_t i = 0; i < workers_n; ++i) {
    workers.push_back(std::make_unique<BenchWorker>(io.get_executor(), run));
  }

  // Past duration + 10 s, close every connection: the requests in flight end as `timeout`.
  asio::steady_timer hard_cap(io, std::chrono::nanoseconds(duration_ns + kHardCapGraceNs));
  hard_cap.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    run.hard_stopped = true;
    for (auto& worker : workers) worker->abort();
  });

  std::size_t live = workers.size();
  if (config.requests == 0) {
    hard_cap.cancel();
  }
  for (auto& worker : workers) {
    if (config.requests == 0) break;
    asio::co_spawn(io, worker->run(), [&](const std::exception_ptr& error) {
      log_exception(error);
      if (--live == 0) {
        end_ns = monotonic_ns();
        hard_cap.cancel();
      }
    });
  }
  io.run();
  const double duration_s = static_cast<double>(end_ns - start_ns) / 1e9;

  std::optional<DisconnectTiming> timing;
  std::string timing_problem;
  if (!config.sim_stats_url.empty() && config.disconnect_after_tokens > 0) {
    io.restart();
    asio::co_spawn(io, fetch_http_body(config.sim_stats_url, kStatsTimeoutMs),
                   [&](const std::exception_ptr& error, Result<std::string> body) {
                     if (error) {
                       timing_problem = "sim stats fetch failed";
                       return;
                     }
                     if (!body) {
                       timing_problem = "sim stats: " + body.error().message;
                       return;
                     }
                     auto matched = match_disconnects(std::move(*body), run.run_id, run.close_ns);
                     if (!matched) {
                       timing_problem = matched.error().message;
                       return;
                     }
                     timing.emplace(std::move(*matched));
                   });
    io.run();
  }

  std::string report;
  append_bench_report(report, run, duration_s, timing ? &*timing : nullptr, timing_problem);
  report += '\n';
  std::fwrite(report.data(), 1, report.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace sy::bench
