#pragma once
// Errors carry their context (file, field, flag, accepted values); exit codes are mapped
// in one place: cli/main.cpp. Usage errors exit 2, runtime errors exit 1.
#include <stdexcept>
#include <string>

namespace tb {

// The user asked for something invalid: a bad flag, an unknown name, a malformed file.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The request was valid but could not be carried out: a kernel failed, a device vanished.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT, what a shell reports for Ctrl-C

}  // namespace tb
