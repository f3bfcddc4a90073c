// parse_config: YAML text → Config. Each section has one function that walks its map once, so an
// unknown or duplicate key is found in the same pass that reads the known ones.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_fields.hpp"

namespace sy::config {
namespace {

using detail::fail_at;
using detail::Field;
using detail::for_each_entry;
using detail::join_path;
using detail::read_enum;
using detail::read_string;
using detail::read_uint;
using detail::Source;
using detail::Status;
using detail::unknown_key;

constexpr std::uint32_t kMaxThreads = 256;
constexpr std::size_t kMaxPoolIdLength = 64;

constexpr std::array<std::pair<std::string_view, OverflowPolicy>, 3> kPolicies = {{
    {"reject", OverflowPolicy::Reject},
    {"drop-lru", OverflowPolicy::DropLru},
    {"shed-low-priority", OverflowPolicy::ShedLowPriority},
}};

constexpr std::array<std::pair<std::string_view, EngineProtocol>, 2> kEngines = {{
    {"openai", EngineProtocol::OpenAI},
    {"llamacpp", EngineProtocol::LlamaCpp},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kLogLevels = {{
    {"trace", "trace"},
    {"debug", "debug"},
    {"info", "info"},
    {"warn", "warn"},
    {"error", "error"},
    {"off", "off"},
}};

Status parse_limits(const Source& src, const Field& node, Limits& out) {
  constexpr std::string_view kWhere = "limits";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "max_header_bytes")
                            return read_uint(src, v, path, out.max_header_bytes, 1);
                          if (key == "max_body_bytes")
                            return read_uint(src, v, path, out.max_body_bytes, 1);
                          if (key == "stall_timeout_ms")
                            return read_uint(src, v, path, out.stall_timeout_ms, 1);
                          if (key == "connect_timeout_ms")
                            return read_uint(src, v, path, out.connect_timeout_ms, 1);
                          if (key == "first_byte_timeout_ms") {
                            return read_uint(src, v, path, out.first_byte_timeout_ms, 1);
                          }
                          if (key == "max_connections")
                            return read_uint(src, v, path, out.max_connections, 1);
                          if (key == "idle_timeout_ms")
                            return read_uint(src, v, path, out.idle_timeout_ms, 1);
                          if (key == "endpoint_drain_ms")
                            return read_uint(src, v, path, out.endpoint_drain_ms, 1);
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_queue(const Source& src, const Field& node, Queue& out) {
  constexpr std::string_view kWhere = "queue";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "capacity") return read_uint(src, v, path, out.capacity);
                          if (key == "policy")
                            return read_enum(src, v, path, kPolicies, out.policy);
                          if (key == "position_interval_ms")
                            return read_uint(src, v, path, out.position_interval_ms, 1);
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_health(const Source& src, const Field& node, Health& out) {
  constexpr std::string_view kWhere = "health";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "interval_ms")
                            return read_uint(src, v, path, out.interval_ms, 1);
                          if (key == "timeout_ms")
                            return read_uint(src, v, path, out.timeout_ms, 1);
                          if (key == "healthy_after")
                            return read_uint(src, v, path, out.healthy_after, 1);
                          if (key == "unhealthy_after")
                            return read_uint(src, v, path, out.unhealthy_after, 1);
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_breaker(const Source& src, const Field& node, Breaker& out) {
  constexpr std::string_view kWhere = "breaker";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "failure_threshold")
                            return read_uint(src, v, path, out.failure_threshold, 1);
                          if (key == "open_ms") return read_uint(src, v, path, out.open_ms, 1);
                          if (key == "max_ejection_percent") {
                            return read_uint(src, v, path, out.max_ejection_percent, 0, 100);
                          }
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_retry(const Source& src, const Field& node, Retry& out) {
  constexpr std::string_view kWhere = "retry";
  YAML::Mark order_mark = node.mark;  // where to point if base > max
  auto st = for_each_entry(
      src, node, kWhere,
      [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
        const std::string path = join_path(kWhere, key);
        if (key == "max_attempts") return read_uint(src, v, path, out.max_attempts, 1);
        if (key == "backoff_base_ms" || key == "backoff_max_ms") {
          order_mark = v.mark;
          return read_uint(src, v, path,
                           key == "backoff_base_ms" ? out.backoff_base_ms : out.backoff_max_ms);
        }
        return unknown_key(src, k, kWhere);
      });
  if (!st) return st;
  if (out.backoff_base_ms > out.backoff_max_ms) {
    return fail_at(src, order_mark, "retry.backoff_max_ms",
                   "retry.backoff_max_ms (" + std::to_string(out.backoff_max_ms) +
                       ") must be at least retry.backoff_base_ms (" +
                       std::to_string(out.backoff_base_ms) + ")");
  }
  return {};
}

Status parse_sessions(const Source& src, const Field& node, Sessions& out) {
  constexpr std::string_view kWhere = "sessions";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "ttl_ms") return read_uint(src, v, path, out.ttl_ms);
                          if (key == "max_entries") return read_uint(src, v, path, out.max_entries);
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_tasks(const Source& src, const Field& node, Tasks& out) {
  constexpr std::string_view kWhere = "tasks";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "max_frames")
                            return read_uint(src, v, path, out.max_frames, 1);
                          if (key == "max_frame_bytes") {
                            return read_uint(src, v, path, out.max_frame_bytes, 1024);
                          }
                          if (key == "retention_ms")
                            return read_uint(src, v, path, out.retention_ms);
                          if (key == "max_tasks") return read_uint(src, v, path, out.max_tasks, 1);
                          return unknown_key(src, k, kWhere);
                        });
}

Status parse_admin(const Source& src, const Field& node, Admin& out) {
  constexpr std::string_view kWhere = "admin";
  return for_each_entry(src, node, kWhere,
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          const std::string path = join_path(kWhere, key);
                          if (key == "token") {
                            if (auto st = read_string(src, v, path, out.token); !st) return st;
                            if (out.token.size() < kMinAdminTokenBytes) {
                              return fail_at(src, v.mark, path,
                                             path + " must be at least " +
                                                 std::to_string(kMinAdminTokenBytes) +
                                                 " characters long");
                            }
                            return {};
                          }
                          return unknown_key(src, k, kWhere);
                        });
}

