// ControlPlane's live registry: which endpoints keep their id across a new configuration, which
// are added, how removed ones drain and are retired, and what reload() refuses. The test thread
// is the control thread; io.poll() runs what the ControlPlane posted to it.

#include "control/control_plane.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace sy::control {
namespace {

struct RecordingObserver final : RegistryObserver {
  std::vector<std::string> events;  // "added http://..." and so on, in order
  void endpoint_added(std::shared_ptr<const EndpointInfo> e) override {
    events.push_back("added " + e->url);
  }
  void endpoint_removed(const EndpointInfo& e) override { events.push_back("removed " + e.url); }
  void drain_expired(const EndpointInfo& e) override { events.push_back("expired " + e.url); }
  void endpoint_retired(const EndpointInfo& e) override { events.push_back("retired " + e.url); }
};

// A configuration with one pool "p" of model "m" on the given ports of 127.0.0.1.
std::shared_ptr<const config::Config> config_with(const std::vector<int>& ports,
                                                  std::uint32_t drain_ms = 30000) {
  std::string yaml = "limits: {endpoint_drain_ms: " + std::to_string(drain_ms) + "}\n";
  yaml += "pools:\n  - id: p\n    models: [m]\n    slots: 2\n    endpoints: [";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    yaml += (i ? ", " : "") + std::string("'http://127.0.0.1:") + std::to_string(ports[i]) + "'";
  }
  yaml += "]\n";
  auto parsed = config::parse_config(yaml, "test.yaml");
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return std::make_shared<const config::Config>();
  }
  return std::make_shared<const config::Config>(*parsed);
}

std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

struct Fixture {
  explicit Fixture(std::shared_ptr<const config::Config> config)
      : control(io, std::move(config), gauges) {
    control.start(&observer);
  }
  ~Fixture() { control.stop(); }
  // The ids the pool lists, in order.
  std::vector<std::uint32_t> pool_ids() const {
    return control.registry()->placement.pools.at(0).endpoint_indices;
  }
  std::size_t gauge_count() const {
    std::lock_guard lock(gauges.lists_mutex);
    return gauges.endpoints.size();
  }
  boost::asio::io_context io;
  telemetry::ControlGauges gauges;
  RecordingObserver observer;
  ControlPlane control;
};

TEST(ControlPlaneRegistry, AnnouncesTheStartupEndpoints) {
  Fixture f(config_with({9001, 9002}));
  EXPECT_EQ(f.observer.events,
            (std::vector<std::string>{"added " + url(9001), "added " + url(9002)}));
  EXPECT_EQ(f.pool_ids(), (std::vector<std::uint32_t>{0, 1}));
  const auto registry = f.control.registry();
  ASSERT_NE(registry->endpoint(1), nullptr);
  EXPECT_EQ(registry->endpoint(1)->url, url(9002));
  EXPECT_NE(registry->endpoint(0)->serial, registry->endpoint(1)->serial);
  EXPECT_EQ(registry->config->pools.size(), 1u);
  EXPECT_EQ(f.gauge_count(), 2u);
}

TEST(ControlPlaneRegistry, KeepsTheIdsOfEndpointsThatStayAndAddsNewOnes) {
  Fixture f(config_with({9001, 9002}));
  const std::uint64_t kept_serial = f.control.registry()->endpoint(1)->serial;
  f.observer.events.clear();
  const RegistryChange change = f.control.apply(config_with({9002, 9003}));
  EXPECT_EQ(change.added, 1u);
  EXPECT_EQ(change.removed, 1u);
  EXPECT_EQ(change.kept, 1u);
  // 9002 keeps id 1 and its serial; 9003 gets a new id (9001's is quarantined, not reused).
  EXPECT_EQ(f.pool_ids(), (std::vector<std::uint32_t>{1, 2}));
  const auto registry = f.control.registry();
  EXPECT_EQ(registry->endpoint(1)->serial, kept_serial);
  EXPECT_EQ(registry->endpoint(2)->url, url(9003));
  // Nothing ran on 9001, so it is retired at once: gone from the registry and the gauges.
  EXPECT_EQ(f.observer.events,
            (std::vector<std::string>{"removed " + url(9001), "added " + url(9003),
                                      "retired " + url(9001)}));
  EXPECT_EQ(registry->endpoint(0), nullptr);
  EXPECT_EQ(registry->placement.endpoints.at(0).serial, 0u);
  EXPECT_EQ(f.gauge_count(), 2u);
}

