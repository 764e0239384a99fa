#include "cli/output_flag.hpp"

#include "harness/common/errors.hpp"
#include "harness/results/output_path.hpp"

namespace tb::cli {

CLI::Validator writable_output(const std::string& flag) {
  return writable_output(flag, [flag](const std::string& path) {
    results::check_output_path(path, flag, results::OutputKind::Results);
  });
}

CLI::Validator writable_output(const std::string& flag, std::function<void(const std::string&)> check) {
  return CLI::Validator(
      [flag, check](std::string& path) -> std::string {
        try {
          check(path);
        } catch (const UsageError& e) {
          // CLI11 puts "--out: " before the message itself: drop ours.
          std::string message = e.what();
          if (message.rfind(flag + " ", 0) == 0) message.erase(0, flag.size() + 1);
          return message;
        }
        return "";
      },
      "FILE", "writable_output");
}

}  // namespace tb::cli
