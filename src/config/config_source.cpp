#include "config/config_source.hpp"

namespace sy::config {

Result<Config> load_config(const ConfigSource& source) {
  auto config = source.is_file() ? load_config_file(source.path)
                                 : parse_config(demo_config_yaml(), std::string(kDemoConfigSource));
  if (!config) return config;
  const CommandLineOverrides& o = source.overrides;
  if (o.listen) {
    auto hp = parse_listen_address(*o.listen);
    if (!hp) return fail(ErrorCode::InvalidParams, "--listen: " + hp.error().message, "listen");
    config->listen_host = hp->first;
    config->listen_port = hp->second;
  }
  if (o.threads) config->threads = *o.threads;
  if (o.log_level) config->log_level = *o.log_level;
  return config;
}

std::vector<std::string> restart_only_changes(const Config& running, const Config& next) {
  // The listener and the threads are set up once. The admission queues, breakers and session
  // table are built with their sizes and thresholds at start; changing them under queued and
  // running requests would need rules of its own, so they wait for a restart.
  std::vector<std::string> changed;
  auto note = [&changed](bool differs, const char* key) {
    if (differs) changed.emplace_back(key);
  };
  note(running.listen_host != next.listen_host || running.listen_port != next.listen_port,
       "listen");
  note(running.threads != next.threads, "threads");
  note(running.queue.capacity != next.queue.capacity, "queue.capacity");
  note(running.queue.policy != next.queue.policy, "queue.policy");
  note(running.breaker.failure_threshold != next.breaker.failure_threshold,
       "breaker.failure_threshold");
  note(running.breaker.open_ms != next.breaker.open_ms, "breaker.open_ms");
  note(running.breaker.max_ejection_percent != next.breaker.max_ejection_percent,
       "breaker.max_ejection_percent");
  note(running.sessions.ttl_ms != next.sessions.ttl_ms, "sessions.ttl_ms");
  note(running.sessions.max_entries != next.sessions.max_entries, "sessions.max_entries");
  note(running.tasks.max_frames != next.tasks.max_frames, "tasks.max_frames");
  note(running.tasks.max_frame_bytes != next.tasks.max_frame_bytes, "tasks.max_frame_bytes");
  note(running.tasks.retention_ms != next.tasks.retention_ms, "tasks.retention_ms");
  note(running.tasks.max_tasks != next.tasks.max_tasks, "tasks.max_tasks");
  note(running.health.healthy_after != next.health.healthy_after, "health.healthy_after");
  note(running.health.unhealthy_after != next.health.unhealthy_after, "health.unhealthy_after");
  return changed;
}

}  // namespace sy::config
