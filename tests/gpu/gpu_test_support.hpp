#pragma once
// GPU tests skip, saying why, where no CUDA device can be used (STYLE.md point 10).
#include <gtest/gtest.h>

#include <string>

#include "kernels/backend.hpp"

#define TB_REQUIRE_GPU()                                                      \
  do {                                                                        \
    std::string tb_why_not_;                                                  \
    if (!::tb::kernels::cuda_device_available(&tb_why_not_))                  \
      GTEST_SKIP() << "no usable CUDA device: " << tb_why_not_;               \
  } while (0)
