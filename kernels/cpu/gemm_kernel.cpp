#include "kernels/cpu/gemm_kernel.hpp"

#include "kernels/cpu/blas_shim.hpp"
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/gemm_reference.hpp"

namespace tb::kernels::cpu {
namespace {

using SbgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, float,
                          const uint16_t*, blasint, const uint16_t*, blasint, float, float*, blasint);

SbgemmFn sbgemm() {
  static const SbgemmFn fn = reinterpret_cast<SbgemmFn>(dlsym(RTLD_DEFAULT, "cblas_sbgemm"));
  return fn;
}

// SplitMix64 (Steele, Lea & Flood 2014): fast, seedable, good enough for test data.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1) with 24 random bits: exact in float, so every format sees the same values.
  float uniform() { return static_cast<float>(static_cast<double>(next() >> 40) * 0x1p-23 - 1.0); }
};

int storage_bytes(DType dtype) { return dtype == DType::FP64 ? 8 : dtype == DType::BF16 ? 2 : 4; }

struct Sizes {
  double a = 0, b = 0, c = 0;  // elements of one group
};
Sizes sizes(const GemmShape& s) {
  return {static_cast<double>(s.m) * s.k, static_cast<double>(s.k) * s.n, static_cast<double>(s.m) * s.n};
}

// One set of operands: every group's A, B and C.
double set_bytes(const Op& op) {
  const Sizes e = sizes(op.gemm);
  const int in = storage_bytes(op.dtype);
  const int out = op.dtype == DType::FP64 ? 8 : 4;  // sbgemm writes fp32
  return static_cast<double>(op.gemm.batch) * ((e.a + e.b) * in + e.c * out);
}

// Enough copies that cycling through them touches more than twice the last-level cache: by the
// time a copy comes round again, it has been evicted (the CPU analogue of nvbench's L2 flush,
// without a flush's cost in every sample). A batch is one set: its groups together.
int64_t copies_for(const Op& op, double llc_bytes) {
  const double per_set = std::max(set_bytes(op), 64.0);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(2.0 * llc_bytes / per_set)));
}

// Each group's inputs from its own seed, group 0's from the run's seed as before batches: groups
// that differ catch a launch that reads one group's operands for another's.
uint64_t group_seed(uint64_t seed, int64_t group) {
  return seed + static_cast<uint64_t>(group) * 0x632be59bd9b4e019ull;
}

template <typename In, typename Out>
class GemmKernel final : public Kernel, public ColdInputs {
 public:
  GemmKernel(const Op& op, const PrepareOptions& options, int64_t copies)
      : op_(op), copies_(copies), batch_(op.gemm.batch), seed_(options.seed) {
    const Sizes e = sizes(op.gemm);
    na_ = static_cast<size_t>(e.a), nb_ = static_cast<size_t>(e.b), nc_ = static_cast<size_t>(e.c);
    const size_t sets = static_cast<size_t>(copies_ * batch_);
    a_.resize(na_ * sets);
    b_.resize(nb_ * sets);
    c_.assign(nc_ * sets, Out(0));
    std::vector<float> a_img, b_img;
    for (int64_t g = 0; g < batch_; ++g) {
      In* a = a_.data() + static_cast<size_t>(g) * na_;
      In* b = b_.data() + static_cast<size_t>(g) * nb_;
      if constexpr (std::is_same_v<In, float>) {
        // Copy 0 of the inputs is the reference itself: no float images beside them, so the memory
        // check (gemm_bytes_needed) counts what is really held at the peak.
        SplitMix64 rng{group_seed(seed_, g)};
        for (size_t i = 0; i < na_; ++i) a[i] = rng.uniform();
        for (size_t i = 0; i < nb_; ++i) b[i] = rng.uniform();
      } else {
        images(g, a_img, b_img);
        for (size_t i = 0; i < na_; ++i) a[i] = convert(a_img[i]);
        for (size_t i = 0; i < nb_; ++i) b[i] = convert(b_img[i]);
      }
    }
    const size_t group_a = na_ * static_cast<size_t>(batch_), group_b = nb_ * static_cast<size_t>(batch_);
    for (int64_t c = 1; c < copies_; ++c) {
      std::memcpy(a_.data() + c * group_a, a_.data(), group_a * sizeof(In));
      std::memcpy(b_.data() + c * group_b, b_.data(), group_b * sizeof(In));
    }
  }

