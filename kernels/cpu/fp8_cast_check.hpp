#pragma once
// What the fp8 cast-transpose op must produce, checked on the host for both backends: every fp8
// byte of y and yt equal to the reference rounding of x * scale in the op's format (e4m3 for X and
// W, e5m2 for dY; float_formats.hpp, the rounding __nv_cvt_float_to_fp8 does with __NV_SATFINITE),
// yt the transpose of y, amax = max |x| exactly.
#include <cstdint>
#include <vector>

#include "kernels/backend.hpp"

namespace tb::kernels::fp8cast {

// What both backends refuse before allocating: rows or cols not positive (UsageError), input not
// bf16, or more column tiles than the CUDA grid's y dimension holds (UnsupportedError); each
// message names the op and its shape.
void validate(const Op& op);

// x as the kernel read it (bf16 values widened); rows are checked spread over the tensor, every
// column of each; amax over all of x.
VerifyResult verify(int64_t rows, int64_t cols, Fp8Format format, const std::vector<float>& x,
                    const std::vector<uint8_t>& y, const std::vector<uint8_t>& yt, float amax, int64_t max_rows = 64);

// The scale both backends multiply x by before the cast: the format's largest finite value, an
// amax of 1 (the inputs are uniform in [-1, 1)).
float scale_for(Fp8Format format);

}  // namespace tb::kernels::fp8cast
