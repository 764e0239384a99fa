// `trainbench devices`: what this machine has to measure with — every GPU (and the SKU config
// its peaks come from) and the CPU backend. Without a GPU it says so, and why, in one line.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_registry.hpp"
#include "cli/host_notes.hpp"
#include "harness/hardware/cpu_peak.hpp"
#include "harness/hardware/sku_match.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/cpu_backend.hpp"

namespace tb::cli {
namespace {

std::string or_unknown(const std::string& s) { return s.empty() ? "unknown" : s; }

// A stderr note as a JSON value or an indented line: without its "trainbench: note: " and newline.
std::string trimmed_note(std::string note) {
  const std::string prefix = "trainbench: note: ";
  if (note.rfind(prefix, 0) == 0) note.erase(0, prefix.size());
  while (!note.empty() && note.back() == '\n') note.pop_back();
  return note;
}

// "PCIe x16 gen 5 (max x16 gen 5), power limit 700 W (default 700 W), uncorrectable ECC errors 0"
std::string config_line(const kernels::DeviceConfig& c) {
  std::vector<std::string> parts;
  if (c.pcie_link_width && c.pcie_link_gen)
    parts.push_back(fmt::format("PCIe x{} gen {}{}", *c.pcie_link_width, *c.pcie_link_gen,
                                c.pcie_link_width_max && c.pcie_link_gen_max
                                    ? fmt::format(" (max x{} gen {})", *c.pcie_link_width_max, *c.pcie_link_gen_max)
                                    : ""));
  if (c.power_limit_w)
    parts.push_back(fmt::format(
        "power limit {:.0f} W{}", *c.power_limit_w,
        c.default_power_limit_w ? fmt::format(" (default {:.0f} W)", *c.default_power_limit_w) : ""));
  if (c.ecc_uncorrected_volatile)
    parts.push_back(fmt::format("uncorrectable ECC errors {} (lifetime {})", *c.ecc_uncorrected_volatile,
                                c.ecc_uncorrected_aggregate.value_or(0)));
  if (c.row_remap_pending.value_or(false)) parts.push_back("row remapping PENDING");
  if (c.row_remap_failure.value_or(false)) parts.push_back("row remapping FAILED");
  return fmt::format("{}", fmt::join(parts, ", "));
}

nlohmann::json config_json(const kernels::DeviceConfig& c) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"pcie_link_width", opt(c.pcie_link_width)},
          {"pcie_link_width_max", opt(c.pcie_link_width_max)},
          {"pcie_link_gen", opt(c.pcie_link_gen)},
          {"pcie_link_gen_max", opt(c.pcie_link_gen_max)},
          {"power_limit_w", opt(c.power_limit_w)},
          {"default_power_limit_w", opt(c.default_power_limit_w)},
          {"ecc_uncorrected_volatile", opt(c.ecc_uncorrected_volatile)},
          {"ecc_uncorrected_aggregate", opt(c.ecc_uncorrected_aggregate)},
          {"row_remap_pending", opt(c.row_remap_pending)},
          {"row_remap_failure", opt(c.row_remap_failure)}};
}

// The keys docs/devices.md lists, for a GPU and for the CPU alike, except the cache: a GPU's L2 is
// `l2_cache_bytes`, the CPU's last-level cache (an L3 on most) `last_level_cache_bytes`.
nlohmann::json device_json(const kernels::DeviceInfo& d) {
  const bool cpu = d.backend == "cpu";
  nlohmann::json j = {
      {"backend", d.backend},
      {"index", d.index},
      {"pci_bus_id", d.pci_bus_id},
      {"name", d.name},
      {"sm_count", d.sm_count},
      // As results files record it (machine.compute_capability): "" where there is none.
      {"compute_capability", d.compute_capability_major > 0
                                 ? fmt::format("{}.{}", d.compute_capability_major, d.compute_capability_minor)
                                 : ""},
      {"memory_gb", d.memory_gb},
      {"memory_bandwidth_tb_s", d.memory_bandwidth_tb_s},
      {cpu ? "last_level_cache_bytes" : "l2_cache_bytes", d.l2_cache_bytes},
      {"sm_clock_mhz", d.sm_clock_mhz},
      {"memory_clock_mhz", d.memory_clock_mhz},
      {"driver_version", d.driver_version},
      {"cuda_runtime_version", d.cuda_runtime_version},
      {"cublas_version", d.cublas_version},
      {"nccl_version", d.nccl_version},
      {"blas_version", d.blas_version},
      {"matched_sku", d.matched_sku}};
  if (!cpu) j["sku_note"] = trimmed_note(unmatched_sku_note(d.name, d.memory_gb));
  return j;
}

