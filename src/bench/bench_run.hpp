#pragma once
// BenchRun: the state one `switchyard bench` run shares between its workers — settings, the
// prebuilt request, the request counter, and every result. Everything runs on the run's single
// io_context thread, so nothing here is synchronised.

#include <simdjson.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_config.hpp"
#include "bench/http_url.hpp"
#include "bench/latency_samples.hpp"

namespace sy::bench {

// What one request came to.
enum class RequestEnd : std::uint8_t { Ok, Error, ClientDisconnect };

struct BenchRun {
  BenchRun(BenchConfig config_in, HttpUrl url_in);
  BenchRun(const BenchRun&) = delete;
  BenchRun& operator=(const BenchRun&) = delete;

  // The request bytes for request `index`: head (with X-Correlation-Id: bench-<run>-<index>) and
  // body, written into `out` (cleared first; its capacity is reused).
  void build_request(std::string& out, std::int64_t index) const;

  void record_error(std::string_view kind);
  void record_status(int status) { ++status_counts[status]; }

  // ---- settings (read-only once the run starts) ----
  BenchConfig config;
  HttpUrl url;
  boost::asio::ip::tcp::resolver::results_type endpoints;
  std::string run_id;  // the <run> in correlation ids
  bool llama_native = false;
  std::size_t read_buffer_bytes = 16 * 1024;
  std::int64_t issue_deadline_ns = 0;  // no new requests after this (sy::monotonic_ns)

  // ---- progress ----
  std::int64_t next_request = 0;
  bool hard_stopped = false;  // in-flight requests were cancelled at duration + 10 s

  // ---- results ----
  std::uint64_t requests_done = 0;
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::uint64_t client_disconnects = 0;
  std::uint64_t tokens = 0;
  std::map<std::string, std::uint64_t, std::less<>> error_kinds;
  std::map<int, std::uint64_t> status_counts;
  LatencySamples ttft;
  LatencySamples itl;
  // sy::monotonic_ns() right after the deliberate close of request i (0 = not closed); only
  // allocated with --disconnect-after-tokens.
  std::vector<std::int64_t> close_ns;

  simdjson::ondemand::parser json;  // for non-streaming response bodies

 private:
  std::string request_head_;  // up to (not including) the X-Correlation-Id header
  std::string request_tail_;  // Content-Length, blank line and body
};

}  // namespace sy::bench
