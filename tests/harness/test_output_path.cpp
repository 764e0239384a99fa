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
  EXPECT_EQ(testing::message_of([&] { check_output_path(typo + "/run.json", "--out"); }),
            "--out " + typo + "/run.json: folder " + typo + " does not exist (trainbench creates no folder for an "
            "output): create it first (mkdir -p " + typo + ") or give a path in an existing folder");
  // Deeper: the folder named is the one the file would be in, and none of it is made.
  const std::string deep = dir_ + "/a/b";
  EXPECT_NE(testing::message_of([&] { check_output_path(deep + "/x.json", "-o/--out"); })
                .find("-o/--out " + deep + "/x.json: folder " + deep + " does not exist"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(typo));
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  // A file where the folder should be is no folder; an existing folder passes.
  testing::write_text(dir_ + "/file", "x");
  EXPECT_NE(testing::message_of([&] { check_output_path(dir_ + "/file/x.json", "--out"); })
                .find(dir_ + "/file is not a directory"),
            std::string::npos);
  EXPECT_EQ(testing::message_of([&] { check_output_path(dir_ + "/ok.json", "--out"); }), "(no error)");
  EXPECT_FALSE(fs::exists(dir_ + "/ok.json"));  // checked, not written
}

TEST_F(OutputPath, OnlyACommandsOwnDefaultFolderIsMadeAndTheWriteMakesNone) {
  const std::string own = dir_ + "/results/run.json";
  create_default_output_folder(own, "the default results file (--out)");
  EXPECT_TRUE(fs::is_directory(dir_ + "/results"));
  EXPECT_EQ(testing::message_of([&] { check_output_path(own, "--out"); }), "(no error)");
  // A folder that went away between the check and the write is an error, not a new folder.
  EXPECT_THROW(write_file_atomic(dir_ + "/gone/x.json", "{}"), RuntimeError);
  EXPECT_FALSE(fs::exists(dir_ + "/gone"));
  write_file_atomic(own, "{}\n");
  EXPECT_EQ(testing::read_text(own), "{}\n");
}

// procfs refuses a new file with ENOENT, which strerror reads "No such file or directory" of a
// folder that is there: the reason given is the filesystem's, other errors keep strerror's text.
TEST_F(OutputPath, AFolderThatTakesNoFilesSaysWhyNotThatItIsMissing) {
  EXPECT_EQ(why_not_creatable("/proc", ENOENT),
            "it is in procfs, the kernel's process filesystem, which takes no new files");
  EXPECT_EQ(why_not_creatable(dir_, EACCES), "Permission denied");
  EXPECT_EQ(why_not_creatable(dir_, ENOENT), "its filesystem takes no new files there");
  const std::string refusal = testing::message_of([] { check_output_path("/proc/x.html", "-o/--out"); });
  EXPECT_NE(refusal.find("-o/--out /proc/x.html: directory /proc is not writable ("), std::string::npos) << refusal;
  // Root gets past the permission bits to procfs's ENOENT; another user stops at EACCES.
  if (::geteuid() == 0) EXPECT_NE(refusal.find("(it is in procfs"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find("No such file"), std::string::npos) << refusal;
}

}  // namespace
}  // namespace tb::results
