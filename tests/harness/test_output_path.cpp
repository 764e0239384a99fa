// Output paths checked before any work (harness/results/output_path.hpp): a folder that does not
// exist is refused, naming the flag and the folder, and nothing is created; only a command's own
// default folder is made, and the atomic write itself never makes one.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/usage_message.hpp"

namespace tb::results {
namespace {

namespace fs = std::filesystem;

class OutputPath : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("tb_output_path_"); }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(OutputPath, AMissingFolderIsRefusedNamingTheFlagAndTheFolder) {
  const std::string typo = dir_ + "/reslts";
  EXPECT_EQ(testing::message_of([&] { check_output_path(typo + "/run.json", "--out", OutputKind::Results); }),
            "--out " + typo + "/run.json: folder " + typo + " does not exist (trainbench creates no folder for an "
            "output): create it first (mkdir -p " + typo + ") or give a path in an existing folder");
  // Deeper: the folder named is the one the file would be in, and none of it is made.
  const std::string deep = dir_ + "/a/b";
  EXPECT_NE(testing::message_of([&] { check_output_path(deep + "/x.json", "-o/--out", OutputKind::Results); })
                .find("-o/--out " + deep + "/x.json: folder " + deep + " does not exist"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(typo));
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  // A file where the folder should be is no folder; an existing folder passes.
  testing::write_text(dir_ + "/file", "x");
  EXPECT_NE(testing::message_of([&] { check_output_path(dir_ + "/file/x.json", "--out", OutputKind::Results); })
                .find(dir_ + "/file is not a directory"),
            std::string::npos);
  EXPECT_EQ(testing::message_of([&] { check_output_path(dir_ + "/ok.json", "--out", OutputKind::Results); }), "(no error)");
  EXPECT_FALSE(fs::exists(dir_ + "/ok.json"));  // checked, not written
}

TEST_F(OutputPath, OnlyACommandsOwnDefaultFolderIsMadeAndTheWriteMakesNone) {
  const std::string own = dir_ + "/results/run.json";
  create_default_output_folder(own, "the default results file (--out)");
  EXPECT_TRUE(fs::is_directory(dir_ + "/results"));
  EXPECT_EQ(testing::message_of([&] { check_output_path(own, "--out", OutputKind::Results); }), "(no error)");
  // A folder that went away between the check and the write is an error, not a new folder.
  EXPECT_THROW(write_file_atomic(dir_ + "/gone/x.json", "{}"), RuntimeError);
  EXPECT_FALSE(fs::exists(dir_ + "/gone"));
  write_file_atomic(own, "{}\n");
  EXPECT_EQ(testing::read_text(own), "{}\n");
}

// An existing file is replaced only by the output that wrote it (or when empty): the reviewer's
// `gemm --out build/cli/trainbench` turned the binary into a results file.
TEST_F(OutputPath, AnExistingFileIsReplacedOnlyByItsOwnKindOfOutput) {
  const std::string binary = dir_ + "/trainbench";
  testing::write_text(binary, std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(64, '\0'));
  EXPECT_EQ(testing::message_of([&] { check_output_path(binary, "--out", OutputKind::Results); }),
            "--out " + binary + ": the file exists and is not a trainbench results file (JSON with schema_version, "
            "machine and kernels); writing would replace it: give another path, or remove the file first if it is "
            "meant to go");
  // Any JSON is not a results file; an earlier results file is, and an empty file is nothing to lose.
  const std::string other_json = dir_ + "/package.json";
  testing::write_text(other_json, "{\"name\": \"x\"}\n");
  EXPECT_NE(testing::message_of([&] { check_output_path(other_json, "--out", OutputKind::Results); })
                .find("is not a trainbench results file"),
            std::string::npos);
  const std::string earlier = dir_ + "/run.json";
  testing::write_text(earlier, "{\"schema_version\": 1, \"machine\": {}, \"kernels\": []}\n");
  EXPECT_EQ(testing::message_of([&] { check_output_path(earlier, "--out", OutputKind::Results); }), "(no error)");
  const std::string empty = dir_ + "/empty";
  testing::write_text(empty, "");
  EXPECT_EQ(testing::message_of([&] { check_output_path(empty, "--out", OutputKind::Results); }), "(no error)");

  // Per kind: an HTML report over HTML, JUnit over XML, a gbench export over a gbench export, a
  // sweep CSV over a sweep CSV; each refused over the others' files.
  const std::string html = dir_ + "/report.html", junit = dir_ + "/junit.xml", gbench = dir_ + "/gb.json",
                    csv = dir_ + "/sweep.csv";
  testing::write_text(html, "\n<!DOCTYPE html>\n<html></html>\n");
  testing::write_text(junit, "<?xml version=\"1.0\"?>\n<testsuites/>\n");
  testing::write_text(gbench, "{\"context\": {}, \"benchmarks\": []}\n");
  testing::write_text(csv, "m,n,k,layout,dtype,status,median_ms\n1,1,1,fwd,bf16,ok,1\n");
  const std::vector<std::pair<std::string, OutputKind>> own = {{html, OutputKind::Html},
                                                               {junit, OutputKind::JUnitXml},
                                                               {gbench, OutputKind::GbenchJson},
                                                               {gbench, OutputKind::BenchmarkOut},
                                                               {csv, OutputKind::SweepCsv}};
  for (const auto& [path, kind] : own) {
    EXPECT_TRUE(holds_output_of(path, kind)) << path;
    EXPECT_FALSE(holds_output_of(earlier, kind)) << describe(kind);
    EXPECT_FALSE(holds_output_of(binary, kind)) << describe(kind);
    EXPECT_TRUE(holds_output_of(empty, kind)) << describe(kind);
  }
  // --benchmark_out_format=console: its table, which the next identical run must be able to replace.
  const std::string console = dir_ + "/bo.txt";
  testing::write_text(console, "2026-12-07T15:30:00+00:00\nRunning trainbench\nRun on (2 X 2596 MHz CPU s)\n");
  EXPECT_TRUE(holds_output_of(console, OutputKind::BenchmarkOut));
  EXPECT_FALSE(holds_output_of(console, OutputKind::Results));
  EXPECT_FALSE(holds_output_of(html, OutputKind::JUnitXml));
  EXPECT_FALSE(holds_output_of(junit, OutputKind::Html));
  EXPECT_FALSE(holds_output_of(gbench, OutputKind::Results));
  EXPECT_FALSE(holds_output_of(csv, OutputKind::Results));
  EXPECT_NE(testing::message_of([&] { check_output_path(html, "--junit", OutputKind::JUnitXml); })
                .find("--junit " + html + ": the file exists and is not a JUnit XML file"),
            std::string::npos);
  // The atomic results writer refuses it too: a file put there while a command measured.
  EXPECT_THROW(write_results_file(binary, RunResults{}), UsageError);
  EXPECT_EQ(testing::read_text(binary).substr(1, 3), "ELF");
  write_results_file(earlier, RunResults{});
  EXPECT_TRUE(holds_output_of(earlier, OutputKind::Results));
}

// procfs refuses a new file with ENOENT, which strerror reads "No such file or directory" of a
// folder that is there: the reason given is the filesystem's, other errors keep strerror's text.
TEST_F(OutputPath, AFolderThatTakesNoFilesSaysWhyNotThatItIsMissing) {
  EXPECT_EQ(why_not_creatable("/proc", ENOENT),
            "it is in procfs, the kernel's process filesystem, which takes no new files");
  EXPECT_EQ(why_not_creatable(dir_, EACCES), "Permission denied");
  EXPECT_EQ(why_not_creatable(dir_, ENOENT), "its filesystem takes no new files there");
  const std::string refusal = testing::message_of([] { check_output_path("/proc/x.html", "-o/--out", OutputKind::Html); });
  EXPECT_NE(refusal.find("-o/--out /proc/x.html: directory /proc is not writable ("), std::string::npos) << refusal;
  // Root gets past the permission bits to procfs's ENOENT; another user stops at EACCES.
  if (::geteuid() == 0) EXPECT_NE(refusal.find("(it is in procfs"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find("No such file"), std::string::npos) << refusal;
}

}  // namespace
}  // namespace tb::results
