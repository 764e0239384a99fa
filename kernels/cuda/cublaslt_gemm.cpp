// Row-major GEMMs on column-major cuBLASLt by operand swap (cublas_layout.hpp has the table).
// We chose the swap over CUBLASLT_ORDER_ROW because the heuristic and the fast Hopper kernels
// are tuned for column-major (ORDER_COL) layouts, which is also what PyTorch does for
// torch.matmul; ORDER_ROW narrows the algorithms cuBLASLt offers.
// FP8 on Hopper supports only "TN" (cuBLAS A transposed, B not): our dgrad. For fp8 every
// layout's operands are therefore stored as dgrad stores them (B as N×K), as Transformer Engine
// keeps transposed fp8 copies of weights and activations; shape and FLOPs are unchanged, and
// algorithm() says so. Output of an fp8 GEMM is bf16, with unit scales for A and B; forward fp8
// GEMMs accumulate fast, as Transformer Engine's do (cublas_layout.hpp, fp8_fast_accumulation).
// Operand formats follow TE's HYBRID recipe by the GEMM's role: e4m3 x e4m3 forward, the gradient
// dY in e5m2 in dgrad and wgrad (op.hpp, fp8_gemm_operands).
// A batch (GemmShape::batch, a MoE layer's grouped expert GEMM under balanced routing) is one
// strided batched matmul: every layout gets the batch count and its groups' stride
// (cublas_layout.hpp), each group its own A, B and C packed back to back.
#include "kernels/cuda/cublaslt_gemm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/common/gemm_reference.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cublas_layout.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

// Types of our row-major A and B (cuBLAS's B and A), of C, and the compute type.
struct TypeConfig {
  cudaDataType_t a, b, cd;
  Storage a_storage, b_storage, cd_storage;
  cublasComputeType_t compute;
};

cudaDataType_t fp8_type(Fp8Format f) { return f == Fp8Format::E5M2 ? CUDA_R_8F_E5M2 : CUDA_R_8F_E4M3; }
Storage fp8_storage(Fp8Format f) { return f == Fp8Format::E5M2 ? Storage::E5M2 : Storage::E4M3; }

TypeConfig type_config(const Op& op, int cc) {
  switch (op.dtype) {
    case DType::BF16: return {CUDA_R_16BF, CUDA_R_16BF, CUDA_R_16BF, Storage::BF16, Storage::BF16, Storage::BF16, CUBLAS_COMPUTE_32F};
    case DType::FP16: return {CUDA_R_16F, CUDA_R_16F, CUDA_R_16F, Storage::F16, Storage::F16, Storage::F16, CUBLAS_COMPUTE_32F};
    case DType::TF32: return {CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, Storage::F32, Storage::F32, Storage::F32, CUBLAS_COMPUTE_32F_FAST_TF32};
    case DType::FP32: return {CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, Storage::F32, Storage::F32, Storage::F32, CUBLAS_COMPUTE_32F};
    case DType::FP8: {
      if (cc < 89)
        throw UnsupportedError(fmt::format("gemm '{}': fp8 (e4m3, e5m2) needs compute capability 8.9 or newer "
                                           "(Ada, Hopper); this device is {}.{}",
                                           op.name, cc / 10, cc % 10));
      // By role, before the TN storage; cuBLAS's A is our B (cublas_layout.hpp).
      const CublasFp8Types t = cublas_fp8_types(op.gemm.layout);
      return {fp8_type(t.b), fp8_type(t.a), CUDA_R_16BF, fp8_storage(t.b), fp8_storage(t.a), Storage::BF16,
              CUBLAS_COMPUTE_32F};
    }
    default:
      throw UnsupportedError(fmt::format("gemm '{}': dtype {} is not measured on the CUDA backend; accepted: "
                                         "bf16, fp16, tf32, fp32, fp8",
                                         op.name, to_string(op.dtype)));
  }
}

// Owned cuBLASLt descriptors; a member, so they are released even when the constructor throws.
struct Descriptors {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  Descriptors() = default;
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  ~Descriptors() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    for (auto* l : {a, b, c})
      if (l) cublasLtMatrixLayoutDestroy(l);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

// Two events, destroyed on every path (a candidate's failure throws through them).
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() {
    TB_CUDA_CHECK(cudaEventCreate(&start));
    try {
      TB_CUDA_CHECK(cudaEventCreate(&stop));
    } catch (...) {
      cudaEventDestroy(start);
      throw;
    }
  }
  ~EventPair() {
    if (stop) cudaEventDestroy(stop);
    if (start) cudaEventDestroy(start);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
};

template <typename T>
T algo_attribute(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attr) {
  T value{};
  size_t written = 0;
  // Only names the algorithm in the results: a failure reads as 0, never as an error.
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &value, sizeof value, &written) != CUBLAS_STATUS_SUCCESS)
    return T{};
  return value;
}

