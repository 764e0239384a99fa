#include "harness/compare/format.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/common/human_format.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::compare {

std::string run_letter(size_t i) {
  std::string s;
  ++i;
  while (i > 0) {
    s.insert(s.begin(), static_cast<char>('A' + (i - 1) % 26));
    i = (i - 1) / 26;
  }
  return s;
}

namespace {

std::string heading(const std::string& title, TableFormat f) {
  return f == TableFormat::Markdown ? fmt::format("\n### {}\n\n", title) : fmt::format("\n{}\n", title);
}

std::string num(double v, int digits = 1) { return fmt::format("{:.{}f}", v, digits); }
// A 175B step on a CPU makes well under one token a second: whole tokens would print 0.
std::string tokens_per_s(double v) { return v < 10 ? fmt::format("{:.3g}", v) : num(v, 0); }

}  // namespace

std::string format_side_by_side(const SideBySide& c, TableFormat f) {
  std::string out = f == TableFormat::Markdown ? "## trainbench compare\n\n" : "trainbench compare\n";
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const auto& r = c.runs[i];
    out += fmt::format("{}{} = {}{}{}\n", f == TableFormat::Markdown ? "- " : "  ", run_letter(i), r.label,
                       r.sku.empty() ? "" : fmt::format(", sku {}", r.sku),
                       r.peak_tflops > 0 ? fmt::format(", peak {:.4g} TFLOP/s {}", r.peak_tflops, r.peak_dtype) : "");
  }
  // The site every run's energy is weighed at (--site), as estimate weighs its own, and which of
  // its figures a flag replaced.
  if (c.site) {
    const SiteConfig& site = *c.site;
    out += fmt::format("{}site {}: PUE {:.2f}{}{}", f == TableFormat::Markdown ? "- " : "  ", site.name, site.pue,
                       assumed_suffix(site, "pue"), c.pue != site.pue ? fmt::format(" (--pue {:.2f} in use)", c.pue) : "");
    if (site.electricity_price_per_kwh)
      out += fmt::format(", electricity {:g} {} per kWh{}{}", *site.electricity_price_per_kwh, site.currency,
                         assumed_suffix(site, "electricity_price_per_kwh"),
                         c.electricity_source == "--electricity-price" ? " (--electricity-price in use)" : "");
    out += "\n";
  }

  Table k;
  k.headers = {"kernel", "shape", "dtype"};
  k.right_align = {false, false, false};
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const std::string L = run_letter(i);
    for (const auto& h : {L + " ms", L + " TFLOP/s|GB/s", L + " % peak"}) {
      k.headers.push_back(h);
      k.right_align.push_back(true);
    }
    if (i > 0) {
      k.headers.push_back(L + " vs A");
      k.right_align.push_back(true);
    }
  }
  for (const auto& row : c.kernels) {
    std::vector<std::string> cells = {row.name, row.shape, row.dtype};
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const auto& cell = row.cells[i];
      if (!cell.present) {
        cells.insert(cells.end(), {"-", "-", "-"});
      } else {
        cells.push_back(fmt::format("{:.4g}", cell.median_ms));
        // 742.8 on a GPU, 0.06784 on a CPU; a memory-bound kernel's rate is its bandwidth.
        cells.push_back(row.flops > 0 || !(cell.gbps > 0) ? fmt::format("{:.4g}", cell.tflops)
                                                          : fmt::format("{:.4g} GB/s", cell.gbps));
        cells.push_back(num(cell.pct_of_peak));
      }
      if (i > 0) {
        const auto& a = row.cells[0];
        cells.push_back(a.present && cell.present && cell.median_ms > 0 ? fmt::format("{:.2f}x", a.median_ms / cell.median_ms)
                                                                        : "-");
      }
    }
    k.add_row(std::move(cells));
  }
  out += heading("Kernels (median; \"vs A\" > 1.00x is faster than A)", f) + k.render(f);
  // The medians and their noise are robust to a few slow samples, so those are said here, as the
  // report's Kernels section and --json (runs' cells: samples, outliers) say them.
  std::vector<std::string> spiky;
  for (const auto& row : c.kernels)
    for (size_t i = 0; i < row.cells.size(); ++i)
      if (row.cells[i].present && row.cells[i].outliers > 0)
        spiky.push_back(fmt::format("{} {} {}: {} of {}", run_letter(i), row.name, row.shape, row.cells[i].outliers,
                                    row.cells[i].samples));
  if (!spiky.empty())
    out += fmt::format("{}Outliers (samples slower than the median + {:g} robust standard deviations: OS hiccups, "
                       "clock dips; the medians above are unaffected): {}\n",
                       f == TableFormat::Markdown ? "\n" : "", timing::kOutlierSigmas, fmt::join(spiky, "; "));

  bool any_step = false;
  for (const auto& r : c.runs) any_step = any_step || r.step.has_value();
  if (any_step) {
    Table s;
    s.headers = {"step"};
    s.right_align = {false};
    for (size_t i = 0; i < c.runs.size(); ++i) {
      s.headers.push_back(run_letter(i));
      s.right_align.push_back(true);
    }
    auto row = [&](const std::string& name, auto value) {
      std::vector<std::string> cells = {name};
      for (const auto& r : c.runs) cells.push_back(r.step ? value(*r.step, r) : "-");
      s.add_row(std::move(cells));
    };
    using SR = results::StepResult;
    // Steps of other shapes sit side by side only under --allow-different-shapes: each shape
    // figure that differs is said above the times it explains.
    auto shape_row = [&](const std::string& name, int64_t results::WorkloadInfo::*field) {
      bool differs = false;
      for (const auto& r : c.runs) differs = differs || r.workload.*field != c.runs.front().workload.*field;
      if (differs) row(name, [field](const SR&, const RunColumn& r) { return std::to_string(r.workload.*field); });
    };
    shape_row("tensor-parallel", &results::WorkloadInfo::tensor_parallel);
    shape_row("micro-batch (sequences)", &results::WorkloadInfo::micro_batch);
    shape_row("sequence (tokens)", &results::WorkloadInfo::seq_len);
    shape_row("micro-batches per optimizer step (M)", &results::WorkloadInfo::micro_batches);
    shape_row("data-parallel (optimizer shards)", &results::WorkloadInfo::data_parallel);
    row("step time (ms)", [](const SR& st, const RunColumn&) { return fmt::format("{:.4g}", st.step_ms); });
    row("tokens/s per GPU", [](const SR& st, const RunColumn&) { return tokens_per_s(st.tokens_per_s); });
    row("sustained TFLOP/s (executed FLOPs)", [](const SR& st, const RunColumn&) { return fmt::format("{:.4g}", st.sustained_tflops); });
    row("MFU (%)", [](const SR& st, const RunColumn&) { return num(100.0 * st.mfu); });
    row("HFU (%)", [](const SR& st, const RunColumn&) { return st.hfu > 0 ? num(100.0 * st.hfu) : std::string("-"); });
    out += heading("Training step (one GPU)", f) + s.render(f);
  }

  Table e;
  e.headers = {c.tokens > 0 ? fmt::format("training {} on {} tokens (measured throughput)", c.target_model,
                                          human_count(c.tokens))
                            : fmt::format("training {} (measured throughput)", c.target_model)};
  e.right_align = {false};
  for (size_t i = 0; i < c.runs.size(); ++i) {
    e.headers.push_back(run_letter(i));
    e.right_align.push_back(true);
  }
  auto erow = [&](const std::string& name, auto value) {
    std::vector<std::string> cells = {name};
    for (const auto& r : c.runs) cells.push_back(r.extrapolation.available ? value(r.extrapolation) : "-");
    e.add_row(std::move(cells));
  };
  // The model-FLOP rate of the step (model FLOPs / step time): the step table's "sustained" is the
  // hardware rate, a little higher where the attention backward recomputes.
  erow("model TFLOP/s per GPU (PaLM count, used)", [](const Extrapolation& x) { return fmt::format("{:.4g}", x.sustained_tflops); });
  erow("PF-days (6*N*D)", [](const Extrapolation& x) { return human_pf_days(x.pf_days); });
  // Whole GPU-hours: "1.6 K" beside "1.6 K" would hide the 1,567 against 1,601 a comparison is for.
  erow("GPU-hours", [](const Extrapolation& x) {
    return x.gpu_hours >= 1000 ? human_integer(x.gpu_hours) : fmt::format("{:.4g}", x.gpu_hours);
  });
  erow("GPUs", [](const Extrapolation& x) { return std::to_string(x.gpus); });
  erow("servers", [](const Extrapolation& x) {
    return x.servers ? fmt::format("{} x {}", *x.servers, x.gpus_per_server) : std::string("-");
  });
  erow("days", [](const Extrapolation& x) { return human_value(x.wall_days); });
  if (std::any_of(c.runs.begin(), c.runs.end(),
                  [](const RunColumn& r) { return r.extrapolation.answer.goodput.has_value(); }))
    erow("goodput (%, interruptions)", [](const Extrapolation& x) {
      return x.answer.goodput ? num(100.0 * x.answer.goodput->fraction) : std::string("-");
    });
  if (std::any_of(c.runs.begin(), c.runs.end(), [](const RunColumn& r) { return r.extrapolation.layout.has_value(); })) {
    // --layout auto: the layout each SKU's memory allows, and what communication costs it.
    erow("layout (--layout auto)", [](const Extrapolation& x) { return x.layout.value_or("-"); });
    erow("scaling efficiency (%)", [](const Extrapolation& x) {
      return x.answer.scaling ? num(100.0 * x.answer.scaling->efficiency) : std::string("-");
    });
    // The days above are the step's MFU after the scaling loss: that MFU end to end.
    erow("MFU end to end (%, after scaling)", [](const Extrapolation& x) {
      return x.answer.mfu_end_to_end ? num(100.0 * *x.answer.mfu_end_to_end) : std::string("-");
    });
    erow("memory per GPU (%)", [](const Extrapolation& x) {
      return x.answer.memory && x.answer.memory->fit ? num(100.0 * x.answer.memory->fit->used_fraction)
                                                     : std::string("-");
    });
  }
  erow(fmt::format("energy (MWh, PUE {:.2f})", c.pue), [](const Extrapolation& x) {
    if (!x.energy_mwh) return std::string("n/a (no TDP)");
    return fmt::format("{} ({:.0f} W {})", human_value(*x.energy_mwh), *x.power_w, x.power_measured ? "measured" : "TDP");
  });
  erow("cost (rental)", [](const Extrapolation& x) {
    return x.cost ? human_money(*x.cost, x.currency) : std::string("n/a (no price)");
  });
  if (std::any_of(c.runs.begin(), c.runs.end(), [](const RunColumn& r) { return r.extrapolation.electricity_cost; })) {
    erow(fmt::format("electricity ({})", c.electricity_source), [](const Extrapolation& x) {
      return x.electricity_cost ? human_money(*x.electricity_cost, x.electricity_currency) : std::string("n/a (no power)");
    });
    erow("rental + electricity", [](const Extrapolation& x) {
      return x.rental_and_electricity ? human_money(*x.rental_and_electricity, x.electricity_currency) : std::string("-");
    });
  }
  out += heading("Extrapolation", f) + e.render(f);
  // The procurement answer in one line each: which run needs the least of what is paid for.
  const std::string bullet = f == TableFormat::Markdown ? "\n- " : "  ";
  auto best_line = [&](const std::string& what, const std::optional<size_t>& i, const std::string& value) {
    if (i) out += fmt::format("{}{}: {} {} ({})\n", bullet, what, run_letter(*i), c.runs[*i].label, value);
  };
  if (c.best.gpu_hours)
    best_line("fewest GPU-hours", c.best.gpu_hours, human_count(c.runs[*c.best.gpu_hours].extrapolation.gpu_hours));
  if (c.best.energy)
    best_line("least energy", c.best.energy, human_value(*c.runs[*c.best.energy].extrapolation.energy_mwh) + " MWh");
  if (c.best.cost) {
    const auto& x = c.runs[*c.best.cost].extrapolation;
    // Among the priced runs only: an unpriced one could be cheaper.
    std::vector<std::string> unpriced;
    for (size_t i = 0; i < c.runs.size(); ++i)
      if (c.runs[i].extrapolation.available && !c.runs[i].extrapolation.cost) unpriced.push_back(run_letter(i));
    const bool total = c.best.cost_totals;
    best_line(among_priced(c.best.cost_what, unpriced), c.best.cost,
              total ? human_money(*x.rental_and_electricity, x.electricity_currency) : human_money(*x.cost, x.currency));
  }
  if (!c.best.cost_why_none.empty())
    out += fmt::format("{}{}: none — {}\n", bullet, c.best.cost_what, c.best.cost_why_none);
  for (const auto& tie : c.best.ties) {
    std::vector<std::string> letters;
    for (size_t i : tie.runs) letters.push_back(run_letter(i));
    out += fmt::format("{}{}: a tie between {}\n", bullet, tie.what, fmt::join(letters, ", "));
  }
  for (size_t i = 0; i < c.runs.size(); ++i)
    if (!c.runs[i].extrapolation.unusable.empty())
      out += fmt::format("{}{}: no answer to buy: {}\n", bullet, run_letter(i), c.runs[i].extrapolation.unusable);
  for (size_t i = 0; i < c.runs.size(); ++i)
    if (!c.runs[i].extrapolation.available)
      out += fmt::format("{}{}: no extrapolation: {}\n", f == TableFormat::Markdown ? "\n" : "  ", run_letter(i),
                         c.runs[i].extrapolation.why_not);
  for (const auto& note : c.notes) out += fmt::format("{}note: {}\n", bullet, note);
  return out;
}

