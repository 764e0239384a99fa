#pragma once
// Functions of a library opened at run time (NVML, NCCL): the loaders bind each by name, so the
// binary needs neither library to start.
#include <dlfcn.h>

namespace tb::kernels::cuda {

// `fn` = the symbol `name` of `lib`, or nullptr where the library lacks it (an older version).
template <typename Fn>
bool bind_symbol(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

}  // namespace tb::kernels::cuda
