#pragma once
// The route table of `switchyard serve`: for each route, the methods it answers and its
// handler. The connection loop (connection.cpp) finds the route of a path (route_of), answers 405
// with Allow for another method and 404 for no route, and otherwise awaits the handler.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string_view>

#include "http/request_context.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::http {

// A route handler answers the request; true when the connection may serve another one.
using RouteHandler = boost::asio::awaitable<bool> (*)(RequestContext& rc);

enum class Methods : std::uint8_t {
  Get,   // GET and HEAD
  Post,  // POST
};

struct RouteEntry {
  telemetry::Route route;
  Methods methods;
  RouteHandler handler;
};

// The entry of `route`; nullptr for Route::Other (no such route).
[[nodiscard]] const RouteEntry* find_route(telemetry::Route route) noexcept;
// Whether `method` (as sent) is one the entry answers.
[[nodiscard]] bool allows(const RouteEntry& entry, std::string_view method) noexcept;
// The Allow header's value for the entry.
[[nodiscard]] std::string_view allow_header(const RouteEntry& entry) noexcept;

}  // namespace sy::http