  void next_cold_inputs() override { current_ = (current_ + 1) % copies_; }

  // One OpenBLAS call per group: OpenBLAS has no batched GEMM, and the groups' own calls are what
  // a grouped GEMM's work is, less the launches a GPU saves.
  void launch() override {
    const auto& s = op_.gemm;
    const bool ta = transposes_a(s.layout), tb = transposes_b(s.layout);
    const auto m = static_cast<blasint>(s.m), n = static_cast<blasint>(s.n), k = static_cast<blasint>(s.k);
    const blasint lda = ta ? m : k, ldb = tb ? k : n;
    const CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans, trb = tb ? CblasTrans : CblasNoTrans;
    for (int64_t g = 0; g < batch_; ++g) {
      const size_t set = static_cast<size_t>(current_ * batch_ + g);
      const In* a = a_.data() + set * na_;
      const In* b = b_.data() + set * nb_;
      Out* c = c_.data() + set * nc_;
      if constexpr (std::is_same_v<In, double>) {
        cblas_dgemm(CblasRowMajor, tra, trb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
      } else if constexpr (std::is_same_v<In, float>) {
        cblas_sgemm(CblasRowMajor, tra, trb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
      } else {
        sbgemm()(CblasRowMajor, tra, trb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
      }
    }
  }

  VerifyResult verify() override {
    return verify_gemm_groups(batch_, [&](int64_t g) {
      std::vector<float> a_img, b_img;
      GemmOperands ops = operands(g, a_img, b_img);
      return verify_gemm(ops, output(g), op_.dtype);
    });
  }

  void corrupt_output_for_testing() override {
    // Off by the full error scale of element (0,0) of the last group (verification must look past
    // the first): a relative error of about 1, far above any dtype's tolerance, yet finite, so the
    // value check (not the NaN check) has to catch it.
    const int64_t g = batch_ - 1;
    std::vector<float> a_img, b_img;
    const ReferenceElement ref = gemm_reference_element(operands(g, a_img, b_img), 0, 0);
    c_[static_cast<size_t>(current_ * batch_ + g) * nc_] =
        static_cast<Out>(ref.value + std::fabs(ref.value) + ref.abs_sum + 1.0);
  }

  double bytes_allocated() const override {
    return static_cast<double>(a_.size() + b_.size()) * sizeof(In) + static_cast<double>(c_.size()) * sizeof(Out);
  }

  std::string algorithm() const override {
    const char* name = std::is_same_v<In, double> ? "dgemm" : std::is_same_v<In, float> ? "sgemm" : "sbgemm";
    return fmt::format("OpenBLAS cblas_{} ({} threads, {}; {} rotated input copies{})", name,
                       openblas_get_num_threads(), openblas_get_corename(), copies_,
                       batch_ > 1 ? fmt::format("; one call per group of {}", batch_) : "");
  }

 private:
  static In convert(float x) {
    if constexpr (std::is_same_v<In, uint16_t>) return float_to_bf16(x);
    else return static_cast<In>(x);
  }
  // The exact float images of group g's inputs: what the kernel consumes (bf16-rounded for
  // sbgemm), regenerated from the group's seed rather than held beside the inputs.
  void images(int64_t g, std::vector<float>& a, std::vector<float>& b) const {
    SplitMix64 rng{group_seed(seed_, g)};
    a.resize(na_);
    b.resize(nb_);
    for (auto& x : a) x = rng.uniform();
    for (auto& x : b) x = rng.uniform();
    if constexpr (std::is_same_v<In, uint16_t>) {
      for (auto& x : a) x = round_to_bf16(x);
      for (auto& x : b) x = round_to_bf16(x);
    }
  }
  // Group g's operands as the reference reads them; `a_img`/`b_img` hold them where the inputs
  // are not floats already.
  GemmOperands operands(int64_t g, std::vector<float>& a_img, std::vector<float>& b_img) const {
    GemmShape one = op_.gemm;
    one.batch = 1;
    if constexpr (std::is_same_v<In, float>) {
      return {one, {a_.data() + static_cast<size_t>(g) * na_, na_}, {b_.data() + static_cast<size_t>(g) * nb_, nb_}};
    } else {
      images(g, a_img, b_img);
      return {one, a_img, b_img};
    }
  }
  std::span<const Out> output(int64_t g) const {
    return {c_.data() + static_cast<size_t>(current_ * batch_ + g) * nc_, nc_};
  }

  Op op_;
  int64_t copies_;
  int64_t batch_;
  uint64_t seed_;
  int64_t current_ = 0;
  size_t na_ = 0, nb_ = 0, nc_ = 0;  // elements of one group
  std::vector<In> a_, b_;            // copy-major, then group: set (copy, g) at (copy·batch + g)·n
  std::vector<Out> c_;
};

}  // namespace

bool bf16_gemm_available() { return sbgemm() != nullptr; }

std::vector<DType> supported_gemm_dtypes() {
  if (bf16_gemm_available()) return {DType::FP32, DType::BF16, DType::FP64};
  return {DType::FP32, DType::FP64};
}

std::string supported_gemm_dtypes_text() {
  std::string s;
  for (DType d : supported_gemm_dtypes()) {
    if (!s.empty()) s += ", ";
    s += to_string(d);
  }
  return s;
}

double gemm_bytes_needed(const Op& op, double llc_bytes) {
  const Sizes e = sizes(op.gemm);
  // One group's float images, while the inputs are made and while a group is verified.
  const double ref = op.dtype == DType::FP32 ? 0 : (e.a + e.b) * 4;
  const double held = set_bytes(op) * static_cast<double>(copies_for(op, llc_bytes)) + ref;
  // Headroom for what is not ours to count (OpenBLAS's per-thread buffers, the allocator, the rest
  // of the process): a check that passes by a hair lets the kernel's OOM killer end the run, and
  // a killed run writes nothing.
  return held * 1.1 + 256e6;
}

std::unique_ptr<Kernel> make_gemm_kernel(const Op& op, const PrepareOptions& options, double llc_bytes,
                                         double free_bytes) {
  validate_gemm_shape(op.gemm);
  const std::pair<const char*, int64_t> dims[] = {{"-m", op.gemm.m}, {"-n", op.gemm.n}, {"-k", op.gemm.k}};
  for (const auto& [flag, v] : dims)
    if (v > std::numeric_limits<blasint>::max())
      throw UsageError(fmt::format("{} = {} exceeds OpenBLAS's 32-bit index limit ({})", flag, v,
                                   std::numeric_limits<blasint>::max()));
  const auto supported = supported_gemm_dtypes();
  if (std::find(supported.begin(), supported.end(), op.dtype) == supported.end()) {
    const std::string why = op.dtype == DType::BF16
                                ? " (this OpenBLAS was built without BUILD_BFLOAT16: no cblas_sbgemm)"
                                : "";
    throw UnsupportedError(fmt::format("{} GEMM is not supported on the CPU backend{}; supported dtypes: {}",
                                       to_string(op.dtype), why, supported_gemm_dtypes_text()));
  }
  const double needed = gemm_bytes_needed(op, llc_bytes);
  if (needed > free_bytes)
    throw OutOfMemoryError(fmt::format("GEMM {} in {} needs {:.3g} GB of host memory (inputs, output and their "
                                       "rotated copies, with 10% and 0.25 GB of headroom); {:.3g} GB available",
                                       op.shape_string(), to_string(op.dtype), needed / 1e9, free_bytes / 1e9));
  const int64_t copies = copies_for(op, llc_bytes);
  try {
    switch (op.dtype) {
      case DType::FP64: return std::make_unique<GemmKernel<double, double>>(op, options, copies);
      case DType::BF16: return std::make_unique<GemmKernel<uint16_t, float>>(op, options, copies);
      default: return std::make_unique<GemmKernel<float, float>>(op, options, copies);
    }
  } catch (const std::bad_alloc&) {
    throw OutOfMemoryError(fmt::format("GEMM {} in {}: allocating {:.3g} GB failed", op.shape_string(),
                                       to_string(op.dtype), needed / 1e9));
  }
}

}  // namespace tb::kernels::cpu
