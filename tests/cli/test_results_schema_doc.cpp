// docs/results-schema.md states what the code writes and reads. Results files are written by the
// real writer (to_json of a synthetic run with every field set, and `trainbench run`, `health`,
// an interrupted `health` and, with MPI, `comm` on the CPU); every key path they hold
// ("kernels[].stats.mad_ms") must be a row of the doc's table for its parent, and every row must
// be a key some file holds. Each row's "read" column is then tried on the reader: without a
// "required" key the file is refused, naming the key; without an "optional" one it loads, and
// is written back with the stated default ("default X"), or without it ("absent").
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "harness/common/errors.hpp"
#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/doc_key_tables.hpp"
#include "tests/support/every_field_results.hpp"

namespace tb::testing {
namespace {

using nlohmann::json;

const std::string kDoc = "docs/results-schema.md";

// The doc's key tables (tests/support/doc_key_tables.hpp), each row's "read" cell saying
// "required…" or "optional…".
DocKeys checked_doc_keys(const std::string& text, std::vector<std::string>& errors) {
  DocKeys keys = documented_keys(text, kDoc, "read", errors);
  for (const auto& [path, key] : keys)
    if (!key.cell.starts_with("required") && !key.cell.starts_with("optional"))
      errors.push_back(fmt::format("{}:{}: read cell '{}' says neither required nor optional", kDoc, key.line, key.cell));
  return keys;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  for (std::string s; std::getline(in, s, '.');) out.push_back(s);
  return out;
}

// The objects that hold (or would hold) the last segment of `path`, every array element alike.
void holders(json& j, const std::vector<std::string>& segs, size_t i, std::vector<json*>& out) {
  if (!j.is_object()) return;
  if (i + 1 == segs.size()) {
    out.push_back(&j);
    return;
  }
  std::string seg = segs[i];
  const bool array = seg.ends_with("[]");
  if (array) seg.resize(seg.size() - 2);
  if (!j.contains(seg)) return;
  if (!array) return holders(j[seg], segs, i + 1, out);
  if (j[seg].is_array())
    for (auto& e : j[seg]) holders(e, segs, i + 1, out);
}

std::vector<json*> holders_of(json& j, const std::string& path) {
  std::vector<json*> out;
  holders(j, segments(path), 0, out);
  return out;
}

struct WrittenFile {
  std::string source;  // which writer, for the messages
  json j;
};

// A collective, as `comm` describes one: its dims are a collective's.
results::KernelResult collective_kernel() {
  results::KernelResult k;
  k.name = "allreduce";
  k.kind = "allreduce";
  k.shape = "4 KiB x 2 ranks";
  k.dims = {{"bytes", 4096}, {"count", 2048}, {"ranks", 2}};
  k.dtype = "bf16";
  k.bytes = 4096;
  k.stats.samples = 3;
  k.stats.median_ms = 0.02;
  k.stats.rel_noise = 0.004;
  k.stop_reason = "converged";
  k.samples_ms = {0.019, 0.02, 0.021};
  k.gbps = 0.2048;
  k.algbw_gb_s = 0.2048;
  k.busbw_gb_s = 0.2048;
  k.wrong_elements = 0;
  k.verified = true;
  k.algorithm = "mpi (Open MPI)";
  return k;
}

// GPT-3 Large's attention on the fused CUDA kernel: head dim 96 run zero-padded to 128
// (dims.padded_head_dim, written only by a GPU run), FLOPs and bytes of d = 96.
results::KernelResult padded_attention_kernel() {
  results::KernelResult k;
  k.name = "attention.fwd";
  k.kind = "attention_fwd";
  k.shape = "b1 h16/16 s2048 d96 causal";
  k.dims = {{"batch", 1}, {"heads", 16}, {"kv_heads", 16}, {"seq", 2048}, {"head_dim", 96}, {"padded_head_dim", 128}};
  k.causal = true;
  k.dtype = "bf16";
  k.flops = 4.0 * 16 * 2048.0 * 2048 * 96 / 2;
  k.model_flops = k.flops;
  k.bytes = 2.0 * 4 * 2048 * 16 * 96 + 4.0 * 16 * 2048;
  k.stats.samples = 3;
  k.stats.median_ms = 0.05;
  k.stats.rel_noise = 0.004;
  k.stop_reason = "converged";
  k.samples_ms = {0.049, 0.05, 0.051};
  k.tflops = k.flops / (k.stats.median_ms * 1e-3) / 1e12;
  k.gbps = k.bytes / (k.stats.median_ms * 1e-3) / 1e9;
  k.verified = true;
  k.algorithm = "fused mma.sync m16n8k16, FlashAttention-2 forward, 64x64 tiles; head dim 96 zero-padded to 128";
  return k;
}

// `args` run with `--out <dir>/<name>.json`; the file it writes, or a failure naming the run.
std::optional<WrittenFile> cli_file(const std::string& dir, const std::string& name, std::vector<std::string> args,
                                    int expected_exit, const std::string& env = "") {
  std::string command = "trainbench";
  for (const auto& a : args) command += " " + a;
  const std::string out = dir + "/" + name + ".json";
  args.insert(args.end(), {"--out", out});
  const CliResult r = run_trainbench(args, env);
  if (r.exit_code != expected_exit || !std::filesystem::exists(out)) {
    ADD_FAILURE() << command << ": exit " << r.exit_code << " (wanted " << expected_exit << ")\n" << r.err;
    return std::nullopt;
  }
  return WrittenFile{"`" + command + "`", json::parse(read_text(out))};
}

std::vector<WrittenFile> written_files() {
  std::vector<WrittenFile> files;
  results::RunResults every = every_field();
  every.kernels.push_back(collective_kernel());
  // nccl-tests' in-place measurement of the same size: an entry of its own (dims.in_place).
  results::KernelResult in_place = collective_kernel();
  in_place.shape += ", in place";
  in_place.dims["in_place"] = 1;
  every.kernels.push_back(in_place);
  files.push_back({"to_json(every_field() and a collective)", results::to_json(every)});
  results::RunResults padded = every_field();  // one kernel, no step: its sums are not this test's
  padded.kernels = {padded_attention_kernel()};
  padded.step.reset();
  files.push_back({"to_json(a padded attention kernel)", results::to_json(padded)});

  const std::string dir = make_temp_dir("tb_schema_doc_");
  const std::vector<std::string> quick = {"--device", "cpu", "--min-time", "0", "--max-time", "0.05"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), quick.begin(), quick.end());
    return args;
  };
  std::vector<std::optional<WrittenFile>> runs;
  runs.push_back(
      cli_file(dir, "run",
               with({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--min-samples", "3", "--quiet"}), 0));
  runs.push_back(cli_file(dir, "health", with({"health"}), 0));
  // Ctrl-C once sampling has started (the harness's test mark): the verdict is "interrupted",
  // with verdict_of_measured beside it.
  const std::string mark = dir + "/sampling", script = dir + "/interrupt_after_mark.sh";
  write_text(script,
             "\"$@\" & pid=$!\n"
             "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
             "sleep 0.2; kill -INT $pid; wait $pid\n");
  runs.push_back(
      cli_file(dir, "health-interrupted",
               {"health", "--device", "cpu", "--min-time", "60", "--max-time", "60", "--max-samples", "100000000"}, 130,
               "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script));
#if TB_TEST_HAVE_MPI
  runs.push_back(cli_file(dir, "comm",
                          {"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K", "-n", "2", "-w", "1",
                           "--min-samples", "3", "--min-time", "0", "--max-time", "0.05"},
                          0));
#endif
  for (auto& r : runs)
    if (r) files.push_back(std::move(*r));
  std::filesystem::remove_all(dir);
  return files;
}

// Keys the files hold that the doc lacks, and keys the doc lists that no file holds.
std::vector<std::string> coverage_problems(const DocKeys& doc, const std::vector<WrittenFile>& files) {
  std::vector<WrittenJson> written;
  for (const auto& f : files) written.push_back({f.source, f.j});
  return tb::testing::coverage_problems(doc, kDoc, written, "results file");
}

// What a documented default says the key reads as: a JSON value, another field in backticks
// (`flops`: the sibling; `workload.dtype`: from the top), "absent", or nothing to check.
struct Default {
  enum { none, absent, value, field } kind = none;
  json literal;
  std::string field_path;
};

std::optional<Default> parse_default(const std::string& read, std::string& error) {
  Default d;
  if (read.starts_with("optional, absent")) d.kind = Default::absent;
  const size_t at = read.find("default ");
  if (at == std::string::npos) return d;
  std::string text = trim(read.substr(at + 8, read.find(';', at) - at - 8));
  if (text.starts_with("`")) {
    d.kind = Default::field;
    d.field_path = backticked(text).front();
    return d;
  }
  try {
    d.literal = json::parse(text);
    d.kind = Default::value;
  } catch (const json::exception&) {
    error = fmt::format("default '{}' is neither a JSON value nor a `field`", text);
    return std::nullopt;
  }
  return d;
}

// The reader against the read column: each documented key a file holds is removed from every
// object holding it, and the file read (and written back).
std::vector<std::string> read_problems(const DocKeys& doc, const std::vector<WrittenFile>& files) {
  std::vector<std::string> problems;
  for (const auto& f : files) {
    try {
      results::from_json(f.j, "file");
    } catch (const UsageError& e) {
      problems.push_back(fmt::format("{} wrote a file the reader refuses: {}", f.source, e.what()));
      continue;
    }
    std::set<std::string> paths;
    collect_paths(f.j, "", paths);
    for (const auto& path : paths) {
      const auto it = doc.find(path);
      if (it == doc.end()) continue;  // coverage_problems says so
      const std::string where = fmt::format("{}:{}: `{}`", kDoc, it->second.line, path);
      const std::string leaf = segments(path).back();
      json cut = f.j;
      for (json* h : holders_of(cut, path)) h->erase(leaf);
      std::optional<json> back;
      std::string refusal;
      try {
        back = results::to_json(results::from_json(cut, "cut.json"));
      } catch (const UsageError& e) {
        refusal = e.what();
      }
      if (it->second.cell.starts_with("required")) {
        if (back)
          problems.push_back(
              fmt::format("{} is documented as required, but the file of {} loads without it", where, f.source));
        else if (refusal.find(leaf) == std::string::npos)
          problems.push_back(fmt::format("{}: the refusal does not name it: {}", where, refusal));
        continue;
      }
      if (!back) {
        problems.push_back(fmt::format("{} is documented as optional, but the file of {} is refused without it: {}",
                                       where, f.source, refusal));
        continue;
      }
      std::string error;
      const auto d = parse_default(it->second.cell, error);
      if (!d) {
        problems.push_back(fmt::format("{}: {}", where, error));
        continue;
      }
      for (json* h : holders_of(*back, path)) {
        if (d->kind == Default::absent && h->contains(leaf))
          problems.push_back(
              fmt::format("{} is documented as staying absent, but the file of {} without it is "
                          "written back with {}",
                          where, f.source, (*h)[leaf].dump()));
        if (d->kind != Default::value && d->kind != Default::field) continue;
        json expected = d->literal;
        if (d->kind == Default::field) {
          if (h->contains(d->field_path)) {
            expected = (*h)[d->field_path];
          } else {
            const auto from_top = holders_of(*back, d->field_path);
            const std::string field_leaf = segments(d->field_path).back();
            if (from_top.size() != 1 || !from_top[0]->contains(field_leaf)) {
              problems.push_back(fmt::format("{}: default `{}` is no field of the file", where, d->field_path));
              continue;
            }
            expected = (*from_top[0])[field_leaf];
          }
        }
        if (!h->contains(leaf) || (*h)[leaf] != expected)
          problems.push_back(
              fmt::format("{} is documented to read as {} when absent, but the file of {} without it "
                          "is written back with {}",
                          where, expected.dump(), f.source, h->contains(leaf) ? (*h)[leaf].dump() : "no such key"));
      }
    }
  }
  return problems;
}

std::string doc_text() { return read_text(std::string(TB_SOURCE_DIR) + "/" + kDoc); }

// Every `health.checks[].id` a written file holds is among the values the doc's `id` row lists.
std::vector<std::string> health_id_problems(const std::string& doc, const std::vector<WrittenFile>& files) {
  std::vector<std::string> problems;
  const size_t table = doc.find("### `health.checks[]`");
  const size_t row = table == std::string::npos ? table : doc.find("| `id` |", table);
  if (row == std::string::npos) return {fmt::format("{} has no `id` row under health.checks[]", kDoc)};
  const std::vector<std::string> cells = cells_of(doc.substr(row, doc.find('\n', row) - row));
  std::set<std::string> listed;
  std::stringstream in(cells.back());
  for (std::string word; std::getline(in, word, ',');) listed.insert(trim(word.substr(0, word.find(" ("))));
  for (const auto& f : files) {
    if (!f.j.contains("health")) continue;
    for (const auto& c : f.j["health"].value("checks", json::array()))
      if (!listed.count(c.value("id", "")))
        problems.push_back(fmt::format("{}: health.checks[].id lists no `{}`, which {} writes", kDoc,
                                       c.value("id", ""), f.source));
  }
  return problems;
}

TEST(ResultsSchemaDoc, ListsEveryKeyWrittenAndSaysHowEachIsRead) {
  std::vector<std::string> problems;
  const DocKeys doc = checked_doc_keys(doc_text(), problems);
  ASSERT_GT(doc.size(), 100u) << "no key tables found in " << kDoc;
  const auto files = written_files();
  ASSERT_GE(files.size(), 4u);
  for (auto more : {coverage_problems(doc, files), read_problems(doc, files), health_id_problems(doc_text(), files)})
    problems.insert(problems.end(), more.begin(), more.end());
  for (const auto& p : problems) ADD_FAILURE() << p;
}

// The checks above can fail: a doc with a row dropped, a required key called optional or the
// reverse, a wrong default, or a key no writer writes is caught, naming the key.
TEST(ResultsSchemaDoc, AnEditedDocIsCaught) {
  const std::string text = doc_text();
  results::RunResults every = every_field();
  every.kernels.push_back(collective_kernel());
  const std::vector<WrittenFile> files = {{"to_json(every_field() and a collective)", results::to_json(every)}};
  auto problems_in = [&](const std::string& markdown) {
    std::vector<std::string> problems;
    const DocKeys doc = checked_doc_keys(markdown, problems);
    for (auto more : {coverage_problems(doc, files), read_problems(doc, files)})
      problems.insert(problems.end(), more.begin(), more.end());
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    return all;
  };
  // `from` (a row's start) replaced by `to`; an empty `to` drops the whole row.
  auto edited = [&](const std::string& from, const std::string& to) { return edited_doc(text, from, to); };
  // Each complaint is the edit's: the unedited doc does not draw it (the synthetic file alone
  // lacks only keys that `trainbench health` writes).
  const std::string unedited = problems_in(text);
  auto expect_caught = [&](const std::string& edited_text, const std::string& complaint) {
    EXPECT_EQ(unedited.find(complaint), std::string::npos) << unedited;
    const std::string problems = problems_in(edited_text);
    EXPECT_NE(problems.find(complaint), std::string::npos) << "wanted '" << complaint << "' in:\n" << problems;
  };
  expect_caught(edited("| `mad_ms` |", ""), "does not document `kernels[].stats.mad_ms`");
  expect_caught(edited("| `host` | string | required |", "| `host` | string | optional |"),
                "`ranks[].host` is documented as optional");
  expect_caught(edited("| `sku` | string | optional, default \"\" |", "| `sku` | string | required |"),
                "`machine.sku` is documented as required");
  expect_caught(edited("| `calls_per_step` | int ≥ 0 | optional, default 1 |",
                       "| `calls_per_step` | int ≥ 0 | optional, default 2 |"),
                "`kernels[].calls_per_step` is documented to read as 2");
  expect_caught(edited("| `load_avg_1m` | number ≥ 0 | optional, absent |",
                       "| `load_avg_1m` | number ≥ 0 | optional, default 0 |"),
                "`machine.load_avg_1m` is documented to read as 0");
  expect_caught(edited("| `host_cpus` |", "| `host_cpus`, `gpu_temperature` |"),
                "documents `machine.gpu_temperature`, which no results file");
}

}  // namespace
}  // namespace tb::testing
