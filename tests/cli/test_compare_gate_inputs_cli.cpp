// `trainbench compare --baseline` given what a nightly job gives it: a folder of runs, results
// files whose names have commas, and a current run in which a kernel failed, on SYNTHETIC
// results files.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

using tb::testing::run_trainbench;
using tb::testing::SyntheticRunSpec;

namespace {

class CompareGateInputsCli : public tb::testing::ResultsDirTest {
 protected:
  CompareGateInputsCli() : ResultsDirTest("tb_compare_gate_inputs_cli_") {}
  std::string run(uint32_t seed, const std::string& name) {
    SyntheticRunSpec spec;
    spec.seed = seed;
    return write(name, tb::testing::synthetic_run(spec));
  }
};

}  // namespace

// A folder as --baseline is refused as a folder, with the way to name its runs, whether one or
// several current files follow (beside several it once got "Did you mean --baseline q/,q/c0.json").
TEST_F(CompareGateInputsCli, ADirectoryAsBaselineIsRefusedAsADirectory) {
  std::filesystem::create_directory(dir_ + "/good");
  run(1, "good/b0.json");
  const std::string c0 = run(11, "c0.json"), c1 = run(12, "c1.json");
  for (const std::vector<std::string>& current : {std::vector<std::string>{c0}, std::vector<std::string>{c0, c1}}) {
    std::vector<std::string> a{"compare", "--baseline", dir_ + "/good/"};
    a.insert(a.end(), current.begin(), current.end());
    a.push_back("--json");
    const auto r = run_trainbench(a);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--baseline " + dir_ + "/good/: is a directory; --baseline takes results files"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("$(ls " + dir_ + "/good/*.json | paste -sd, -)"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Did you mean"), std::string::npos) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).at("verdict"), "error");
  }
}

// "night,0.json" is one file: whole in its own --baseline or inside a comma list it is read as
// itself (it once split into "night" and "0.json"); a list piece that is no file says how to
// give such a name.
TEST_F(CompareGateInputsCli, AFileWithACommaInItsNameCanBeABaseline) {
  const std::string b0 = run(1, "night,0.json"), b1 = run(2, "night,1.json"), b2 = run(3, "night,2.json");
  const std::string c0 = run(11, "c0.json"), c1 = run(12, "c1.json"), c2 = run(13, "c2.json");
  const auto r = run_trainbench({"compare", "--baseline", b0, "--baseline", b1, "--baseline", b2, c0, c1, c2, "--json",
                                 "--correction", "none"});
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j.at("verdict"), "error") << r.err;
  EXPECT_EQ(j.at("baseline"), nlohmann::json({b0, b1, b2}));
  EXPECT_EQ(j.at("baseline_runs"), 3);
  // A plain comma list still splits.
  const std::string p0 = run(21, "p0.json"), p1 = run(22, "p1.json"), p2 = run(23, "p2.json");
  const auto list = run_trainbench({"compare", "--baseline", p0 + "," + p1 + "," + p2, c0, c1, c2, "--json",
                                    "--correction", "none"});
  EXPECT_EQ(nlohmann::json::parse(list.out).at("baseline"), nlohmann::json({p0, p1, p2})) << list.err;
  // Neither a file nor a list of files.
  const auto bad = run_trainbench({"compare", "--baseline", dir_ + "/night,9.json", c0});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("no file '" + dir_ + "/night' (read as a comma list, since no file is named '" + dir_ +
                         "/night,9.json'); a file whose name has a comma is given whole, as its own --baseline"),
            std::string::npos)
      << bad.err;
}

// A kernel that verified in the baseline and fails tonight: exit 1, "regression", the kernel
// "failed" in the JSON and a JUnit <failure> naming it and its status, the other kernels judged
// (it was exit 2, "error: the run is partial ... re-run it", one JUnit <error>).
TEST_F(CompareGateInputsCli, AKernelThatFailsTonightIsAFailureNamingIt) {
  const std::string base = run(1, "base.json");
  SyntheticRunSpec spec;
  spec.seed = 2;
  auto tonight = tb::testing::synthetic_run(spec);
  const std::string name = tonight.kernels[2].name;
  tb::testing::mark_not_measured(tonight, 2, "failed", "verification FAILED: wrong results");
  const std::string cur = write("tonight.json", tonight);
  const std::string junit = dir_ + "/junit.xml";
  const auto r = run_trainbench({"compare", "--baseline", base, cur, "--json", "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("verdict"), "regression");
  EXPECT_EQ(j.at("regressions"), 1);
  int judged = 0;
  for (const auto& i : j.at("items")) {
    if (i.at("name") == name) {
      EXPECT_EQ(i.at("verdict"), "failed");
      EXPECT_EQ(i.at("rule"), "failed");
      EXPECT_NE(i.at("reason").get<std::string>().find("tonight.json: failed (verification FAILED: wrong results)"),
                std::string::npos)
          << i.dump();
    } else if (i.at("name") != "step") {
      judged += i.at("verdict") == "same";
    }
  }
  EXPECT_EQ(judged, static_cast<int>(j.at("items").size()) - 2);
  const std::string xml = tb::testing::read_text(junit);
  EXPECT_NE(xml.find("<failure message=\"" + name + " ["), std::string::npos) << xml;
  EXPECT_NE(xml.find("failed in the current run: " + cur + ": failed (verification FAILED"), std::string::npos) << xml;
  EXPECT_NE(xml.find("type=\"failed\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<error "), std::string::npos) << xml;
  const auto text = run_trainbench({"compare", "--baseline", base, cur});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("REGRESSION: 1 of"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" FAILED: measured in the baseline"), std::string::npos) << text.out;
}