TEST(ControlPlaneRegistry, DrainsARemovedEndpointUntilItsRequestsEnd) {
  Fixture f(config_with({9001, 9002}));
  ASSERT_TRUE(f.control.board()->try_claim(0, 2));  // a request runs on 9001
  f.observer.events.clear();
  (void)f.control.apply(config_with({9002}));
  EXPECT_EQ(f.observer.events, (std::vector<std::string>{"removed " + url(9001)}));
  // It drains: still described (the running request holds it), listed by no pool.
  EXPECT_EQ(f.pool_ids(), (std::vector<std::uint32_t>{1}));
  ASSERT_NE(f.control.registry()->endpoint(0), nullptr);
  EXPECT_FALSE(f.control.registry()->placement.endpoints.at(0).ready);
  EXPECT_EQ(f.gauge_count(), 2u);
  // The request ends: the endpoint is retired.
  f.control.release(0, true);
  f.io.poll();
  EXPECT_EQ(f.observer.events,
            (std::vector<std::string>{"removed " + url(9001), "retired " + url(9001)}));
  EXPECT_EQ(f.control.registry()->endpoint(0), nullptr);
  EXPECT_EQ(f.gauge_count(), 1u);
}

TEST(ControlPlaneRegistry, EndsTheRequestsOfARemovedEndpointAtItsDrainDeadline) {
  Fixture f(config_with({9001, 9002}, 1));
  ASSERT_TRUE(f.control.board()->try_claim(0, 2));
  f.observer.events.clear();
  (void)f.control.apply(config_with({9002}, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.io.run_for(std::chrono::milliseconds(120));  // the 50 ms poll checks the deadline
  EXPECT_EQ(f.observer.events,
            (std::vector<std::string>{"removed " + url(9001), "expired " + url(9001)}));
  f.control.release(0, false);
  f.io.poll();
  EXPECT_EQ(f.observer.events.back(), "retired " + url(9001));
}

TEST(ControlPlaneRegistry, AnEndpointRemovedAndAddedBackIsANewEndpoint) {
  Fixture f(config_with({9001}));
  ASSERT_TRUE(f.control.board()->try_claim(0, 2));
  const std::uint64_t first = f.control.registry()->endpoint(0)->serial;
  (void)f.control.apply(config_with({9002}));
  (void)f.control.apply(config_with({9001}));
  // The old one still drains at id 0; the new one has its own id and serial (9002 came and went:
  // retired at once, its id quarantined).
  EXPECT_EQ(f.pool_ids(), (std::vector<std::uint32_t>{2}));
  EXPECT_NE(f.control.registry()->endpoint(2)->serial, first);
  EXPECT_EQ(f.control.registry()->endpoint(0)->serial, first);
}

TEST(ControlPlaneReload, RefusesAnInvalidFileAndRestartOnlyChangesAndAppliesAValidOne) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sy_control_plane_test_" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".yaml");
  Fixture f(config_with({9001}));
  config::ConfigSource source;
  source.path = path.string();
  const std::uint64_t version = f.control.registry()->placement.version;

  std::ofstream(path) << "pools:\n  - id: p\n    modls: [m]\n";
  const auto invalid = f.control.reload(source);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::InvalidConfig);
  EXPECT_EQ(invalid.error().message.rfind(path.string() + ":3:5: unknown key 'modls'", 0), 0u)
      << invalid.error().message;
  EXPECT_EQ(f.control.registry()->placement.version, version);  // nothing changed

  std::ofstream(path) << "threads: 7\npools: [{id: p, models: [m], endpoints: ['" << url(9001)
                      << "']}]\n";
  const auto restart = f.control.reload(source);
  ASSERT_FALSE(restart.has_value());
  EXPECT_EQ(restart.error().code, ErrorCode::RestartRequired);
  EXPECT_NE(restart.error().message.find("threads"), std::string::npos);
  EXPECT_EQ(f.control.registry()->placement.version, version);

  std::ofstream(path) << "retry: {max_attempts: 1}\npools: [{id: p, models: [m], endpoints: ['"
                      << url(9001) << "', '" << url(9002) << "']}]\n";
  const auto applied = f.control.reload(source);
  std::filesystem::remove(path);
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->added, 1u);
  EXPECT_EQ(applied->kept, 1u);
  EXPECT_EQ(f.control.config().retry.max_attempts, 1u);
  EXPECT_EQ(f.control.registry()->config->retry.max_attempts, 1u);
  EXPECT_EQ(f.pool_ids(), (std::vector<std::uint32_t>{0, 1}));
}

}  // namespace
}  // namespace sy::control
