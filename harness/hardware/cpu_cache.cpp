#include "harness/hardware/cpu_cache.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace tb {

int64_t parse_cache_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return 0;
  const int64_t value = std::stoll(text.substr(0, digits));
  std::string suffix = text.substr(digits);
  while (!suffix.empty() && std::isspace(static_cast<unsigned char>(suffix.back()))) suffix.pop_back();
  if (suffix.empty()) return value;
  if (suffix == "K") return value << 10;
  if (suffix == "M") return value << 20;
  if (suffix == "G") return value << 30;
  return 0;
}

int64_t local_last_level_cache_bytes() {
  namespace fs = std::filesystem;
  const auto read_line = [](const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    return line;
  };
  int best_level = 0;
  std::map<std::string, int64_t> instances;  // each last-level cache, by the CPUs that share it
  std::error_code ec;
  for (const auto& cpu : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    const std::string name = cpu.path().filename().string();
    const bool numbered_cpu = name.size() > 3 && name.rfind("cpu", 0) == 0 &&
                              std::isdigit(static_cast<unsigned char>(name[3]));
    if (!numbered_cpu) continue;
    std::error_code cache_ec;
    for (const auto& index : fs::directory_iterator(cpu.path() / "cache", cache_ec)) {
      if (read_line(index.path() / "type") == "Instruction") continue;
      const int level = std::atoi(read_line(index.path() / "level").c_str());
      const int64_t bytes = parse_cache_size(read_line(index.path() / "size"));
      if (level <= 0 || bytes <= 0 || level < best_level) continue;
      if (level > best_level) {
        best_level = level;
        instances.clear();
      }
      instances[read_line(index.path() / "shared_cpu_list")] = bytes;
    }
  }
  int64_t total = 0;
  for (const auto& [cpus, bytes] : instances) total += bytes;
  return total;
}

}  // namespace tb
