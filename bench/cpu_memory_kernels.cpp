// The CPU backend's memory-bound kernels at `trainbench run`'s CPU shapes (GPT-3 175B, tp 8,
// seq 128, fp32), timed here without the rest of a step: best of 50 launches, the caches
// flushed before each as the backend does, wall and process CPU time (CPU time over wall near 2
// says both cores worked). With --after-gemm, a 1024^3 OpenBLAS sgemm runs right before each
// kernel's first launch, whose threads may still spin while ours start (a suspect of
// docs/perf/cpu-memory-ops.md), and the first ten launches' wall times are printed (compare
// with OPENBLAS_NUM_THREADS=1). Each kernel's output is verified against the fp64 reference.
// Built by hand against a build's libraries (no CMake target), from the repository root:
//   g++ -std=c++20 -O2 -I. bench/cpu_memory_kernels.cpp -o /tmp/kernels build/kernels/libtb_kernels_cpu.a
//       build/harness/libtb_harness.a -lopenblas -lfmt -ltomlplusplus -pthread && /tmp/kernels [--after-gemm]
#include <cblas.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/workload/op.hpp"
#include "kernels/cpu/memory_kernel.hpp"

using namespace tb;

namespace {

double now_ms(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return 1e3 * static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_nsec);
}

// Twice a 32 MiB last-level cache, one write per line, as kernels/cpu/cpu_backend.cpp does.
void flush_caches() {
  static std::vector<uint64_t> buffer(size_t{8} << 20);
  static uint64_t epoch;
  ++epoch;
  for (size_t i = 0; i < buffer.size(); i += 8) buffer[i] = epoch;
  // Read back through a volatile, so that the writes are not optimised away.
  const volatile uint64_t* middle = &buffer[buffer.size() / 2];
  if (*middle != epoch) std::abort();
}

void sgemm_1024() {
  static std::vector<float> a(1024 * 1024, 0.5f), b(1024 * 1024, 0.25f), c(1024 * 1024);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1024, 1024, 1024, 1.0f, a.data(), 1024, b.data(), 1024, 0.0f,
              c.data(), 1024);
}

}  // namespace

int main(int argc, char** argv) {
  const bool after_gemm = argc > 1 && std::strcmp(argv[1], "--after-gemm") == 0;
  struct Case {
    const char* name;
    OpKind kind;
    int64_t rows, cols;
  };
  const Case cases[] = {{"norm.fwd", OpKind::LayerNormForward, 128, 12288},
                        {"norm.bwd", OpKind::LayerNormBackward, 128, 12288},
                        {"gelu.fwd", OpKind::GeluForward, 128, 6144},
                        {"gelu.bwd", OpKind::GeluBackward, 128, 6144},
                        {"residual_add", OpKind::ResidualAdd, 128, 12288},
                        {"cross_entropy", OpKind::CrossEntropyForwardBackward, 128, 6400}};
  std::printf("%-14s %10s %10s  %s\n", "kernel", "wall ms", "cpu ms", after_gemm ? "(after an sgemm)" : "");
  for (const Case& c : cases) {
    Op op;
    op.name = c.name;
    op.kind = c.kind;
    op.dtype = DType::FP32;
    op.memory = {c.rows, c.cols};
    auto kernel = kernels::cpu::make_memory_kernel(op, {});
    if (after_gemm) sgemm_1024();
    double best_wall = 1e300, best_cpu = 1e300;
    std::string first_launches;
    for (int i = 0; i < 50; ++i) {
      flush_caches();
      const double wall0 = now_ms(CLOCK_MONOTONIC), cpu0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
      kernel->launch();
      const double wall = now_ms(CLOCK_MONOTONIC) - wall0;
      best_wall = std::min(best_wall, wall);
      best_cpu = std::min(best_cpu, now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
      if (after_gemm && i < 10) first_launches += " " + std::to_string(wall).substr(0, 5);
    }
    if (after_gemm) std::printf("%-14s first launches after the sgemm, ms:%s\n", c.name, first_launches.c_str());
    const auto check = kernel->verify();
    std::printf("%-14s %10.3f %10.3f  %s; %s\n", c.name, best_wall, best_cpu, check.passed ? "verified" : "FAILED",
                kernel->algorithm().c_str());
  }
}