namespace {

// What each rule that decided an item means, for the header: the rules actually used.
std::string describe_rule(const std::string& rule, const RegressionReport& r) {
  if (rule == "u-test") return "the U test on each kernel's samples (>= " + std::to_string(r.options.min_samples) + " a side)";
  if (rule == "u-test over runs")
    return fmt::format("the U test over the runs' medians ({} vs {} runs)", r.baseline_runs, r.current_runs);
  if (rule == "run ranges")
    return fmt::format("run ranges (every current run beyond every baseline run; {} vs {} runs)", r.baseline_runs,
                       r.current_runs);
  if (rule == "rank among baseline runs")
    return fmt::format("the current run median{} ranked among the baseline's ({} vs {} runs; one-sided exact rank test)",
                       r.current_runs == 1 ? "" : "s", r.baseline_runs, r.current_runs);
  if (rule == "noise-band")
    return fmt::format("2-standard-error bands (fewer than {} samples, or the step of single runs)", r.options.min_samples);
  if (rule == "failed") {
    const int failed = r.count(Verdict::Failed), still = r.count(Verdict::StillFailing);
    if (still == 0)
      return fmt::format("none for {} kernel(s) that failed in the current run (a regression whatever the times)",
                         failed);
    return fmt::format("none for {} kernel(s) that failed in the current run ({} of them failing in every baseline run "
                       "too: still failing, not a regression)",
                       failed + still, still);
  }
  if (rule == "one side")
    return fmt::format("none for {} kernel(s) with one side's measurements only (missing tonight, new, or failing in "
                       "every baseline run)",
                       r.count(Verdict::Missing) + r.count(Verdict::New) + r.count(Verdict::Fixed));
  if (rule == "unjudged") {
    const auto n = std::count_if(r.items.begin(), r.items.end(), [](const ItemVerdict& i) { return i.rule == "unjudged"; });
    return fmt::format("none for {} item(s) not judged (no noise estimate, too noisy, or a step of other kernels)", n);
  }
  return rule;
}

}  // namespace

