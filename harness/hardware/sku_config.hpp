#pragma once
// A GPU SKU's datasheet figures, from configs/skus/<name>.toml. Peaks are DENSE (no sparsity):
// datasheets often print 2:4-sparse figures, twice these.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb {

enum class DType { FP64, FP32, TF32, BF16, FP16, FP8 };

const char* to_string(DType dtype);
// Accepts fp64, fp32, tf32, bf16, fp16, fp8 (also "e4m3" for fp8); refuses others naming `what`.
DType parse_dtype(const std::string& text, const std::string& what);
const std::vector<std::string>& dtype_names();
// Bytes per element as stored in memory (tf32 is stored as fp32).
int dtype_bytes(DType dtype);

struct SkuConfig {
  std::string name;
  std::string display_name;
  std::string source;                      // datasheet citation
  std::map<DType, double> peak_tflops;     // dense peak per dtype
  double memory_gb = 0;  // [memory] gb: the nominal size, read as GiB (HBM is sold in binary units)
  // [memory] usable_gib: what the device exposes (nvidia-smi's total: ECC and reserved memory taken
  // off, an L40S's 48 GB leaves 44.99 GiB), where a source gives it; at most memory_gb.
  std::optional<double> usable_gib;
  double memory_bandwidth_tb_s = 0;
  double tdp_w = 0;
  int gpus_per_server = 8;
  // [server] power_w: the whole server's rated maximum power (GPUs, CPUs, NICs, NVSwitches, fans),
  // for an upper bound on energy beside the GPUs' own; absent when no datasheet gives it.
  std::optional<double> server_power_w;
  std::string server_power_source;
  std::optional<double> price_per_gpu_hour;  // rental price, for cost estimates
  std::optional<double> server_price;        // purchase price of one server
  // Where --server-price overrode it: the quote's currency (else `currency`) and "--server-price"
  // (else price_source); the rental price keeps its own.
  std::optional<std::string> server_price_currency;
  std::string server_price_source;
  const std::string& server_currency() const { return server_price_currency ? *server_price_currency : currency; }
  std::string server_source() const {
    return !server_price_source.empty() ? server_price_source
           : price_source.empty()      ? "[price] server"
                                        : "[price] server, " + price_source;
  }
  std::string currency = "USD";
  // Whether the config has a [price] table. Only then is `currency` one its prices are in (its
  // `currency`, USD where the table names none); without one, USD is a default that says nothing
  // about the machine, so it has no currency for a price typed beside others' to disagree with
  // (--electricity-price beside a CNY site is read in CNY, not refused as "USD or CNY").
  bool price_table = false;
  std::string price_source;                  // [price] source: where the prices come from
  std::string origin;                        // the file this config was read from
  std::optional<double> intra_node_gb_s;   // NVLink/PCIe per GPU, one direction
  std::optional<double> inter_node_gb_s;   // network per GPU, one direction
  // [match] device_names: each must end the CUDA device name at a word boundary, so that a
  // variant (the name with words after it: "H200 NVL", "RTX 4090 D") matches no config meant for
  // the base part (harness/hardware/sku_match.hpp).
  std::vector<std::string> device_name_patterns;
  // Measured elsewhere, not datasheet figures: the best GEMM FLOP/s a healthy part sustains
  // (mamf-finder shape sweeps), the reference `trainbench health` judges a machine against.
  std::map<DType, double> sustained_gemm_tflops;
  std::string sustained_source;

  // The memory every fit is judged against: usable_gib where the config gives it, else the nominal.
  double capacity_gib() const { return usable_gib.value_or(memory_gb); }
  // That capacity as the output names it: "79.65 GiB usable of 80", or "80 GiB".
  std::string capacity_text() const;

  // Refuses a dtype the SKU has no peak for, listing the ones it has.
  double peak_tflops_for(DType dtype) const;
  // The same, 0 where the SKU lists no peak for `dtype` (callers then report no % of peak).
  double peak_tflops_or_zero(DType dtype) const;
};

SkuConfig load_sku(const std::string& name_or_path);

}  // namespace tb
