#include "kernels/cpu/memory_loops.hpp"

namespace tb::kernels::cpu {

// GCC only: its target pragma and __builtin_cpu_supports("x86-64-vN") (GCC 12). Elsewhere the
// baseline's loops alone.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define TB_MEMORY_LOOPS_X86_LEVELS 1
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
namespace x86_64_v4 {
#define TB_MEMORY_LOOPS_ISA "x86-64-v4"
#include "kernels/cpu/memory_loops_body.inc"
#undef TB_MEMORY_LOOPS_ISA
}  // namespace x86_64_v4
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
namespace x86_64_v3 {
#define TB_MEMORY_LOOPS_ISA "x86-64-v3"
#include "kernels/cpu/memory_loops_body.inc"
#undef TB_MEMORY_LOOPS_ISA
}  // namespace x86_64_v3
#pragma GCC pop_options
#endif

namespace baseline {
#define TB_MEMORY_LOOPS_ISA "baseline"
#include "kernels/cpu/memory_loops_body.inc"
#undef TB_MEMORY_LOOPS_ISA
}  // namespace baseline

std::vector<const MemoryLoops*> runnable_memory_loops() {
  std::vector<const MemoryLoops*> levels;
#if defined(TB_MEMORY_LOOPS_X86_LEVELS)
  // Checks the CPU's features and that the kernel saves the wider registers (XCR0).
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) levels.push_back(&x86_64_v4::kLoops);
  if (__builtin_cpu_supports("x86-64-v3")) levels.push_back(&x86_64_v3::kLoops);
#endif
  levels.push_back(&baseline::kLoops);
  return levels;
}

const MemoryLoops& memory_loops() {
  static const MemoryLoops* const widest = runnable_memory_loops().front();
  return *widest;
}

}  // namespace tb::kernels::cpu
