#include "harness/hardware/cpu_scaling.hpp"

#include <fmt/format.h>

#include <fstream>

namespace tb {

std::optional<bool> read_cpu_scaling(const std::string& sys_cpu_dir, int cpus) {
  std::optional<bool> enabled;
  for (int cpu = 0; cpu < cpus; ++cpu) {
    std::ifstream in(fmt::format("{}/cpu{}/cpufreq/scaling_governor", sys_cpu_dir, cpu));
    std::string governor;
    if (!(in >> governor)) continue;
    if (governor != "performance") return true;
    enabled = false;
  }
  return enabled;
}

}  // namespace tb
