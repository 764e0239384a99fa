#pragma once
// CPU attention kernels (forward/backward) for the CPU backend. Owned by the attention work.
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

// op.kind is AttentionForward or AttentionBackward; options.attention_impl picks fused|unfused.
std::unique_ptr<Kernel> make_attention_kernel(const Op& op, const PrepareOptions& options);

}  // namespace tb::kernels::cpu
