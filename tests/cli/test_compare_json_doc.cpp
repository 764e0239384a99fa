// docs/compare-json.md states what `trainbench compare --json` writes in each mode: every key path
// some run below writes is a row of the doc's tables for its mode ("## Side by side", "##
// Regression gate", "## A refusal or an error"), and every row is a key one of them writes. Inside
// each run's `scaling`, `memory` and `interruptions`, estimate's objects, every key written is a
// row of docs/estimate-json.md instead (whose own test holds its rows to estimate's writer). The
// runs, on SYNTHETIC results files, cover each "when": a step and none, an extrapolation and none,
// --layout auto with a site, prices and interruptions, a tie, health files with a kernel stopped
// short of its noise target; a gate of single runs (the step by noise bands) with a changed driver
// and kernel algorithm, one of three runs a side, and a refusal; comm files side by side and gated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/report/synthetic_comm.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/doc_key_tables.hpp"
#include "tests/support/results_dir_test.hpp"

namespace tb::testing {
namespace {

using nlohmann::json;
using tb::testing::SyntheticCommSpec;

const std::string kDoc = "docs/compare-json.md";
const std::string kEstimateDoc = "docs/estimate-json.md";
const char* const kSideBySide = "## Side by side";
const char* const kGate = "## Regression gate";
const char* const kError = "## A refusal or an error";
const char* const kComm = "## Comm files side by side";
// Each run's extrapolation holds these objects of estimate --json, documented there.
const char* const kEstimateParts[] = {"scaling", "memory", "interruptions"};

std::string doc_text(const std::string& doc) { return read_text(std::string(TB_SOURCE_DIR) + "/" + doc); }

// The doc with every line outside the section under `heading` (up to the next "## ") blanked,
// so that each mode's tables are read alone and problems keep the doc's line numbers.
std::string section(const std::string& text, const std::string& heading) {
  std::istringstream in(text);
  std::string out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) inside = line.starts_with(heading);
    out += (inside ? line : std::string()) + "\n";
  }
  return out;
}

// What one mode's runs wrote, and, for side by side, the estimate objects inside them.
struct Written {
  std::vector<WrittenJson> side_by_side, gate, error, estimate_parts, comm;
};

// A side-by-side output as the doc's tables see it: each run's `group_ms` keyed by kernel group
// (data, not keys) emptied, and estimate's objects moved out to be checked against its doc.
void add_side_by_side(Written& w, const std::string& source, json j) {
  for (auto& run : j["runs"]) {
    run["group_ms"] = json::object();
    json parts = json::object();
    for (const char* part : kEstimateParts)
      if (run["extrapolation"].contains(part) && run["extrapolation"][part].is_object()) {
        parts[part] = run["extrapolation"][part];
        run["extrapolation"][part] = json::object();
      }
    if (!parts.empty()) w.estimate_parts.push_back({source + " " + run["letter"].get<std::string>(), parts});
  }
  w.side_by_side.push_back({source, j});
}

class CompareJsonDoc : public ResultsDirTest {
 protected:
  CompareJsonDoc() : ResultsDirTest("tb_compare_json_doc_") {}

