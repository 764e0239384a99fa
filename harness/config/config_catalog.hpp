#pragma once
// Finds configs by name (configs/<kind>/<name>.toml) or by a user's own file path.
#include <filesystem>
#include <string>
#include <vector>

namespace tb::config {

enum class ConfigKind { Model, Sku, Site };

// "models", "skus", "sites": the folder under configs/ and the word used in messages.
std::string folder_name(ConfigKind kind);

// The configs/ folder: $TRAINBENCH_CONFIG_DIR, else the source tree's configs/ (compiled in),
// else configs/ beside or above the executable.
std::filesystem::path config_root();

// Every name available for a kind, sorted.
std::vector<std::string> available_names(ConfigKind kind);

// A path to an existing file is taken as it is; otherwise a name is looked up. An unknown
// name is a UsageError that lists the valid ones.
std::filesystem::path resolve(ConfigKind kind, const std::string& name_or_path);
// A path (a '/' or a .toml ending), not a config name.
bool looks_like_config_path(const std::string& name_or_path);

}  // namespace tb::config
