#pragma once
// The one interface between the harness and whatever runs kernels. A backend prepares an Op
// (allocates, fills with random data), launches it, times one cold sample, and verifies the
// output against a reference. Backends never decide how many samples to take: the timing core
// (harness/timing) does.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/health/device_config.hpp"
#include "harness/workload/op.hpp"

namespace tb::kernels {

struct DeviceInfo {
  std::string backend;         // "cuda" or "cpu"
  std::string name;            // "NVIDIA H100 80GB HBM3", or the CPU model
  int index = 0;
  std::string pci_bus_id;      // "0000:1B:00.0" (CUDA), "" on the CPU
  int sm_count = 0;            // CPU: hardware threads
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  double memory_gb = 0;
  double memory_bandwidth_tb_s = 0;  // theoretical, from clocks and bus width (0 if unknown)
  double l2_cache_bytes = 0;
  double sm_clock_mhz = 0;           // max/boost
  double memory_clock_mhz = 0;
  std::string driver_version;
  std::string cuda_runtime_version;
  std::string cublas_version;
  std::string nccl_version;
  std::string blas_version;          // CPU backend: OpenBLAS config string
  std::string matched_sku;           // configs/skus name, "" when none matches
};

// Clock/power reading around a measurement (NVML on CUDA; absent on CPU).
struct ClockReading {
  double sm_clock_mhz = 0;
  double power_w = 0;
  double temperature_c = 0;
  uint64_t throttle_reasons = 0;     // NVML clocksThrottleReasons bitmask
  std::string throttle_text;         // "sw_power_cap,hw_slowdown" or ""
};

// How the device is set up (PCIe link, power limit, ECC, row remapping): harness/health judges it.
using DeviceConfig = health::DeviceConfig;

struct VerifyResult {
  bool passed = false;
  double max_rel_error = 0;     // max |got − ref| / (|ref| + scale) over checked elements
  double tolerance = 0;         // the dtype's documented tolerance
  int64_t elements_checked = 0;
  std::string detail;           // first mismatch, NaN found, unwritten element...
};

// Attention implementations: our fused flash kernels, their wgmma (CUDA sm_90a) forward, and the
// unfused GEMM + softmax + GEMM baseline. Anything else is refused naming `flag`.
inline constexpr const char* kAttentionImpls = "fused, unfused, wgmma";
void check_attention_impl(const std::string& impl, const std::string& flag = "--impl");

struct PrepareOptions {
  uint64_t seed = 0x7261696e;    // random inputs, never zeros (zeros read ~10% fast on H100)
  int gemm_candidates = 1;       // time cuBLASLt's top-k heuristic algorithms, keep the fastest
  std::string attention_impl = "fused";  // "fused", "wgmma" (CUDA sm_90a forward) or "unfused"
};

// One prepared kernel instance, buffers resident, ready to launch repeatedly.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void launch() = 0;                 // one call; asynchronous on a GPU
  virtual VerifyResult verify() = 0;         // checks the last launch's output
  virtual double bytes_allocated() const = 0;
  virtual std::string algorithm() const { return {}; }  // e.g. "cublasLt algo 21 (of 8 timed)"
  // Attention run on zero-padded head columns (kernels/common/attention_padding.hpp): the width it
  // ran at; 0 where it ran at the op's own head_dim. Results record it as dims.padded_head_dim.
  virtual int64_t padded_head_dim() const { return 0; }
  // Plants a wrong output value (tests prove verification catches it).
  virtual void corrupt_output_for_testing() = 0;
};

// Refused because the device cannot do it (dtype, head dim): recorded as "unsupported".
class UnsupportedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Allocation failed: recorded as "oom", and the run goes on.
class OutOfMemoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The device can run nothing more in this process (a "sticky" CUDA error: illegal address,
// launch failure, ...: CUDA's documentation says the process must be relaunched). The kernel
// that caused it is recorded as failed, every later one as skipped, and the results are kept.
class DeviceLostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceInfo device_info() const = 0;
  // Throws UnsupportedError, OutOfMemoryError, or tb::UsageError for nonsense shapes.
  virtual std::unique_ptr<Kernel> prepare(const Op& op, const PrepareOptions& options) = 0;
  // One cold sample of kernel.launch() in milliseconds: caches flushed (or inputs rotated)
  // first; CUDA events around the launch, or a steady clock on the CPU.
  virtual double time_sample_ms(Kernel& kernel) = 0;
  virtual void synchronize() = 0;
  virtual std::optional<ClockReading> read_clocks() { return std::nullopt; }
  virtual std::optional<DeviceConfig> read_device_config() { return std::nullopt; }
  // Free device memory in bytes, for refusing over-memory shapes before allocating.
  virtual double free_memory_bytes() const = 0;
};

// "cuda", "cpu" or "auto" (CUDA when a GPU is present, else CPU) on CUDA device `gpu_index`.
// Unknown names are a UsageError listing the accepted ones, as is a GPU index that does not
// exist or one given for the CPU; "cuda" without a GPU is a RuntimeError saying why.
std::unique_ptr<Backend> make_backend(const std::string& name, int gpu_index = 0);

// Whether a CUDA device can be used; `why_not` gets one line when it cannot.
bool cuda_device_available(std::string* why_not);

// Every CUDA device's info (empty without a GPU or without the CUDA build).
std::vector<DeviceInfo> cuda_devices();
DeviceInfo cpu_device_info();
// The setup of one listed GPU as its driver reports it (nullopt without NVML or CUDA).
std::optional<DeviceConfig> cuda_device_config(const DeviceInfo& gpu);

}  // namespace tb::kernels
