#pragma once
// How trainbench leaves. Normally main returns, and exit() runs the static destructors and the CUDA
// runtime's own teardown (its atexit handlers: contexts, modules). After a lost device that
// teardown may wait on the hung kernel for ever (docs/perf/README.md, the hang probe): the results
// are written by then, but the process would never end, and gpu-check's step would run to its cap
// and read TIMED OUT. So, on that path only, the process leaves with std::_Exit instead, the exit
// code unchanged; nothing worth tearing down is left on a lost device.
#include <optional>
#include <string>

namespace tb::cli {

// The note printed before leaving without the teardown, or nullopt where the device was not lost
// (`device_lost_reason`: runner::device_lost()).
std::optional<std::string> skip_teardown_note(const std::optional<std::string>& device_lost_reason);

// What main returns: `code` when the device was not lost. Else it prints the note, flushes stdout
// and stderr (std::_Exit does not) and leaves with std::_Exit(code): it does not return.
int finish_process(int code);

}  // namespace tb::cli