class CublasLtGemm final : public Kernel {
 public:
  CublasLtGemm(const Op& op, const PrepareOptions& options, cudaStream_t stream, cublasLtHandle_t handle, int cc)
      : op_(op), types_(type_config(op, cc)), shape_(op.gemm), stream_(stream), handle_(handle) {
    validate_gemm_shape(shape_);
    if (op.dtype == DType::FP8) shape_.layout = GemmLayout::DataGrad;  // TN: see the file comment
    // cuBLASLt's fp8 kernels need 16-byte aligned leading dimensions (m, n, k multiples of 16):
    // refused here, clearly, rather than by whichever call would fail first.
    if (op.dtype == DType::FP8 && (shape_.m % kFp8GemmAlignment != 0 || shape_.n % kFp8GemmAlignment != 0 ||
                                   shape_.k % kFp8GemmAlignment != 0))
      throw UnsupportedError(fmt::format("gemm '{}' {}x{}x{} fp8: cuBLASLt's fp8 GEMMs need m, n and k multiples of 16",
                                         op.name, shape_.m, shape_.n, shape_.k));
    // cublasLt.h: CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT is an int32_t.
    if (shape_.batch > std::numeric_limits<int32_t>::max())
      throw UnsupportedError(fmt::format("gemm '{}': a batch of {} exceeds cuBLASLt's 32-bit batch count", op.name,
                                         shape_.batch));
    const int64_t m = shape_.m, n = shape_.n, k = shape_.k, groups = shape_.batch;
    const double need = gemm_operand_bytes(shape_, static_cast<double>(storage_bytes(types_.a_storage)),
                                           static_cast<double>(storage_bytes(types_.b_storage)),
                                           static_cast<double>(storage_bytes(types_.cd_storage))) +
                        static_cast<double>(kGemmWorkspaceBytes);
    check_fits(need, fmt::format("gemm '{}' {} {}", op.name, op.shape_string(), to_string(op.dtype)));
    a_ = DeviceBuffer(static_cast<size_t>(groups * m * k) * storage_bytes(types_.a_storage));
    b_ = DeviceBuffer(static_cast<size_t>(groups * k * n) * storage_bytes(types_.b_storage));
    c_ = DeviceBuffer(static_cast<size_t>(groups * m * n) * storage_bytes(types_.cd_storage));
    workspace_ = DeviceBuffer(kGemmWorkspaceBytes);
    // One stream of values over all groups: each group's operands differ from the others'.
    fill_uniform(a_.get(), types_.a_storage, groups * m * k, options.seed * 3 + 1, 0.0f, 1.0f, stream_);
    fill_uniform(b_.get(), types_.b_storage, groups * k * n, options.seed * 3 + 2, 0.0f, 1.0f, stream_);
    TB_CUDA_CHECK(cudaMemsetAsync(c_.get(), 0xff, c_.bytes(), stream_));  // NaN until written
    create_descriptors();
    choose_algorithm(std::max(1, options.gemm_candidates));
  }

  void launch() override { launch_with(algo_); }

  VerifyResult verify() override {
    wait_for_stream(stream_, "GEMM before verifying");
    GemmShape one = shape_;
    one.batch = 1;
    const int64_t na = shape_.m * shape_.k, nb = shape_.k * shape_.n, nc = shape_.m * shape_.n;
    const std::vector<int64_t> checked = gemm_check_indices(one);  // C is read back only there
    return verify_gemm_groups(shape_.batch, [&](int64_t g) {
      const auto a = copy_to_host_floats(group(a_, types_.a_storage, na, g), types_.a_storage, na);
      const auto b = copy_to_host_floats(group(b_, types_.b_storage, nb, g), types_.b_storage, nb);
      const auto c = gather_to_host_floats(group(c_, types_.cd_storage, nc, g), types_.cd_storage, checked);
      return verify_gemm_at(GemmOperands{one, a, b}, c, op_.dtype);
    });
  }

  double bytes_allocated() const override {
    return static_cast<double>(a_.bytes() + b_.bytes() + c_.bytes() + workspace_.bytes() + scales_.bytes());
  }

  std::string algorithm() const override { return algorithm_; }

