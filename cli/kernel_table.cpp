#include "cli/kernel_table.hpp"

#include <fmt/ostream.h>

#include "cli/convergence_note.hpp"
#include "harness/common/human_format.hpp"

namespace tb::cli {

// "se(med)": the median's relative standard error, which --noise targets; nvbench's "Noise" is one
// sample's relative standard deviation (the JSON's rel_stddev), larger by about sqrt(samples).
void print_kernel_table(std::ostream& out, const std::vector<results::KernelResult>& kernels) {
  fmt::print(out, "{:<18} {:<24} {:<5} {:>10} {:>11} {:>13} {:>7} {:>7} {:>7}  {}\n", "kernel", "shape", "dtype",
             "FLOP|byte", "median ms", "rate", "% peak", "se(med)", "samples", "check");
  for (const auto& k : kernels) {
    const bool compute = k.flops > 0;
    const std::string work = compute ? sci(k.flops) : human_bytes_si(k.bytes);
    if (k.status != "ok" && k.stats.samples == 0) {
      fmt::print(out, "{:<18} {:<24} {:<5} {:>10} {:>11}  {}: {}\n", k.name, k.shape, k.dtype, work, "-", k.status,
                 k.error);
      continue;
    }
    const std::string rate = compute ? fmt::format("{:.3f} TF/s", k.tflops) : fmt::format("{:.1f} GB/s", k.gbps);
    const std::string peak = k.pct_of_peak > 0 ? fmt::format("{:.1f}%", k.pct_of_peak) : "-";
    std::string check = k.status != "ok" ? k.status : k.verified ? "verified" : "UNVERIFIED";
    // "verified CLOCK-DROPPED" as before the discards; "verified, 3 throttled samples retaken".
    if (const std::string t = throttle_text(k); !t.empty()) check += (k.clocks->clock_dropped ? " " : ", ") + t;
    if (const std::string o = outliers_text(k); !o.empty()) check += ", " + o;
    fmt::print(out, "{:<18} {:<24} {:<5} {:>10} {:>11.4f} {:>13} {:>7} {} {:>7}  {}\n", k.name, k.shape, k.dtype,
               work, k.stats.median_ms, rate, peak, noise_cell(k, 7), k.stats.samples, check);
    if (k.status != "ok" && !k.error.empty()) fmt::print(out, "  {}\n", k.error);
    if (const std::string note = padding_note(k); !note.empty()) fmt::print(out, "  {}\n", note);
  }
}

std::string padding_note(const results::KernelResult& k) {
  const auto padded = k.dims.find("padded_head_dim"), d = k.dims.find("head_dim");
  if (padded == k.dims.end() || d == k.dims.end() || padded->second == d->second) return "";
  return fmt::format("head dim {} run padded to {} (zero columns; FLOPs and bytes are head dim {}'s)", d->second,
                     padded->second, d->second);
}

std::string throttle_text(const results::KernelResult& k) {
  if (!k.clocks) return "";
  std::string text = k.clocks->clock_dropped ? "CLOCK-DROPPED" : "";
  if (const int64_t n = k.clocks->throttled_samples_discarded; n > 0)
    text += fmt::format("{}{} throttled sample{} retaken", text.empty() ? "" : ", ", n, n == 1 ? "" : "s");
  return text;
}

}  // namespace tb::cli
