#include "harness/config/config_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "harness/common/errors.hpp"
#include "harness/common/near_miss.hpp"

#ifndef TB_DEFAULT_CONFIG_DIR
#define TB_DEFAULT_CONFIG_DIR ""
#endif

namespace fs = std::filesystem;

namespace tb::config {

std::string folder_name(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::Model: return "models";
    case ConfigKind::Sku: return "skus";
    case ConfigKind::Site: return "sites";
  }
  return "?";
}

static fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

fs::path config_root() {
  if (const char* env = std::getenv("TRAINBENCH_CONFIG_DIR"); env && *env) return env;
  std::vector<fs::path> candidates;
  if (fs::path compiled = TB_DEFAULT_CONFIG_DIR; !compiled.empty()) candidates.push_back(compiled);
  if (auto exe = executable_dir(); !exe.empty()) {
    candidates.push_back(exe / "configs");
    candidates.push_back(exe.parent_path() / "configs");
    candidates.push_back(exe.parent_path() / "share" / "trainbench" / "configs");
  }
  for (const auto& c : candidates)
    if (fs::is_directory(c / "models")) return c;
  throw RuntimeError(
      "cannot find the configs/ folder; set TRAINBENCH_CONFIG_DIR to the trainbench configs path");
}

std::vector<std::string> available_names(ConfigKind kind) {
  std::vector<std::string> names;
  fs::path dir = config_root() / folder_name(kind);
  if (!fs::is_directory(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool looks_like_config_path(const std::string& name_or_path) {
  return name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".toml");
}

fs::path resolve(ConfigKind kind, const std::string& name_or_path) {
  if (name_or_path.empty())
    throw UsageError(fmt::format("empty {} name", folder_name(kind)));
  if (looks_like_config_path(name_or_path)) {
    if (fs::is_regular_file(name_or_path)) return name_or_path;
    std::error_code ec;
    const auto status = fs::status(name_or_path, ec);
    const char* what = !fs::exists(status)          ? "no such"
                       : fs::is_directory(status)   ? "a directory, not a"
                                                    : "not a regular file, not a";
    throw UsageError(fmt::format("{}: {} {} config file (a .toml file)", name_or_path, what,
                                 folder_name(kind).substr(0, folder_name(kind).size() - 1)));
  }
  fs::path by_name = config_root() / folder_name(kind) / (name_or_path + ".toml");
  if (fs::is_regular_file(by_name)) return by_name;
  const auto names = available_names(kind);
  throw UsageError(fmt::format("unknown {} '{}'{}; valid names: {} (or a path to a .toml file)",
                               folder_name(kind).substr(0, folder_name(kind).size() - 1), name_or_path,
                               did_you_mean(name_or_path, names), fmt::join(names, ", ")));
}

}  // namespace tb::config