// What the CPU backend's % of peak is against (the results files' machine.sku "cpu-estimated"),
// and whether OpenBLAS can reach it: in the JSON as in the text.
nlohmann::json cpu_json(const kernels::DeviceInfo& cpu, const CpuPeakEstimate& peak, const std::string& blas_note) {
  nlohmann::json j = device_json(cpu);
  if (peak.fp32_peak_tflops > 0) {
    j["matched_sku"] = cpu_pseudo_sku(peak, std::nullopt).name;
    j["estimated_peak"] = {{"fp32_tflops", peak.fp32_peak_tflops},
                           {"cores", peak.cores},
                           {"clock_mhz", peak.max_mhz},
                           {"clock_source", peak.clock_source},
                           {"fp32_flops_per_cycle", peak.fp32_flops_per_cycle}};
    j["blas_note"] = blas_note;
  } else {
    j["estimated_peak"] = nullptr;
    j["blas_note"] = "";
  }
  return j;
}

void run_devices(bool json) {
  std::string why;
  const bool have_gpu = kernels::cuda_device_available(&why);
  const auto gpus = have_gpu ? kernels::cuda_devices() : std::vector<kernels::DeviceInfo>{};
  const kernels::DeviceInfo cpu = kernels::cpu_device_info();
  const CpuPeakEstimate peak = estimate_local_cpu_peak();
  const std::string blas_note = peak.fp32_peak_tflops > 0 ? blas_half_peak_note() : "";
  if (json) {
    nlohmann::json j = {{"gpus", nlohmann::json::array()}, {"cpu", cpu_json(cpu, peak, blas_note)}};
    for (const auto& g : gpus) {
      nlohmann::json gj = device_json(g);
      if (const auto c = kernels::cuda_device_config(g)) gj["config"] = config_json(*c);
      j["gpus"].push_back(gj);
    }
    if (!have_gpu) j["no_gpu_reason"] = why;
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (!have_gpu) {
    fmt::print(std::cout, "No usable GPU: {}\n", why);
  } else {
    for (const auto& g : gpus) {
      fmt::print(std::cout, "GPU {}: {}{}  (SKU config: {})\n", g.index, g.name,
                 g.pci_bus_id.empty() ? "" : ", PCI " + g.pci_bus_id,
                 g.matched_sku.empty() ? "none matched; give --sku for % of peak" : g.matched_sku);
      fmt::print(std::cout, "  compute capability {}.{}, {} SMs, SM clock {:.0f} MHz, L2 {:.0f} MB\n",
                 g.compute_capability_major, g.compute_capability_minor, g.sm_count, g.sm_clock_mhz,
                 g.l2_cache_bytes / 1048576.0);
      fmt::print(std::cout, "  memory {:.1f} GB, memory clock {:.0f} MHz, {:.2f} TB/s theoretical\n", g.memory_gb,
                 g.memory_clock_mhz, g.memory_bandwidth_tb_s);
      fmt::print(std::cout, "  driver {}, CUDA runtime {}, cuBLAS {}, NCCL {}\n", or_unknown(g.driver_version),
                 or_unknown(g.cuda_runtime_version), or_unknown(g.cublas_version), or_unknown(g.nccl_version));
      if (const auto c = kernels::cuda_device_config(g); c && !config_line(*c).empty())
        fmt::print(std::cout, "  {}\n", config_line(*c));
      if (const std::string note = trimmed_note(unmatched_sku_note(g.name, g.memory_gb)); !note.empty())
        fmt::print(std::cout, "  note: {}\n", note);
    }
  }
  fmt::print(std::cout, "CPU: {}\n", cpu.name);
  fmt::print(std::cout, "  {} hardware threads, {:.1f} GB memory, last-level cache {:.0f} MB{}\n", cpu.sm_count,
             cpu.memory_gb, cpu.l2_cache_bytes / 1048576.0,
             cpu.sm_clock_mhz > 0 ? fmt::format(", clock {:.0f} MHz (the estimated peak's, below)", cpu.sm_clock_mhz)
                                  : "");
  fmt::print(std::cout, "  {}\n", cpu.blas_version);
  // What the CPU backend's % of peak is judged against, and whether OpenBLAS can reach it.
  if (peak.fp32_peak_tflops > 0) {
    fmt::print(std::cout,
               "  estimated fp32 peak {:.3g} TFLOP/s ({} cores x {:.0f} MHz x {} FLOP/cycle; clock: {}), SKU config: "
               "{}\n",
               peak.fp32_peak_tflops, peak.cores, peak.max_mhz, peak.fp32_flops_per_cycle, peak.clock_source,
               cpu_pseudo_sku(peak, std::nullopt).name);
    if (!blas_note.empty()) fmt::print(std::cout, "  note: {}\n", blas_note);
  } else {
    fmt::print(std::cout, "  no fp32 peak could be estimated (SKU config: none; % of peak not given)\n");
  }
}

void add_devices_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("devices", "List the GPUs and the CPU trainbench can measure, with versions");
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->callback([json] { run_devices(*json); });
}

const Registration registration{"devices", 8, add_devices_command};

}  // namespace
}  // namespace tb::cli
