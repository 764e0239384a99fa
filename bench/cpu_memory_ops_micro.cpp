// What each suspect of docs/perf/cpu-memory-ops.md costs per element on one core, data warm in
// L2/L3: the per-element Welford update against the block form, tanhf and expf against the
// polynomial exp, GeLU's tanh form against its sigmoid form, and a loop with the op's switch
// inside against one per op. Header-only, no CMake target (the baseline's forms are written out
// here, as they were before the change):
//   g++ -std=c++20 -O3 -DNDEBUG -fno-trapping-math -ffp-contract=off -I. bench/cpu_memory_ops_micro.cpp -o /tmp/micro
// The flags are those the Release build gives kernels/cpu/memory_loops.cpp; that file's baseline
// level is this, its others add -march=x86-64-v3 or -march=x86-64-v4.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "kernels/common/memory_ops_math.hpp"

namespace mo = tb::kernels::memops;

namespace {

volatile float g_sink;

double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return 1e9 * static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec);
}

// Best of 20, in this thread's CPU time: on a machine that others' builds share, wall time
// counts their turns on the core too, CPU time only ours (cache sharing still shows).
template <typename Fn>
double best_ns_per_element(Fn fn, double elements) {
  double best_ns = 1e300;
  for (int rep = 0; rep < 20; ++rep) {
    const double t0 = thread_cpu_ns();
    fn();
    best_ns = std::min(best_ns, thread_cpu_ns() - t0);
  }
  return best_ns / elements;
}

// The baseline's forms.
void welford_update(mo::MeanVar& s, float x) {
  s.count += 1.0f;
  const float delta = x - s.mean;
  s.mean += delta / s.count;
  s.m2 += delta * (x - s.mean);
}
float gelu_tanh(float x) {
  const float inner = mo::kGeluSqrt2OverPi * (x + mo::kGeluCubic * x * x * x);
  return 0.5f * x * (1.0f + tanhf(inner));
}
enum class Kind { Gelu, Residual };

// The baseline kernel's element loop: the op's switch inside, tensors read through members.
struct SwitchInsideLoop {
  Kind kind;
  std::vector<float> in[2], out;
  int64_t cols;
  float at(int t, size_t i) const { return in[t][i]; }
  void run_row(int64_t r) {
    const size_t base = static_cast<size_t>(r * cols);
    for (int64_t j = 0; j < cols; ++j) {
      const size_t i = base + static_cast<size_t>(j);
      switch (kind) {
        case Kind::Gelu: out[i] = gelu_tanh(at(0, i)); break;
        case Kind::Residual: out[i] = at(0, i) + at(1, i); break;
      }
    }
  }
};

}  // namespace

int main() {
  constexpr int kRows = 128, kCols = 12288, kBlock = 512;  // the CPU run's norm and residual shape
  constexpr int kN = kRows * kCols;
  std::vector<float> x(kN), b(kN), y(kN);
  for (int i = 0; i < kN; ++i) {
    x[i] = mo::hash_uniform(1, static_cast<uint64_t>(i));
    b[i] = mo::hash_uniform(2, static_cast<uint64_t>(i));
  }
  auto row_stats = [&](bool blocks) {
    for (int r = 0; r < kRows; ++r) {
      mo::MeanVar s;
      const float* row = x.data() + static_cast<size_t>(r) * kCols;
      if (blocks)
        for (int j = 0; j < kCols; j += kBlock) s = mo::combine(s, mo::mean_var_of(row + j, kBlock));
      else
        for (int j = 0; j < kCols; ++j) welford_update(s, row[j]);
      g_sink = s.m2;
    }
  };
  SwitchInsideLoop baseline{Kind::Residual, {x, b}, y, kCols};
  auto switch_inside = [&] {
    for (int r = 0; r < kRows; ++r) baseline.run_row(r);
    g_sink = baseline.out[7];
  };
  const double n = kN;
  std::printf("per element, one core (thread CPU time, best of 20), %d x %d fp32\n", kRows, kCols);
  std::printf("  row stats, Welford update        %6.3f ns\n", best_ns_per_element([&] { row_stats(false); }, n));
  std::printf("  row stats, mean_var_of blocks    %6.3f ns\n", best_ns_per_element([&] { row_stats(true); }, n));
  std::printf("  row sum, one accumulator         %6.3f ns\n", best_ns_per_element([&] {
    for (int r = 0; r < kRows; ++r) {
      float sum = 0;
      for (int j = 0; j < kCols; ++j) sum += x[static_cast<size_t>(r) * kCols + j];
      g_sink = sum;
    }
  }, n));
  std::printf("  row sum, lane_sum                %6.3f ns\n", best_ns_per_element([&] {
    for (int r = 0; r < kRows; ++r) {
      const float* row = x.data() + static_cast<size_t>(r) * kCols;
      g_sink = mo::lane_sum(kCols, [row](int j) { return row[j]; });
    }
  }, n));
  std::printf("  tanhf                            %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = tanhf(x[i]);
    g_sink = y[7];
  }, n));
  std::printf("  expf                             %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = expf(x[i]);
    g_sink = y[7];
  }, n));
  std::printf("  exp_poly                         %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = mo::exp_poly(x[i]);
    g_sink = y[7];
  }, n));
  std::printf("  gelu, tanh form                  %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = gelu_tanh(x[i]);
    g_sink = y[7];
  }, n));
  std::printf("  gelu, sigmoid form (exp_poly)    %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = mo::gelu_forward(x[i]);
    g_sink = y[7];
  }, n));
  std::printf("  residual add, switch inside loop %6.3f ns\n", best_ns_per_element(switch_inside, n));
  std::printf("  residual add, loop of its own    %6.3f ns\n", best_ns_per_element([&] {
    for (int i = 0; i < kN; ++i) y[i] = mo::residual_add(x[i], b[i]);
    g_sink = y[7];
  }, n));
}
