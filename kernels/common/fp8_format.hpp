#pragma once
// An fp8 format chosen at run time (Fp8Format, harness/workload/op.hpp): encode, decode, and the
// largest finite value, over float_formats.hpp's two codecs. Host code only: the CUDA kernels pass
// the format to __nv_cvt_float_to_fp8 as its (run-time) interpretation argument instead.
#include <cstdint>

#include "harness/workload/op.hpp"
#include "kernels/common/float_formats.hpp"

namespace tb::kernels {

inline uint8_t float_to_fp8(float f, Fp8Format format) {
  return format == Fp8Format::E5M2 ? float_to_fp8_e5m2(f) : float_to_fp8_e4m3(f);
}
inline float fp8_to_float(uint8_t b, Fp8Format format) {
  return format == Fp8Format::E5M2 ? fp8_e5m2_to_float(b) : fp8_e4m3_to_float(b);
}
inline float round_to_fp8(float f, Fp8Format format) { return fp8_to_float(float_to_fp8(f, format), format); }
// 448 (e4m3) and 57344 (e5m2): OFP8 rev 1.0 §5.3, Transformer Engine's fp8 primer.
inline float fp8_max(Fp8Format format) { return format == Fp8Format::E5M2 ? 57344.0f : 448.0f; }

}  // namespace tb::kernels
