// The CPU backend: OpenBLAS GEMMs, reference attention and memory-bound kernels, timed with a
// steady clock. Cold samples: GEMMs rotate among input copies spanning twice the last-level
// cache (kernels/cpu/gemm_kernel.hpp); any other kernel gets the cache flushed before each
// sample by streaming writes through a buffer of twice the LLC, which is what nvbench does to
// the GPU's L2 (nvbench/detail/l2flush.cuh), at the cost of a few ms per sample.
#include "kernels/cpu/cpu_backend.hpp"

#include "kernels/cpu/blas_shim.hpp"
#include <fmt/format.h>
#include <sys/utsname.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/common/errors.hpp"
#include "harness/hardware/cpu_cache.hpp"
#include "harness/hardware/cpu_peak.hpp"
#include "kernels/common/gemm_reference.hpp"
#include "kernels/cpu/adam_kernel.hpp"
#include "kernels/cpu/attention_kernel.hpp"
#include "kernels/cpu/gemm_kernel.hpp"
#include "kernels/cpu/fp8_cast_kernel.hpp"
#include "kernels/cpu/memory_kernel.hpp"

namespace tb::kernels::cpu {
namespace {

// A typical server L3 stands in where sysfs lists no caches.
double last_level_cache_bytes() {
  const int64_t bytes = local_last_level_cache_bytes();
  return bytes > 0 ? static_cast<double>(bytes) : 32.0 * 1024 * 1024;
}

double meminfo_bytes(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == field + ":") return kb * 1024;
  return 0;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  utsname u{};
  return uname(&u) == 0 ? std::string(u.machine) : "unknown CPU";
}

class CpuBackend final : public Backend {
 public:
  CpuBackend() : llc_bytes_(last_level_cache_bytes()), peak_tflops_(estimate_local_cpu_peak().fp32_peak_tflops) {}

  DeviceInfo device_info() const override { return cpu::device_info(); }

  std::unique_ptr<Kernel> prepare(const Op& op, const PrepareOptions& options) override {
    if (op.kind != OpKind::Gemm) refuse_over_memory(op, options);  // the GEMM kernel weighs its own rotated copies
    refuse_sample_over_limit(op);
    try {
      if (op.kind == OpKind::Gemm) return make_gemm_kernel(op, options, llc_bytes_, free_memory_bytes());
      if (is_attention(op.kind))
        return make_attention_kernel(op, options);
      if (op.kind == OpKind::Fp8CastTranspose) return make_fp8_cast_kernel(op, options);
      if (op.kind == OpKind::AdamUpdate) return make_adam_kernel(op, options);
      return make_memory_kernel(op, options);
    } catch (const std::bad_alloc&) {
      throw OutOfMemoryError(fmt::format("{} {}: allocating its tensors failed ({:.3g} GB of host memory available)",
                                         op.name, op.shape_string(), free_memory_bytes() / 1e9));
    }
  }

  double time_sample_ms(Kernel& kernel) override {
    if (auto* cold = dynamic_cast<ColdInputs*>(&kernel)) cold->next_cold_inputs();
    else flush_caches();
    const auto t0 = std::chrono::steady_clock::now();
    kernel.launch();
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
  }

  void synchronize() override {}  // OpenBLAS and our CPU kernels return when done

  double free_memory_bytes() const override { return meminfo_bytes("MemAvailable"); }

 private:
  // What an op's kernel holds: attention its fp32 tensors (checked on sampled rows), the unfused
  // one an s x s score matrix besides (two in the backward); a memory-bound op its tensors, an
  // fp32 copy of them for the check and the reference. A long --seq in `run` would otherwise
  // meet the kernel's OOM killer, losing the run. Unknown free memory (no /proc/meminfo) skips it.
  void refuse_over_memory(const Op& op, const PrepareOptions& options) const {
    const double available = free_memory_bytes();
    if (!(available > 0)) return;
    double needed = 3 * op.bytes;
    std::string what = "its tensors, their fp32 copy and the reference";
    if (is_attention(op.kind)) {
      const double fp32 = 4.0 / static_cast<double>(dtype_bytes(op.dtype));
      const double seq = static_cast<double>(op.attention.seq);
      const bool scores = options.attention_impl == "unfused";
      needed = 1.1 * op.bytes * fp32 + (scores ? (op.kind == OpKind::AttentionBackward ? 8 : 4) * seq * seq : 0);
      what = scores ? "its fp32 tensors and the s x s scores" : "its fp32 tensors";
    }
    if (needed > available)
      throw OutOfMemoryError(fmt::format("{} {} needs about {:.3g} GB of host memory ({}); {:.3g} GB available",
                                         op.name, op.shape_string(), needed / 1e9, what, available / 1e9));
  }

  // A step at a long --seq holds attention kernels of hours per sample: recorded as unsupported,
  // so that `run` goes on to the rest instead of hanging. Even the estimated peak is too slow.
  void refuse_sample_over_limit(const Op& op) const {
    if (beyond_known_memory(op.bytes, free_memory_bytes())) return;  // the kernel's own check says out of memory
    const double fraction = cpu_attainable_fraction(is_attention(op.kind));
    const double min_s = min_cpu_sample_s(op.flops, peak_tflops_, fraction);
    if (min_s > kMaxCpuSampleS)
      throw UnsupportedError(fmt::format("{} needs {:.3g} TFLOP per call: at least {:.0f} s per sample on this CPU "
                                         "even at {}, over the {:.0f} s a CPU sample may take; a smaller shape (in "
                                         "`run`: a shorter --seq or a smaller --micro-batch), or a GPU",
                                         op.name, op.flops / 1e12, min_s, cpu_rate_phrase(peak_tflops_, fraction),
                                         kMaxCpuSampleS));
  }

  void flush_caches() {
    if (flush_.empty()) flush_.assign(static_cast<size_t>(2 * llc_bytes_ / sizeof(uint64_t)), 0);
    ++flush_epoch_;
    for (size_t i = 0; i < flush_.size(); i += 8) flush_[i] = flush_epoch_;  // one write per 64-byte line
    sink_ = flush_[flush_.size() / 2];
  }

  double llc_bytes_;
  double peak_tflops_;
  std::vector<uint64_t> flush_;
  uint64_t flush_epoch_ = 0;
  volatile uint64_t sink_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_backend() { return std::make_unique<CpuBackend>(); }

std::string blas_core_name() { return openblas_get_corename(); }

bool blas_core_uses_avx512(const std::string& core) {
  std::string c = core;
  for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* avx512 : {"skylakex", "cooperlake", "sapphirerapids"})
    if (c.find(avx512) != std::string::npos) return true;
  return false;
}

DeviceInfo device_info() {
  DeviceInfo d;
  d.backend = "cpu";
  d.name = cpu_model_name();
  d.sm_count = static_cast<int>(std::thread::hardware_concurrency());
  d.memory_gb = meminfo_bytes("MemTotal") / 1e9;
  d.l2_cache_bytes = last_level_cache_bytes();
  // The clock behind the estimated peak (cpufreq's max, else measured): results record the clock
  // their % of peak was judged at.
  d.sm_clock_mhz = estimate_local_cpu_peak().max_mhz;
  d.blas_version = fmt::format("{}; {} threads; bf16 GEMM {}", openblas_get_config(),
                               openblas_get_num_threads(),
                               bf16_gemm_available() ? "available" : "unavailable (no cblas_sbgemm)");
  return d;
}

}  // namespace tb::kernels::cpu
