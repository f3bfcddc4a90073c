#pragma once
// The native API's discovery routes (api/openapi.yaml), read from the live registry: the
// capabilities of each pool's engines, and each pool's health and load.

#include <boost/asio/awaitable.hpp>

#include "http/request_context.hpp"

namespace sy::http {

// GET /v1/capabilities: {api_version, engines: [one entry per pool]}.
[[nodiscard]] boost::asio::awaitable<bool> serve_capabilities(RequestContext& rc);
// GET /v1/pools: {pools: [PoolHealth with id, sorted by id]}.
[[nodiscard]] boost::asio::awaitable<bool> serve_pools(RequestContext& rc);
// GET /v1/pools/{id}/health: one PoolHealth; 404 NOT_FOUND for an unknown pool.
[[nodiscard]] boost::asio::awaitable<bool> serve_pool_health(RequestContext& rc);

}  // namespace sy::http
