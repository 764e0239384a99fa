#pragma once
// Conversions between float and the narrow formats GEMMs consume (bf16, fp16, fp8 e4m3 and e5m2), as
// plain inline host functions over bit patterns, rounding to nearest, ties to even (IEEE 754
// §4.3.1, the rounding cuBLAS and PyTorch use when they convert). Tests and the CPU reference
// use them to know the exact values a kernel consumed; kernels/cuda uses them to fill inputs
// on the host and to read outputs back.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tb::kernels {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// bf16 is the top half of an fp32: exact to widen, one rounding to narrow.
inline float bf16_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }
inline uint16_t float_to_bf16(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  // Adding 0x7fff plus the lowest kept bit rounds half to even; an overflow carries into the
  // exponent and yields inf, as IEEE rounding does.
  const uint32_t lsb = (u >> 16) & 1u;
  return static_cast<uint16_t>((u + 0x7fffu + lsb) >> 16);
}

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; subnormals below 2^-14.
inline float fp16_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) ? 1u : 0u;
  const int exp = (h >> 10) & 0x1f;
  const int man = h & 0x3ff;
  double v;
  if (exp == 0x1f) v = man ? NAN : INFINITY;
  else if (exp == 0) v = std::ldexp(static_cast<double>(man), -24);
  else v = std::ldexp(1.0 + man / 1024.0, exp - 15);
  return static_cast<float>(sign ? -v : v);
}
inline uint16_t float_to_fp16(float f) {
  const uint16_t sign = (float_bits(f) & 0x80000000u) ? 0x8000u : 0u;
  if (std::isnan(f)) return 0x7e00u;
  const double a = std::fabs(static_cast<double>(f));
  if (std::isinf(a)) return sign | 0x7c00u;
  if (a < std::ldexp(1.0, -14)) {
    // Subnormal: a = m·2^-24; the scaling is exact, nearbyint rounds half to even, and m == 1024
    // is the bit pattern of the smallest normal, so the carry needs no special case.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0));
  }
  int e2;
  const double fr = std::frexp(a, &e2);  // a = fr·2^e2, fr in [0.5, 1)
  int exp = e2 - 1;                      // a = (2·fr)·2^exp, 2·fr in [1, 2)
  int man = static_cast<int>(std::nearbyint((2.0 * fr - 1.0) * 1024.0));
  if (man == 1024) man = 0, ++exp;
  if (exp > 15) return sign | 0x7c00u;   // ≥ 65520 rounds to inf under IEEE rounding
  return sign | static_cast<uint16_t>(((exp + 15) << 10) | man);
}

// OCP FP8 E4M3 ("e4m3fn", what Hopper's tensor cores and cuBLASLt's CUDA_R_8F_E4M3 use):
// 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN, max 448.
// OCP 8-bit Floating Point Specification (OFP8) rev 1.0, §5.3.
inline float fp8_e4m3_to_float(uint8_t b) {
  const bool neg = b & 0x80u;
  const int exp = (b >> 3) & 0xf;
  const int man = b & 0x7;
  double v;
  if (exp == 0xf && man == 0x7) v = NAN;
  else if (exp == 0) v = std::ldexp(static_cast<double>(man), -9);
  else v = std::ldexp(1.0 + man / 8.0, exp - 7);
  return static_cast<float>(neg ? -v : v);
}
namespace detail {
// Round to nearest even into a saturating 8-bit float of 1 sign, 7 − man_bits exponent (bias
// `bias`) and `man_bits` mantissa bits: |f| ≥ max_finite (±inf included) becomes ±max_finite
// (code max_code), NaN becomes nan_code. Subnormals below 2^(1−bias) are m·2^(1−bias−man_bits).
inline uint8_t float_to_fp8_saturating(float f, int man_bits, int bias, double max_finite, int max_code,
                                       uint8_t nan_code) {
  const uint8_t sign = (float_bits(f) & 0x80000000u) ? 0x80u : 0u;
  if (std::isnan(f)) return nan_code;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= max_finite) return sign | static_cast<uint8_t>(max_code);
  if (a < std::ldexp(1.0, 1 - bias))  // m == 2^man_bits is the smallest normal's bit pattern
    return sign | static_cast<uint8_t>(std::nearbyint(std::ldexp(a, bias - 1 + man_bits)));
  int e2;
  const double fr = std::frexp(a, &e2);  // a = (2·fr)·2^(e2−1), 2·fr in [1, 2)
  int exp = e2 - 1;
  const int one = 1 << man_bits;
  int man = static_cast<int>(std::nearbyint((2.0 * fr - 1.0) * one));
  if (man == one) man = 0, ++exp;
  const int code = ((exp + bias) << man_bits) | man;
  // Rounding just below max_finite can reach no further than it, except in e4m3, whose next code
  // up is NaN: saturate.
  return sign | static_cast<uint8_t>(code > max_code ? max_code : code);
}
}  // namespace detail

// Saturating, like CUDA's __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3): finite values
// beyond ±448 (and ±inf) become ±448, NaN becomes NaN (0x7f).
inline uint8_t float_to_fp8_e4m3(float f) { return detail::float_to_fp8_saturating(f, 3, 7, 448.0, 0x7e, 0x7f); }

// OCP FP8 E5M2 (cuBLASLt's CUDA_R_8F_E5M2, Transformer Engine's gradient format): 1 sign, 5
// exponent (bias 15), 2 mantissa bits, IEEE-like: S.11111.00 is ±inf, S.11111.{01,10,11} NaN, max
// finite 57344 = 1.75·2^15, subnormals m·2^-16 below 2^-14. OFP8 rev 1.0 §5.3; it is the top byte
// of an IEEE binary16.
inline float fp8_e5m2_to_float(uint8_t b) {
  const bool neg = b & 0x80u;
  const int exp = (b >> 2) & 0x1f;
  const int man = b & 0x3;
  double v;
  if (exp == 0x1f) v = man ? NAN : INFINITY;
  else if (exp == 0) v = std::ldexp(static_cast<double>(man), -16);
  else v = std::ldexp(1.0 + man / 4.0, exp - 15);
  return static_cast<float>(neg ? -v : v);
}
// Saturating, like CUDA's __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2), which is what
// Transformer Engine's casts (its fp8e5m2 type, __nv_fp8_e5m2) do: finite values beyond ±57344 and
// ±inf become ±57344, NaN becomes NaN (0x7f). PyTorch's plain .to(torch.float8_e5m2) differs
// there: it rounds overflow to ±inf (c10/util/Float8_e5m2.h).
inline uint8_t float_to_fp8_e5m2(float f) { return detail::float_to_fp8_saturating(f, 2, 15, 57344.0, 0x7b, 0x7f); }

// Rounds a float to the nearest value the format can hold (what a kernel really consumes).
inline float round_to_bf16(float f) { return bf16_to_float(float_to_bf16(f)); }
inline float round_to_fp16(float f) { return fp16_to_float(float_to_fp16(f)); }
inline float round_to_fp8_e4m3(float f) { return fp8_e4m3_to_float(float_to_fp8_e4m3(f)); }
inline float round_to_fp8_e5m2(float f) { return fp8_e5m2_to_float(float_to_fp8_e5m2(f)); }
// TF32 keeps fp32's exponent and 10 mantissa bits; the tensor cores round the inputs to it.
inline float round_to_tf32(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) >= 0x7f800000u) return f;
  const uint32_t lsb = (u >> 13) & 1u;
  return bits_float((u + 0xfffu + lsb) & 0xffffe000u);
}

}  // namespace tb::kernels
