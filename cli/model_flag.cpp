#include "cli/model_flag.hpp"

#include <fmt/format.h>

#include "harness/common/errors.hpp"

namespace tb::cli {

ModelConfig load_model_flag(const std::string& model) {
  try {
    return load_model(model);
  } catch (const UsageError& e) {
    // The catalog's message lists the names and the near miss; the flag is said once, in front.
    throw UsageError(fmt::format("--model: {}", e.what()));
  }
}

}  // namespace tb::cli
