// The CPU backend's remembered peaks (harness/hardware/peak_cache.hpp): where the file lives, that
// a lower measurement is raised to the highest remembered and a higher one replaces it, and that
// a missing, corrupt or unbelievable file never lowers a peak or fails a run.
#include "harness/hardware/peak_cache.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

auto env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(PeakCacheFile, FollowsTheEnvironment) {
  EXPECT_EQ(peak_cache_file(env_of({{"TB_PEAK_CACHE", "/x/p.json"}, {"HOME", "/h"}})), fs::path("/x/p.json"));
  EXPECT_EQ(peak_cache_file(env_of({{"TB_PEAK_CACHE", "off"}, {"HOME", "/h"}})), std::nullopt);
  EXPECT_EQ(peak_cache_file(env_of({{"XDG_CACHE_HOME", "/c"}, {"HOME", "/h"}})), fs::path("/c/trainbench/peaks.json"));
  EXPECT_EQ(peak_cache_file(env_of({{"XDG_CACHE_HOME", ""}, {"HOME", "/h"}})),
            fs::path("/h/.cache/trainbench/peaks.json"));
  EXPECT_EQ(peak_cache_file(env_of({})), std::nullopt);
}

class PeakCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("tb_peak_cache");  // a fresh folder of its own: runs at once do not meet
    file_ = dir_ / "sub" / "peaks.json";             // the folder does not exist yet
  }
  void TearDown() override { fs::remove_all(dir_); }
  double stored(const std::string& key) const {
    std::ifstream in(file_);
    return nlohmann::json::parse(in).at("peaks").at(key).get<double>();
  }
  fs::path dir_, file_;
};

TEST_F(PeakCache, KeepsTheHighestMeasurement) {
  const auto first = remember_highest(file_, "cpu | clock_mhz", 3900);
  EXPECT_DOUBLE_EQ(first.value, 3900);
  EXPECT_FALSE(first.raised);
  EXPECT_DOUBLE_EQ(stored("cpu | clock_mhz"), 3900);

  const auto busy = remember_highest(file_, "cpu | clock_mhz", 3700);
  EXPECT_DOUBLE_EQ(busy.value, 3900);
  EXPECT_DOUBLE_EQ(busy.measured, 3700);
  EXPECT_TRUE(busy.raised);
  EXPECT_EQ(busy.file, file_.string());
  EXPECT_DOUBLE_EQ(stored("cpu | clock_mhz"), 3900);

  const auto quiet = remember_highest(file_, "cpu | clock_mhz", 4200);
  EXPECT_DOUBLE_EQ(quiet.value, 4200);
  EXPECT_FALSE(quiet.raised);
  EXPECT_DOUBLE_EQ(stored("cpu | clock_mhz"), 4200);

  // Another quantity (or machine) beside it is its own entry.
  EXPECT_DOUBLE_EQ(remember_highest(file_, "cpu | stream_tb_s", 0.03).value, 0.03);
  EXPECT_DOUBLE_EQ(stored("cpu | clock_mhz"), 4200);
  EXPECT_DOUBLE_EQ(stored("cpu | stream_tb_s"), 0.03);
}

// What the file held before this run: what `health` judges a CPU against (0 where nothing was,
// or where the value is not believed), whether this run measured more or less.
TEST_F(PeakCache, SaysWhatWasRememberedBeforeThisRun) {
  EXPECT_DOUBLE_EQ(remember_highest(file_, "k", 40).earlier, 0);  // a first run: nothing
  EXPECT_DOUBLE_EQ(remember_highest(file_, "k", 30).earlier, 40);  // lower: raised to it
  const auto higher = remember_highest(file_, "k", 50);
  EXPECT_DOUBLE_EQ(higher.earlier, 40);
  EXPECT_FALSE(higher.raised);
  EXPECT_DOUBLE_EQ(remember_highest(file_, "k", 50 / (kUnbelievablePeakRatio * 2)).earlier, 0);  // not believed
  EXPECT_DOUBLE_EQ(remember_highest(std::nullopt, "k", 50).earlier, 0);
}

