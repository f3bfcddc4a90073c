#include "config/address.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace sy::config {
namespace {

TEST(ParseHostPort, AcceptsNameAddressAndBracketedIpv6) {
  auto a = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);

  auto b = parse_host_port("[::1]:8080");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->first, "::1");
  EXPECT_EQ(b->second, 8080);

  auto c = parse_host_port("localhost:0");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, "localhost");
  EXPECT_EQ(c->second, 0);

  auto d = parse_host_port("0.0.0.0:65535");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->second, 65535);
}

TEST(ParseHostPort, RejectsMalformedAddresses) {
  struct Case {
    std::string_view input;
    std::string_view message;
  };
  const Case cases[] = {
      {"", "invalid host:port '': it is empty"},
      {"localhost", "invalid host:port 'localhost': missing ':port'"},
      {"localhost:", "invalid host:port 'localhost:': the port must be a number from 0 to 65535"},
      {"localhost:65536",
       "invalid host:port 'localhost:65536': the port must be a number from 0 "
       "to 65535"},
      {"localhost:-1",
       "invalid host:port 'localhost:-1': the port must be a number from 0 to "
       "65535"},
      {"localhost:80x",
       "invalid host:port 'localhost:80x': the port must be a number from 0 to "
       "65535"},
      {":8080", "invalid host:port ':8080': the host is empty"},
      {"::1:8080",
       "invalid host:port '::1:8080': an IPv6 address must be in brackets, e.g. "
       "[::1]:8080"},
      {"[::1:8080", "invalid host:port '[::1:8080': missing ']' after the IPv6 address"},
      {"[::1]8080", "invalid host:port '[::1]8080': expected ':port' after ']'"},
      {"[::1]", "invalid host:port '[::1]': missing ':port'"},
      {"[]:80", "invalid host:port '[]:80': the host is empty"},
      {"my host:80", "invalid host:port 'my host:80': the host contains invalid characters"},
  };
  for (const auto& c : cases) {
    const auto result = parse_host_port(c.input);
    ASSERT_FALSE(result.has_value()) << c.input;
    EXPECT_EQ(result.error().code, ErrorCode::InvalidParams);
    EXPECT_EQ(result.error().message, c.message);
  }
}

TEST(ParseEndpointUrl, SplitsHostPortAndBasePath) {
  auto a = parse_endpoint_url("http://127.0.0.1:9101");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->url, "http://127.0.0.1:9101");
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9101);
  EXPECT_EQ(a->base_path, "");

  auto b = parse_endpoint_url("HTTP://engine.local:8000/v1/");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "engine.local");
  EXPECT_EQ(b->base_path, "/v1");

  auto c = parse_endpoint_url("http://[fe80::1]/a/b");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->host, "fe80::1");
  EXPECT_EQ(c->port, 80);
  EXPECT_EQ(c->base_path, "/a/b");

  auto d = parse_endpoint_url("http://h:1/");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->base_path, "");
}

TEST(ParseEndpointUrl, RejectsHttpsAndMalformedUrls) {
  auto https = parse_endpoint_url("https://h:443");
  ASSERT_FALSE(https.has_value());
  EXPECT_EQ(https.error().message, "https endpoints are not supported yet (got 'https://h:443')");

  for (const std::string_view bad :
       {"h:80", "ftp://h", "http://", "http://h:0", "http://h:99999", "http://u@h:1",
        "http://h:1/?q=1", "http://h:1/#f", "http://h:1/a b", "http://::1:80"}) {
    const auto result = parse_endpoint_url(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().message.rfind("invalid endpoint URL '" + std::string(bad) + "': ", 0),
              0u)
        << result.error().message;
  }
}

TEST(ParseListenAddress, AcceptsIpAddressesAndLocalhostOnly) {
  EXPECT_EQ(parse_listen_address("0.0.0.0:8080")->first, "0.0.0.0");
  EXPECT_EQ(parse_listen_address("[::]:80")->first, "::");
  const auto local = parse_listen_address("localhost:9000");
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->first, "127.0.0.1");
  EXPECT_EQ(local->second, 9000);

  const auto name = parse_listen_address("gateway.internal:8080");
  ASSERT_FALSE(name.has_value());
  EXPECT_NE(name.error().message.find("'gateway.internal' is not an IP address"), std::string::npos)
      << name.error().message;
  EXPECT_FALSE(parse_listen_address("127.0.0.1").has_value());  // the port is still required
}

}  // namespace
}  // namespace sy::config
