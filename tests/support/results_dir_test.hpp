#pragma once
// A gtest fixture for CLI tests that write results files: a fresh temporary folder per test,
// removed after a test that passed and kept after one that failed, for a look at its files.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {

class ResultsDirTest : public ::testing::Test {
 protected:
  // prefix: the folder's name stem, which says which suite left it behind.
  explicit ResultsDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override { dir_ = make_temp_dir(prefix_); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  // Writes r as DIR/name; returns its path.
  std::string write(const std::string& name, const results::RunResults& r) {
    const std::string path = dir_ + "/" + name;
    results::write_results_file(path, r);
    return path;
  }
  // "a.json,b.json": the files as one --baseline value.
  static std::string comma_list(const std::vector<std::string>& paths) {
    std::string s;
    for (const auto& p : paths) s += (s.empty() ? "" : ",") + p;
    return s;
  }
  std::string dir_;

 private:
  std::string prefix_;
};

}  // namespace tb::testing
