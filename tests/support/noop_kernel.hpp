#pragma once
// A kernel that does nothing and always verifies: for tests of the measuring loop whose fake
// backends decide what a sample takes.
#include "kernels/backend.hpp"

namespace tb::testing {

class NoopKernel final : public kernels::Kernel {
 public:
  void launch() override {}
  kernels::VerifyResult verify() override { return {true, 0, 1e-3, 1, ""}; }
  double bytes_allocated() const override { return 0; }
  void corrupt_output_for_testing() override {}
};

}  // namespace tb::testing
