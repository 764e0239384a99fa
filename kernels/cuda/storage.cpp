#include "kernels/cuda/storage.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/common/float_formats.hpp"
#include "kernels/cpu/parallel_for.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda {

size_t storage_bytes(Storage s) {
  switch (s) {
    case Storage::F32: return 4;
    case Storage::BF16:
    case Storage::F16: return 2;
    case Storage::E4M3:
    case Storage::E5M2: return 1;
  }
  return 4;
}

const char* to_string(Storage s) {
  switch (s) {
    case Storage::F32: return "fp32";
    case Storage::BF16: return "bf16";
    case Storage::F16: return "fp16";
    case Storage::E4M3: return "fp8e4m3";
    case Storage::E5M2: return "fp8e5m2";
  }
  return "?";
}

namespace {

float widen(const unsigned char* p, Storage s) {
  switch (s) {
    case Storage::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case Storage::BF16: {
      uint16_t b;
      std::memcpy(&b, p, 2);
      return bf16_to_float(b);
    }
    case Storage::F16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return fp16_to_float(h);
    }
    case Storage::E4M3: return fp8_e4m3_to_float(*p);
    case Storage::E5M2: return fp8_e5m2_to_float(*p);
  }
  return 0;
}

void narrow(float v, Storage s, unsigned char* p) {
  switch (s) {
    case Storage::F32: std::memcpy(p, &v, 4); return;
    case Storage::BF16: {
      const uint16_t b = float_to_bf16(v);
      std::memcpy(p, &b, 2);
      return;
    }
    case Storage::F16: {
      const uint16_t h = float_to_fp16(v);
      std::memcpy(p, &h, 2);
      return;
    }
    case Storage::E4M3: *p = float_to_fp8_e4m3(v); return;
    case Storage::E5M2: *p = float_to_fp8_e5m2(v); return;
  }
}

}  // namespace

std::vector<float> copy_to_host_floats(const void* dev, Storage s, int64_t count) {
  const size_t elt = storage_bytes(s);
  std::vector<unsigned char> raw(static_cast<size_t>(count) * elt);
  if (count > 0) TB_CUDA_CHECK(cudaMemcpy(raw.data(), dev, raw.size(), cudaMemcpyDeviceToHost));
  std::vector<float> out(static_cast<size_t>(count));
  constexpr int64_t kChunk = int64_t{1} << 20;
  cpu::parallel_for((count + kChunk - 1) / kChunk, [&](int64_t c) {
    const size_t end = static_cast<size_t>(std::min(count, (c + 1) * kChunk));
    for (size_t i = static_cast<size_t>(c * kChunk); i < end; ++i) out[i] = widen(raw.data() + i * elt, s);
  });
  return out;
}

std::vector<float> copy_rows_to_host_floats(const void* dev, Storage s, int64_t cols, const std::vector<int64_t>& rows) {
  const size_t elt = storage_bytes(s), row_bytes = static_cast<size_t>(cols) * elt;
  std::vector<unsigned char> raw(rows.size() * row_bytes);
  for (size_t r = 0; r < rows.size(); ++r)
    TB_CUDA_CHECK(cudaMemcpy(raw.data() + r * row_bytes,
                             static_cast<const unsigned char*>(dev) + static_cast<size_t>(rows[r]) * row_bytes,
                             row_bytes, cudaMemcpyDeviceToHost));
  std::vector<float> out(rows.size() * static_cast<size_t>(cols));
  for (size_t i = 0; i < out.size(); ++i) out[i] = widen(raw.data() + i * elt, s);
  return out;
}

std::vector<float> gather_to_host_floats(const void* dev, Storage s, const std::vector<int64_t>& indices) {
  std::vector<float> out;
  out.reserve(indices.size());
  if (indices.empty()) return out;
  // A copy costs microseconds however small: where the indices cover the buffer densely (a small
  // GEMM, every element checked), one copy of the span is cheaper than a copy per element.
  const int64_t span = *std::max_element(indices.begin(), indices.end()) + 1;
  if (span <= 64 * static_cast<int64_t>(indices.size())) {
    const std::vector<float> all = copy_to_host_floats(dev, s, span);
    for (const int64_t index : indices) out.push_back(all[static_cast<size_t>(index)]);
    return out;
  }
  for (const int64_t index : indices) out.push_back(read_element(dev, s, index));
  return out;
}

float read_element(const void* dev, Storage s, int64_t index) {
  unsigned char raw[4];
  const size_t elt = storage_bytes(s);
  TB_CUDA_CHECK(cudaMemcpy(raw, static_cast<const unsigned char*>(dev) + static_cast<size_t>(index) * elt, elt,
                           cudaMemcpyDeviceToHost));
  return widen(raw, s);
}

void write_element(void* dev, Storage s, int64_t index, float value) {
  unsigned char raw[4];
  const size_t elt = storage_bytes(s);
  narrow(value, s, raw);
  TB_CUDA_CHECK(cudaMemcpy(static_cast<unsigned char*>(dev) + static_cast<size_t>(index) * elt, raw, elt,
                           cudaMemcpyHostToDevice));
}

}  // namespace tb::kernels::cuda