// Reads a non-empty list; calls item(index, node) for each element.
template <typename Fn>
Status for_each_item(const Source& src, const Field& field, const std::string& path,
                     std::string_view what, Fn&& item) {
  const YAML::Node& list = field.value;
  if (!list.IsSequence()) {
    return fail_at(
        src, field.mark, path,
        path + " must be a list of " + std::string(what) + " (got " + detail::describe(list) + ")");
  }
  if (list.size() == 0) return fail_at(src, field.mark, path, path + " must not be empty");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node element = list[i];
    if (auto st = item(i, Field{element, element.Mark()}); !st) return st;
  }
  return {};
}

bool valid_pool_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxPoolIdLength &&
         std::all_of(id.begin(), id.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
         });
}

Status parse_models(const Source& src, const Field& list, const std::string& path,
                    std::vector<std::string>& out) {
  return for_each_item(
      src, list, path, "model names", [&](std::size_t i, const Field& v) -> Status {
        const std::string item_path = path + '[' + std::to_string(i) + ']';
        std::string model;
        if (auto st = read_string(src, v, item_path, model); !st) return st;
        if (std::find(out.begin(), out.end(), model) != out.end()) {
          return fail_at(src, v.mark, item_path, "duplicate model '" + model + "' in " + path);
        }
        out.push_back(std::move(model));
        return {};
      });
}

Status parse_endpoints(const Source& src, const Field& list, const std::string& path,
                       std::vector<Endpoint>& out) {
  return for_each_item(
      src, list, path, "http:// URLs", [&](std::size_t i, const Field& v) -> Status {
        const std::string item_path = path + '[' + std::to_string(i) + ']';
        std::string url;
        if (auto st = read_string(src, v, item_path, url); !st) return st;
        auto endpoint = parse_endpoint_url(url);
        if (!endpoint) {
          return fail_at(src, v.mark, item_path, item_path + ": " + endpoint.error().message);
        }
        for (const auto& e : out) {
          if (e.host == endpoint->host && e.port == endpoint->port &&
              e.base_path == endpoint->base_path) {
            return fail_at(src, v.mark, item_path, "duplicate endpoint '" + url + "' in " + path);
          }
        }
        out.push_back(std::move(*endpoint));
        return {};
      });
}

Status parse_pool(const Source& src, const Field& field, const std::string& where, Pool& out) {
  const YAML::Node& node = field.value;
  if (!node.IsMap()) {
    return fail_at(src, field.mark, where,
                   where + " must be a map of keys (got " + detail::describe(node) + ")");
  }
  bool has_id = false;
  bool has_models = false;
  bool has_endpoints = false;
  auto st = for_each_entry(
      src, field, where,
      [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
        const std::string path = join_path(where, key);
        if (key == "id") {
          has_id = true;
          if (auto r = read_string(src, v, path, out.id); !r) return r;
          if (!valid_pool_id(out.id)) {
            return fail_at(src, v.mark, path,
                           path + " must be 1-64 letters, digits, '.', '_' or '-' (got " +
                               detail::describe(v.value) + ")");
          }
          return {};
        }
        if (key == "models") {
          has_models = true;
          return parse_models(src, v, path, out.models);
        }
        if (key == "engine") return read_enum(src, v, path, kEngines, out.engine);
        if (key == "endpoints") {
          has_endpoints = true;
          return parse_endpoints(src, v, path, out.endpoints);
        }
        if (key == "slots") return read_uint(src, v, path, out.slots, 1);
        if (key == "ctx_max") return read_uint(src, v, path, out.ctx_max, 1);
        if (key == "health_path") {
          if (auto r = read_string(src, v, path, out.health_path); !r) return r;
          if (out.health_path.front() != '/') {
            return fail_at(src, v.mark, path,
                           path + " must start with '/' (got " + detail::describe(v.value) + ")");
          }
          return {};
        }
        return unknown_key(src, k, where);
      });
  if (!st) return st;
  auto missing = [&](std::string_view key) {
    return fail_at(src, node.Mark(), join_path(where, key),
                   where + " is missing required key '" + std::string(key) + "'");
  };
  if (!has_id) return missing("id");
  if (!has_models) return missing("models");
  if (!has_endpoints) return missing("endpoints");
  return {};
}