std::string format_regressions(const RegressionReport& r, TableFormat f) {
  const char* bullet = f == TableFormat::Markdown ? "- " : "  ";
  std::string out = f == TableFormat::Markdown ? "## trainbench regression check\n\n" : "trainbench regression check\n";
  std::vector<std::string> rules;
  for (const auto& rule : r.rules_used()) rules.push_back(describe_rule(rule, r));
  out += fmt::format("{}baseline: {}\n{}current:  {}\n{}rule: slower than the baseline by more than {:.1f}% and "
                     "beyond noise, by {}\n",
                     bullet, r.baseline_origin, bullet, r.current_origin, bullet, 100.0 * r.options.threshold,
                     fmt::join(rules, "; "));
  // The guarantee only where it holds: samples within one run share its conditions, so a family
  // judged on them bounds nothing about the runs.
  if (r.family_size > 0 && r.options.correction == Correction::Holm && !r.false_alarms_bounded())
    out += fmt::format("{}p-values: Holm-Bonferroni over the {} items judged by one (--correction holm), on within-run "
                       "samples only: run-to-run variance was not measured ({} vs {} run(s)), so false alarms are not "
                       "bounded by alpha {}\n",
                       bullet, r.family_size, r.baseline_runs, r.current_runs, r.options.alpha);
  else if (r.family_size > 0)
    out += r.options.correction == Correction::Holm
               ? fmt::format("{}p-values: Holm-Bonferroni over the {} items judged by one (--correction holm): the "
                             "chance of any false alarm in this job is at most alpha {}\n",
                             bullet, r.family_size, r.options.alpha)
               : fmt::format("{}p-values: each of the {} items at alpha {} (--correction none: false alarms grow with "
                             "the number of kernels)\n",
                             bullet, r.family_size, r.options.alpha);
  Table t;
  // Collectives are judged by time; their busbw beside it is the figure their users read.
  const bool busbw = std::any_of(r.items.begin(), r.items.end(),
                                 [](const ItemVerdict& i) { return i.baseline_busbw_gb_s.has_value(); });
  t.headers = {"kernel", "baseline ms", "current ms"};
  if (busbw) t.headers.insert(t.headers.end(), {"baseline busbw (GB/s)", "current busbw (GB/s)"});
  t.headers.insert(t.headers.end(), {"change", "p-value", "adjusted p", "rule", "verdict"});
  t.right_align.assign(t.headers.size(), true);
  t.right_align.front() = false;
  t.right_align[t.headers.size() - 2] = t.right_align.back() = false;
  auto p_cell = [](const std::optional<double>& p) { return p ? fmt::format("{:.3g}", *p) : std::string("-"); };
  auto gb_s = [](const std::optional<double>& v) { return v ? fmt::format("{:.2f}", *v) : std::string("-"); };
  for (const auto& i : r.items) {
    // A side without a time to compare (it failed, or lacks the kernel) shows none, and no change.
    const bool no_baseline = i.verdict == Verdict::New || i.verdict == Verdict::Fixed ||
                             i.verdict == Verdict::StillFailing;
    const bool no_current = i.verdict == Verdict::Failed || i.verdict == Verdict::Missing ||
                            i.verdict == Verdict::StillFailing;
    std::vector<std::string> row = {i.key, no_baseline ? "-" : fmt::format("{:.4g}", i.baseline_ms),
                                    no_current ? "-" : fmt::format("{:.4g}", i.current_ms)};
    if (busbw)
      row.insert(row.end(), {no_baseline ? "-" : gb_s(i.baseline_busbw_gb_s), no_current ? "-" : gb_s(i.current_busbw_gb_s)});
    row.insert(row.end(), {no_baseline || no_current ? "-" : fmt::format("{:+.2f}%", 100.0 * i.change),
                           p_cell(i.p_value), p_cell(i.adjusted_p_value), i.rule, to_string(i.verdict)});
    t.add_row(std::move(row));
  }
  out += heading("Results", f) + t.render(f);
  // The first suspects of a regression: what changed on the machine since the baseline.
  out += heading("Environment", f);
  if (r.environment.empty())
    out += fmt::format("{}unchanged since the baseline (driver, CUDA, cuBLAS, NCCL, BLAS, clocks, host, build, each "
                       "kernel's algorithm)\n",
                       bullet);
  for (const auto& e : r.environment)
    out += fmt::format("{}{}: {} -> {}\n", bullet, e.kernel.empty() ? e.field : fmt::format("{} of {}", e.field, e.kernel),
                       e.baseline.empty() ? "(not recorded)" : e.baseline, e.current.empty() ? "(not recorded)" : e.current);
  if (!r.notes.empty()) {
    out += heading("Notes", f);
    for (const auto& n : r.notes) out += fmt::format("{}{}\n", bullet, n);
  }
  const int n = r.regressions();
  const int unjudged = r.unjudged();
  const std::string not_judged = unjudged > 0 ? fmt::format(", {} not judged", unjudged) : "";
  out += "\n";
  if (n == 0 && r.inconclusive_items() > 0) {
    // Never "No regression" over items the measurements could not judge: one of them may be it.
    out += fmt::format("INCONCLUSIVE: no item slower beyond threshold and noise, but {} of {} item(s) could not be "
                       "judged (exit 3):\n",
                       r.inconclusive_items(), r.items.size());
    for (const auto& i : r.items)
      if (i.verdict == Verdict::Missing)
        out += fmt::format("{}{} MISSING: {}\n", bullet, i.key, i.reason);
      else if (leaves_inconclusive(i))
        out += fmt::format("{}{} ({:+.2f}%): {}\n", bullet, i.key, 100.0 * i.change, i.reason);
  } else if (n == 0) {
    out += fmt::format("No regression: {} item(s) compared{}, {} faster beyond noise.\n", r.items.size(), not_judged,
                       r.improvements());
  } else {
    const auto failed = std::count_if(r.items.begin(), r.items.end(), [](const ItemVerdict& i) {
      return i.verdict == Verdict::Failed;
    });
    out += failed == 0 ? fmt::format("REGRESSION: {} of {} item(s) slower beyond threshold and noise:\n", n,
                                     r.items.size())
                       : fmt::format("REGRESSION: {} of {} item(s) failed in the current run or slower beyond "
                                     "threshold and noise:\n",
                                     n, r.items.size());
    for (const auto& i : r.items)
      if (i.verdict == Verdict::Failed)
        out += fmt::format("{}{} FAILED: {}\n", bullet, i.key, i.explanation);
    for (const auto& i : r.items)
      if (i.verdict == Verdict::Slower)
        out += fmt::format("{}{} is {:.2f}% slower: {}\n", bullet, i.key, 100.0 * i.change, i.explanation);
    for (const auto& i : r.items)  // also not judged: the regression decides, but they are said
      if (i.verdict == Verdict::Missing) out += fmt::format("{}{} MISSING: {}\n", bullet, i.key, i.reason);
  }
  // Kernels that pass unjudged, each said: a failure that is not new is still a failure.
  for (const auto& [verdict, label] : {std::pair{Verdict::StillFailing, "STILL FAILING"},
                                       std::pair{Verdict::Fixed, "FIXED"}, std::pair{Verdict::New, "NEW"}})
    for (const auto& i : r.items)
      if (i.verdict == verdict) out += fmt::format("{}{} {}: {}\n", bullet, i.key, label, i.explanation);
  return out;
}

}  // namespace tb::compare