  json compare(const std::vector<std::string>& args, std::string* source, int* exit_code = nullptr) {
    std::vector<std::string> all = {"compare"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--json");
    *source = "trainbench";
    for (const auto& a : all) *source += " " + std::filesystem::path(a).filename().string();
    const auto r = run_trainbench(all);
    if (exit_code) {
      *exit_code = r.exit_code;
    } else {
      EXPECT_EQ(r.exit_code, 0) << *source << "\n" << r.err;
    }
    try {
      return json::parse(r.out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << *source << ": not JSON (" << e.what() << "): " << r.out << r.err;
      return json::object();
    }
  }

  std::string synthetic(const std::string& name, SyntheticRunSpec spec) { return write(name, synthetic_run(spec)); }

  std::string gemm_file(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    const auto r = run_trainbench({"gemm", "-m", "48", "-n", "40", "-k", "24", "--device", "cpu", "--dtype", "fp32",
                                   "--max-time", "0.2", "--out", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  Written written() {
    Written w;
    std::string source;
    const std::string h100 = synthetic("h100.json", {});
    SyntheticRunSpec h200_spec;
    h200_spec.sku = "h200";
    h200_spec.device_name = "NVIDIA H200 (synthetic test data)";
    const std::string h200 = synthetic("h200.json", h200_spec);
    // Two SKUs, ideal scaling; then a layout per SKU at a site, priced, with interruptions.
    json j = compare({h100, h200}, &source);
    add_side_by_side(w, source, j);
    j = compare({h100, h200, "--gpus", "512", "--layout", "auto", "--site", "500p", "--mtbf-gpu-hours", "llama3",
                 "--gpu-hour-price", "A=2.5", "--gpu-hour-price", "B=3.1", "--currency", "USD"},
                &source);
    add_side_by_side(w, source, j);
    // One run in two files: a tie on every figure.
    j = compare({h100, synthetic("h100-copy.json", {})}, &source);
    add_side_by_side(w, source, j);
    // Files without a step: nothing to extrapolate.
    j = compare({gemm_file("g1.json"), gemm_file("g2.json")}, &source);
    add_side_by_side(w, source, j);
    // Health files (their verdict and checks), a kernel stopped short of its noise target.
    auto health = synthetic_run({});
    health.health = {{"verdict", "pass"},
                     {"checks", json::array({json{{"id", "gemm"},
                                                  {"status", "pass"},
                                                  {"measured", 700.0},
                                                  {"reference", 650.0},
                                                  {"unit", "TFLOP/s"},
                                                  {"detail", "at its sustained figure"}}})}};
    health.kernels[0].stop_reason = "max_samples";
    j = compare({write("health-a.json", health), write("health-b.json", health)}, &source);
    add_side_by_side(w, source, j);

    // The gate of single runs: U tests on samples, the step by noise bands; the driver and one
    // kernel's algorithm changed.
    auto base_run = synthetic_run({});
    base_run.machine.driver_version = "550.54.15";
    base_run.kernels[0].algorithm = "cublasLt algo 21";
    SyntheticRunSpec cur_spec;
    cur_spec.seed = 7;
    auto cur_run = synthetic_run(cur_spec);
    cur_run.machine.driver_version = "560.35.03";
    cur_run.kernels[0].algorithm = "cublasLt algo 6";
    int rc = 0;
    const std::string base = write("base.json", base_run), cur = write("cur.json", cur_run);
    json gate = compare({"--baseline", base, cur}, &source, &rc);
    w.gate.push_back({source, gate});
    EXPECT_TRUE(rc == 0 || rc == 1 || rc == 2) << source << ": exit " << rc;
    // Three runs a side (`--correction none`: one family item needs no more): the runs decide.
    std::string baselines;
    std::vector<std::string> currents;
    for (uint32_t i = 0; i < 3; ++i) {
      SyntheticRunSpec b, c;
      b.seed = 10 + i;
      c.seed = 20 + i;
      baselines += (i ? "," : "") + synthetic("b" + std::to_string(i) + ".json", b);
      currents.push_back(synthetic("c" + std::to_string(i) + ".json", c));
    }
    std::vector<std::string> args = {"--baseline", baselines};
    args.insert(args.end(), currents.begin(), currents.end());
    args.insert(args.end(), {"--correction", "none"});
    gate = compare(args, &source, &rc);
    w.gate.push_back({source, gate});
    EXPECT_TRUE(rc == 0 || rc == 1 || rc == 2) << source << ": exit " << rc;
    // comm files: an H100 pair across two hosts (a link to take a percentage of) beside host
    // memory (none), and the gate on two of them (each row's busbw beside its time).
    SyntheticCommSpec ib;
    ib.backend = "nccl";
    ib.sku = "h100-sxm";
    ib.device_name = "NVIDIA H100 80GB HBM3 (synthetic test data)";
    ib.hosts = 2;
    SyntheticCommSpec host, host_again;
    host.seed = 2;
    host_again.seed = 3;
    const std::string comm_host = write("comm-host.json", synthetic_comm_run(host));
    j = compare({write("comm-ib.json", synthetic_comm_run(ib)), comm_host}, &source);
    w.comm.push_back({source, j});
    gate = compare({"--baseline", comm_host, write("comm-host-again.json", synthetic_comm_run(host_again))}, &source, &rc);
    w.gate.push_back({source, gate});
    EXPECT_TRUE(rc == 0 || rc == 1 || rc == 3) << source << ": exit " << rc;
    // A run on both sides is refused, answered in JSON.
    const json refused = compare({"--baseline", base, base}, &source, &rc);
    w.error.push_back({source, refused});
    EXPECT_EQ(rc, 2) << source;
    return w;
  }
};

std::string problems_of(const std::string& doc_markdown, const Written& w) {
  std::vector<std::string> problems;
  const std::pair<const char*, const std::vector<WrittenJson>*> modes[] = {
      {kSideBySide, &w.side_by_side}, {kGate, &w.gate}, {kError, &w.error}, {kComm, &w.comm}};
  for (const auto& [heading, outputs] : modes) {
    const DocKeys doc = documented_keys(section(doc_markdown, heading), kDoc, "", problems);
    if (doc.empty()) problems.push_back(fmt::format("{} has no key tables under \"{}\"", kDoc, heading));
    for (const auto& p : coverage_problems(doc, kDoc, *outputs, std::string("compare --json output (") + heading + ")"))
      problems.push_back(p);
  }
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  return all;
}

TEST_F(CompareJsonDoc, ListsEveryKeyWrittenAndWritesEveryKeyListed) {
  const Written w = written();
  ASSERT_EQ(w.side_by_side.size(), 5u);
  ASSERT_EQ(w.gate.size(), 3u);
  ASSERT_EQ(w.comm.size(), 1u);
  const std::string problems = problems_of(doc_text(kDoc), w);
  EXPECT_TRUE(problems.empty()) << problems;

  // estimate's objects inside the extrapolations: each written, and each key a row of its doc.
  std::vector<std::string> errors;
  const DocKeys estimate_doc = documented_keys(doc_text(kEstimateDoc), kEstimateDoc, "", errors);
  EXPECT_TRUE(errors.empty());
  std::set<std::string> parts_seen;
  for (const auto& written : w.estimate_parts) {
    std::set<std::string> paths;
    collect_paths(written.j, "", paths);
    for (const auto& p : paths) {
      parts_seen.insert(p.substr(0, p.find('.')));
      EXPECT_TRUE(estimate_doc.count(p)) << kEstimateDoc << " does not document `" << p << "`, which " << written.source
                                         << " writes in a run's extrapolation";
    }
  }
  for (const char* part : kEstimateParts) EXPECT_TRUE(parts_seen.count(part)) << "no run wrote `" << part << "`";
}

// The check can fail: a row dropped, a key renamed or one listed that nothing writes is caught by
// name, in the mode it belongs to.
TEST_F(CompareJsonDoc, AnEditedDocIsCaught) {
  const Written w = written();
  const std::string text = doc_text(kDoc);
  const std::string unedited = problems_of(text, w);
  auto expect_caught = [&](const std::string& edited_text, const std::string& complaint) {
    EXPECT_EQ(unedited.find(complaint), std::string::npos) << unedited;
    const std::string problems = problems_of(edited_text, w);
    EXPECT_NE(problems.find(complaint), std::string::npos) << "wanted '" << complaint << "' in:\n" << problems;
  };
  expect_caught(edited_doc(text, "| `pf_days`, `pf_days_text` |", "| `pf_days` |"),
                "does not document `runs[].extrapolation.pf_days_text`");
  expect_caught(edited_doc(text, "| `bands_apart` |", ""), "does not document `items[].bands_apart`");
  expect_caught(edited_doc(text, "| `interruptions` |", "| `goodput` |"), "documents `runs[].extrapolation.goodput`");
  expect_caught(edited_doc(text, "| `error` |", ""), "does not document `error`");
  expect_caught(edited_doc(text, "| `kernel` |", ""), "does not document `environment[].kernel`");
  expect_caught(edited_doc(text, "| `busbw_vs_a` |", ""), "does not document `rows[].cells[].busbw_vs_a`");
  expect_caught(edited_doc(text, "| `baseline_busbw_gb_s`, `current_busbw_gb_s` |", ""),
                "does not document `items[].baseline_busbw_gb_s`");
}

}  // namespace
}  // namespace tb::testing
