#pragma once
// Element storage formats of device buffers, random fills, and copies back to the host widened
// exactly to float (for verification against the fp64 references).
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "harness/hardware/sku_config.hpp"

namespace tb::kernels::cuda {

enum class Storage { F32, BF16, F16, E4M3, E5M2 };
size_t storage_bytes(Storage s);
const char* to_string(Storage s);

// value(i) = offset + scale·memops::hash_uniform(seed, i), rounded to the storage format on the
// device (fill.cu). Random, never all zeros: zero inputs read ~10% fast on H100 (MISSION.md).
void fill_uniform(void* dev, Storage s, int64_t count, uint64_t seed, float offset, float scale, cudaStream_t stream);

// Synchronous copies; the values are widened exactly (float_formats.hpp), on all host CPUs: a
// Llama 3 8B logits GEMM's operands are half a billion elements, seconds on one core.
std::vector<float> copy_to_host_floats(const void* dev, Storage s, int64_t count);
// Rows `rows` (in that order) of a row-major tensor `cols` wide: what verification reads of a
// memory-bound op's tensors, instead of all of them.
std::vector<float> copy_rows_to_host_floats(const void* dev, Storage s, int64_t cols, const std::vector<int64_t>& rows);
// The elements at `indices`, in that order: a GEMM's C where verification samples it.
std::vector<float> gather_to_host_floats(const void* dev, Storage s, const std::vector<int64_t>& indices);
float read_element(const void* dev, Storage s, int64_t index);
void write_element(void* dev, Storage s, int64_t index, float value);

}  // namespace tb::kernels::cuda