Status parse_pools(const Source& src, const Field& field, std::vector<Pool>& out) {
  const YAML::Node& node = field.value;
  if (node.IsNull()) return {};  // `pools:` with nothing: no pools
  if (!node.IsSequence()) {
    return fail_at(src, field.mark, "pools",
                   "pools must be a list of pools (got " + detail::describe(node) + ")");
  }
  std::vector<int> id_lines;  // 1-based line of each pool's id, for duplicate messages
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    const std::string where = "pools[" + std::to_string(i) + ']';
    Pool pool;
    if (auto st = parse_pool(src, Field{item, item.Mark()}, where, pool); !st) return st;
    const YAML::Node id_node = item["id"];
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (out[j].id == pool.id) {
        return fail_at(src, id_node.Mark(), where + ".id",
                       "duplicate pool id '" + pool.id + "' (first defined at line " +
                           std::to_string(id_lines[j]) + ")");
      }
    }
    id_lines.push_back(id_node.Mark().line + 1);
    out.push_back(std::move(pool));
  }
  return {};
}

Status parse_root(const Source& src, const YAML::Node& root, Config& cfg) {
  return for_each_entry(src, Field{root, root.Mark()}, "",
                        [&](const std::string& key, const YAML::Node& k, const Field& v) -> Status {
                          if (key == "listen") {
                            std::string text;
                            if (auto st = read_string(src, v, key, text); !st) return st;
                            auto hp = parse_listen_address(text);
                            if (!hp)
                              return fail_at(src, v.mark, key, "listen: " + hp.error().message);
                            cfg.listen_host = std::move(hp->first);
                            cfg.listen_port = hp->second;
                            return {};
                          }
                          if (key == "threads")
                            return read_uint(src, v, key, cfg.threads, 0, kMaxThreads);
                          if (key == "log_level") {
                            std::string_view level;
                            if (auto st = read_enum(src, v, key, kLogLevels, level); !st) return st;
                            cfg.log_level = level;
                            return {};
                          }
                          if (key == "limits") return parse_limits(src, v, cfg.limits);
                          if (key == "queue") return parse_queue(src, v, cfg.queue);
                          if (key == "health") return parse_health(src, v, cfg.health);
                          if (key == "breaker") return parse_breaker(src, v, cfg.breaker);
                          if (key == "retry") return parse_retry(src, v, cfg.retry);
                          if (key == "sessions") return parse_sessions(src, v, cfg.sessions);
                          if (key == "tasks") return parse_tasks(src, v, cfg.tasks);
                          if (key == "pools") return parse_pools(src, v, cfg.pools);
                          if (key == "admin") return parse_admin(src, v, cfg.admin);
                          return unknown_key(src, k, "");
                        });
}

// Counts the documents of a YAML stream, stopping at `limit` + 1. Why not YAML::LoadAll alone:
// yaml-cpp 0.7 (Debian 12) never returns from it on some malformed streams, such as a lone ",":
// its parser reports an empty document without consuming the token, forever, keeping each one
// until memory runs out (found by tests/fuzz/config_fuzz.cpp; jbeder/yaml-cpp#1040). The event
// parser with a bound ends instead. Throws YAML::Exception on a syntax error, as LoadAll does.
class DocumentCounter final : public YAML::EventHandler {
 public:
  std::size_t documents = 0;
  YAML::Mark second_start = YAML::Mark::null_mark();
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

DocumentCounter count_documents(const std::string& text, std::size_t limit) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (counter.documents <= limit && parser.HandleNextDocument(counter)) {
  }
  return counter;
}

}  // namespace

Result<Config> parse_config(std::string_view yaml_text, std::string source_name) {
  Config cfg;
  cfg.source = std::move(source_name);
  const Source src{cfg.source};
  try {
    const std::string text(yaml_text);
    if (const DocumentCounter counted = count_documents(text, 1); counted.documents > 1) {
      return fail_at(src, counted.second_start, "",
                     "the configuration must be a single YAML document (a `---`, or a stray `,` "
                     "outside a flow collection, starts another)");
    }
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (!documents.empty()) {
      if (auto st = parse_root(src, documents.front(), cfg); !st) {
        return tl::unexpected(std::move(st.error()));
      }
    }
  } catch (const YAML::Exception& e) {
    return fail_at(src, e.mark, "", "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return fail_at(src, YAML::Mark::null_mark(), "",
                   std::string("cannot read the configuration: ") + e.what());
  }
  return cfg;
}

std::string_view to_string(OverflowPolicy policy) noexcept {
  for (const auto& [name, value] : kPolicies) {
    if (value == policy) return name;
  }
  return "unknown";
}

std::string_view to_string(EngineProtocol engine) noexcept {
  for (const auto& [name, value] : kEngines) {
    if (value == engine) return name;
  }
  return "unknown";
}

}  // namespace sy::config
