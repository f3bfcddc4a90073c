// load_config_file and the embedded demo configuration.

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "config/config.hpp"

namespace sy::config {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

constexpr std::string_view kDemoYaml =
    R"yaml(# Switchyard demo: one pool of two simulated OpenAI-compatible engines.
listen: "127.0.0.1:8080"
queue:
  capacity: 1024
  policy: reject
pools:
  - id: demo
    models: [sim-model]
    engine: openai
    endpoints:
      - http://127.0.0.1:9101
      - http://127.0.0.1:9102
    slots: 8
    ctx_max: 8192
)yaml";

}  // namespace

Result<Config> load_config_file(const std::string& path) {
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return fail(ErrorCode::InvalidParams,
                "cannot open config file '" + path + "': " + errno_text(errno));
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, file.get());
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(file.get()) != 0) {
    const int err = errno;
    return fail(ErrorCode::InvalidParams,
                "cannot read config file '" + path + "': " + errno_text(err != 0 ? err : EIO));
  }
  return parse_config(text, path);
}

std::string_view demo_config_yaml() { return kDemoYaml; }

}  // namespace sy::config
