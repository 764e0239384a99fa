#pragma once
// The check every kernel's verification gets: launched, it verifies; with a wrong value planted
// in its output (Kernel::corrupt_output_for_testing), it fails, with an error beyond the tolerance
// and a detail saying where. Returns that failing verdict for the caller's own assertions.
#include <gtest/gtest.h>

#include "kernels/backend.hpp"

namespace tb::testing {

inline kernels::VerifyResult expect_planted_error_caught(kernels::Kernel& kernel) {
  kernel.launch();
  const kernels::VerifyResult launched = kernel.verify();
  EXPECT_TRUE(launched.passed) << launched.detail;
  kernel.corrupt_output_for_testing();
  const kernels::VerifyResult v = kernel.verify();
  EXPECT_FALSE(v.passed);
  EXPECT_GT(v.max_rel_error, v.tolerance);
  EXPECT_FALSE(v.detail.empty());
  return v;
}

}  // namespace tb::testing