TEST_F(PeakCache, ACorruptFileIsAMissAndIsRewritten) {
  fs::create_directories(file_.parent_path());
  std::ofstream(file_) << "{\"peaks\": {\"k\": 99";  // truncated
  const auto r = remember_highest(file_, "k", 10);
  EXPECT_DOUBLE_EQ(r.value, 10);
  EXPECT_FALSE(r.raised);
  EXPECT_DOUBLE_EQ(stored("k"), 10);
}

TEST_F(PeakCache, AnUnbelievableRememberedValueIsReplaced) {
  remember_highest(file_, "k", 100);
  // A busy host: the reviewer's loaded run read 2.85x below the remembered bandwidth. Believed, and
  // the cache keeps its peak, so the runs after it share the denominator.
  const auto busy = remember_highest(file_, "k", 100 / 2.85);
  EXPECT_DOUBLE_EQ(busy.value, 100);
  EXPECT_TRUE(busy.raised);
  EXPECT_DOUBLE_EQ(stored("k"), 100);
  const auto edge = remember_highest(file_, "k", 100 / kUnbelievablePeakRatio);  // exactly the bound: believed
  EXPECT_DOUBLE_EQ(edge.value, 100);
  const auto far = remember_highest(file_, "k", 100 / (kUnbelievablePeakRatio * 1.1));  // an edited file: not believed
  EXPECT_DOUBLE_EQ(far.value, 100 / (kUnbelievablePeakRatio * 1.1));
  EXPECT_FALSE(far.raised);
  EXPECT_DOUBLE_EQ(far.disbelieved, 100);
  EXPECT_DOUBLE_EQ(stored("k"), 100 / (kUnbelievablePeakRatio * 1.1));
}

// Health keeps a disbelieved value: a machine far slower than before must say so on every run.
TEST_F(PeakCache, KeepDisbelievedLeavesTheFileAndSaysWhatItFound) {
  remember_highest(file_, "k", 4.0);
  const auto slow = remember_highest(file_, "k", 0.17, kUnbelievablePeakRatio, /*keep_disbelieved=*/true);
  EXPECT_DOUBLE_EQ(slow.disbelieved, 4.0);
  EXPECT_DOUBLE_EQ(slow.earlier, 0);
  EXPECT_DOUBLE_EQ(slow.value, 0.17);
  EXPECT_DOUBLE_EQ(stored("k"), 4.0);
  EXPECT_DOUBLE_EQ(remember_highest(file_, "k", 0.17, kUnbelievablePeakRatio, true).disbelieved, 4.0);
}

TEST_F(PeakCache, NoFileOrAnUnwritableOneLeavesTheMeasurement) {
  const auto none = remember_highest(std::nullopt, "k", 7);
  EXPECT_DOUBLE_EQ(none.value, 7);
  EXPECT_EQ(none.file, "");
  fs::create_directories(dir_);
  std::ofstream(dir_ / "plain") << "a file, not a folder";
  const auto blocked = remember_highest(dir_ / "plain" / "peaks.json", "k", 8);
  EXPECT_DOUBLE_EQ(blocked.value, 8);
  EXPECT_FALSE(blocked.raised);
}

TEST_F(PeakCache, RunsAtOnceKeepEachOthersKeys) {
  // Two writers, each with keys of its own: without the lock around the read-modify-write, one
  // rewrote the file from a copy read before the other's write (239 of 400 keys survived).
  constexpr int kKeys = 100;
  auto writer = [&](const std::string& who) {
    for (int i = 0; i < kKeys; ++i) remember_highest(file_, who + std::to_string(i), 1.0 + i);
  };
  std::thread a(writer, "a"), b(writer, "b");
  a.join();
  b.join();
  std::ifstream in(file_);
  const auto peaks = nlohmann::json::parse(in).at("peaks");
  EXPECT_EQ(peaks.size(), 2u * kKeys);
  EXPECT_DOUBLE_EQ(peaks.at("a99").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(peaks.at("b0").get<double>(), 1.0);
}

TEST_F(PeakCache, AFailedMeasurementIsNotRemembered) {
  const auto r = remember_highest(file_, "k", 0);
  EXPECT_DOUBLE_EQ(r.value, 0);
  EXPECT_FALSE(fs::exists(file_));
}

}  // namespace
}  // namespace tb
