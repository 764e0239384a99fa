#include "cli/exit_path.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "harness/runner/device_state.hpp"

namespace tb::cli {

std::optional<std::string> skip_teardown_note(const std::optional<std::string>& device_lost_reason) {
  if (!device_lost_reason) return std::nullopt;
  return fmt::format("trainbench: the device was lost ({}); leaving without the CUDA runtime's teardown, which can "
                     "wait for ever on a hung kernel\n",
                     *device_lost_reason);
}

int finish_process(int code) {
  const auto note = skip_teardown_note(runner::device_lost());
  if (!note) return code;
  fmt::print(stderr, "{}", *note);
  // Whatever the streams still hold (the results line, the table) must reach the reader:
  // std::_Exit flushes nothing.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace tb::cli
