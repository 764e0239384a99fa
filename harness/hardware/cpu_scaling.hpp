#pragma once
// Whether the CPUs' frequency scaling could move the clock under a measurement, recorded with
// every run (machine.cpu_scaling_enabled) and exported as Google Benchmark's context says it.
#include <optional>
#include <string>

namespace tb {

// Google Benchmark's rule (sysinfo.cc, CpuScaling): enabled where any of CPUs 0..cpus-1 has a
// cpufreq governor other than "performance". Unknown (nullopt) where none is readable (most VMs
// and containers), where Google Benchmark 1.7 would say "disabled": that is not known.
// `sys_cpu_dir` is /sys/devices/system/cpu outside tests.
std::optional<bool> read_cpu_scaling(const std::string& sys_cpu_dir, int cpus);

}  // namespace tb
