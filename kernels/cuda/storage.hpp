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

// Synchronous copies; the values are widened exactly (float_formats.hpp).
std::vector<float> copy_to_host_floats(const void* dev, Storage s, int64_t count);
float read_element(const void* dev, Storage s, int64_t index);
void write_element(void* dev, Storage s, int64_t index, float value);

}  // namespace tb::kernels::cuda