  void corrupt_output_for_testing() override {
    wait_for_stream(stream_, "GEMM before planting a wrong value");
    // C[0][0] of the last group (verification must look past the first): a corner, which
    // gemm_check_positions always checks.
    const int64_t at = (shape_.batch - 1) * shape_.m * shape_.n;
    const float v = read_element(c_.get(), types_.cd_storage, at);
    write_element(c_.get(), types_.cd_storage, at, v + 1000.0f * (1.0f + std::abs(v)));
  }

 private:
  // Group g of a buffer of `batch` groups of `count` elements each.
  static const void* group(const DeviceBuffer& buf, Storage s, int64_t count, int64_t g) {
    return static_cast<const char*>(buf.get()) + static_cast<size_t>(g * count) * storage_bytes(s);
  }

  // The strided batch on a layout: left at cuBLASLt's defaults (one matrix) for a single GEMM.
  static void set_batch(cublasLtMatrixLayout_t layout, const ColumnMajorProblem& p, const StoredMatrix& x) {
    if (p.batch == 1) return;
    const int32_t count = static_cast<int32_t>(p.batch);
    const int64_t stride = x.batch_stride;
    TB_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count));
    TB_CUBLAS_CHECK(
        cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride));
  }

  void create_descriptors() {
    const ColumnMajorProblem p = column_major_problem(shape_);
    const bool ta = p.a.transposed, tb = p.b.transposed;
    TB_CUBLAS_CHECK(cublasLtMatmulDescCreate(&d_.desc, types_.compute, CUDA_R_32F));
    const cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    TB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d_.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opa, sizeof opa));
    TB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d_.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opb, sizeof opb));
    if (op_.dtype == DType::FP8) {
      scales_ = DeviceBuffer(2 * sizeof(float));
      const float ones[2] = {1.0f, 1.0f};
      // On stream_, so the matmuls are ordered after it: a plain cudaMemcpy runs on the legacy
      // default stream, which our cudaStreamNonBlocking stream does not wait for, and a pageable
      // H2D cudaMemcpy may return before its DMA lands. `ones` is staged before this returns.
      TB_CUDA_CHECK(cudaMemcpyAsync(scales_.get(), ones, sizeof ones, cudaMemcpyHostToDevice, stream_));
      const float* sa = scales_.as<float>();
      const float* sb = sa + 1;
      TB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d_.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof sa));
      TB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d_.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof sb));
      if (fp8_fast_accumulation(op_.dtype, op_.gemm.layout)) {
        const int8_t fast = 1;  // cublasLt.h: an int8_t flag, 0 (off) by default
        TB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d_.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof fast));
      }
    }
    // Stored (pre-op) dimensions, column-major; cuBLAS's A is our B and its B our A.
    TB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d_.a, types_.b, p.a.rows, p.a.cols, p.a.ld));
    TB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d_.b, types_.a, p.b.rows, p.b.cols, p.b.ld));
    TB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d_.c, types_.cd, p.c.rows, p.c.cols, p.c.ld));
    // C and D share d_.c (the matmul writes in place), so D has the batch too; the heuristic is
    // asked with these batched layouts.
    set_batch(d_.a, p, p.a);
    set_batch(d_.b, p, p.b);
    set_batch(d_.c, p, p.c);
    TB_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&d_.pref));
    const uint64_t ws = kGemmWorkspaceBytes;
    TB_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(d_.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  }

  void launch_with(const cublasLtMatmulAlgo_t& algo) {
    TB_CUBLAS_CHECK(cublasLtMatmul(handle_, d_.desc, &alpha_, b_.get(), d_.a, a_.get(), d_.b, &beta_,
                                   c_.get(), d_.c, c_.get(), d_.c, &algo, workspace_.get(),
                                   workspace_.bytes(), stream_));
  }

  // Index of the fastest candidate by the median of 5 event-timed launches after a warm-up. A
  // candidate that fails to launch is skipped; a lost device or exhausted memory is not a
  // candidate's fault and ends the choice.
  int fastest_candidate(const std::vector<cublasLtMatmulHeuristicResult_t>& results) {
    EventPair ev;
    int best = -1;
    double best_ms = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      std::vector<float> ms;
      try {
        launch_with(results[i].algo);  // warm-up
        for (int r = 0; r < 5; ++r) {
          TB_CUDA_CHECK(cudaEventRecord(ev.start, stream_));
          launch_with(results[i].algo);
          TB_CUDA_CHECK(cudaEventRecord(ev.stop, stream_));
          wait_for_event(ev.stop, fmt::format("gemm '{}': cuBLASLt candidate #{} of {}, timed to choose the algorithm",
                                              op_.name, i, results.size()));
          float t = 0;
          TB_CUDA_CHECK(cudaEventElapsedTime(&t, ev.start, ev.stop));
          ms.push_back(t);
        }
      } catch (const DeviceLostError&) {
        throw;
      } catch (const OutOfMemoryError&) {
        throw;
      } catch (const std::exception&) {
        continue;
      }
      std::nth_element(ms.begin(), ms.begin() + 2, ms.end());
      if (best < 0 || ms[2] < best_ms) best = static_cast<int>(i), best_ms = ms[2];
    }
    if (best < 0)
      throw RuntimeError(fmt::format("gemm '{}': none of cuBLASLt's {} candidates ran", op_.name, results.size()));
    return best;
  }

  // The heuristic's first choice, or with k > 1 the fastest of its top k by the median of a few
  // event-timed launches (no L2 flush: the candidates are compared with each other, on equal terms).
  void choose_algorithm(int k) {
    std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<size_t>(k));
    int returned = 0;
    const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, d_.desc, d_.a, d_.b, d_.c,
                                                             d_.c, d_.pref, k, results.data(), &returned);
    // NOT_SUPPORTED (or nothing returned) is the shape's answer; any other failure is a bug in our
    // descriptors and must not pass for "unsupported".
    if (st != CUBLAS_STATUS_SUCCESS && st != CUBLAS_STATUS_NOT_SUPPORTED) TB_CUBLAS_CHECK(st);
    // Only entries whose state is SUCCESS are valid (cublasLt.h, cublasLtMatmulHeuristicResult_t).
    std::vector<cublasLtMatmulHeuristicResult_t> usable;
    for (int i = 0; i < returned && st == CUBLAS_STATUS_SUCCESS; ++i)
      if (results[static_cast<size_t>(i)].state == CUBLAS_STATUS_SUCCESS) usable.push_back(results[static_cast<size_t>(i)]);
    if (usable.empty())
      throw UnsupportedError(fmt::format(
          "gemm '{}' {} {}: cuBLASLt has no algorithm for this shape/dtype/layout ({}){}", op_.name,
          op_.shape_string(), to_string(op_.dtype), cublasLtGetStatusString(st),
          op_.dtype == DType::FP8 ? "; fp8 needs m, n, k multiples of 16" : ""));
    results = std::move(usable);
    returned = static_cast<int>(results.size());
    int best = 0;
    if (returned > 1) {
      best = fastest_candidate(results);
      // The candidates wrote C; poison it again so that verify() still catches a launch() that
      // never writes it.
      TB_CUDA_CHECK(cudaMemsetAsync(c_.get(), 0xff, c_.bytes(), stream_));
    }
    algo_ = results[static_cast<size_t>(best)].algo;
    algorithm_ = fmt::format("cublasLt heuristic #{} of {} (algo {}, tile {}, stages {}, split-k {}){}{}{}{}", best,
                             returned, algo_attribute<int>(algo_, CUBLASLT_ALGO_CONFIG_ID),
                             algo_attribute<uint32_t>(algo_, CUBLASLT_ALGO_CONFIG_TILE_ID),
                             algo_attribute<uint32_t>(algo_, CUBLASLT_ALGO_CONFIG_STAGES_ID),
                             algo_attribute<int>(algo_, CUBLASLT_ALGO_CONFIG_SPLITK_NUM),
                             returned > 1 ? ", fastest timed" : "",
                             op_.dtype == DType::FP8 ? fp8_operands_text() : "",
                             fp8_fast_accumulation(op_.dtype, op_.gemm.layout) ? ", fast accumulation" : "",
                             shape_.batch > 1 ? fmt::format(", strided batch of {}", shape_.batch) : "");
  }

  std::string fp8_operands_text() const {
    const Fp8Operands f = fp8_gemm_operands(op_.gemm.layout);
    return fmt::format(", fp8 {} x {} stored TN (B as NxK)", to_string(f.a), to_string(f.b));
  }

  Op op_;
  TypeConfig types_;
  GemmShape shape_;  // as stored: fp8 forces DataGrad
  cudaStream_t stream_;
  cublasLtHandle_t handle_;
  DeviceBuffer a_, b_, c_, workspace_, scales_;
  Descriptors d_;
  cublasLtMatmulAlgo_t algo_{};
  std::string algorithm_;
  float alpha_ = 1.0f, beta_ = 0.0f;
};

}  // namespace

std::unique_ptr<Kernel> make_gemm_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream,
                                         cublasLtHandle_t handle, int compute_capability) {
  return std::make_unique<CublasLtGemm>(op, options, stream, handle, compute_capability);
}

}  // namespace tb::kernels::cuda
