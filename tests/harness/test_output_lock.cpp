// One run per results file at a time (harness/results/output_lock.hpp): a second lock on the same
// file is refused naming its holder, the lock file goes at a normal end, and a holder killed with
// SIGKILL leaves its file behind but blocks nobody.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/common/errors.hpp"
#include "harness/results/output_lock.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

using results::OutputLock;
using testing::make_temp_dir;
using testing::read_text;
using testing::write_text;

class OutputLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("tb_lock_");
    out_ = dir_ + "/keep.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  OutputLock take(std::string* note = nullptr) {
    return OutputLock::acquire(out_, "--out", "node7", "2026-12-07T22:00:00Z", note);
  }
  std::string dir_, out_;
};

TEST_F(OutputLockTest, TheLockFileSitsBesideTheResultsFile) {
  EXPECT_EQ(results::lock_path_beside("keep.json"), "keep.json.lock");
  EXPECT_EQ(results::lock_path_beside("/tmp/a.b/run"), "/tmp/a.b/run.lock");
}

TEST_F(OutputLockTest, TheHolderIsRecordedAndTheFileRemovedAtTheEnd) {
  const std::string lock_file = results::lock_path_beside(out_);
  {
    std::string note;
    const OutputLock lock = take(&note);
    EXPECT_TRUE(lock.held());
    EXPECT_EQ(note, "");
    EXPECT_EQ(lock.path(), lock_file);
    const auto holder = nlohmann::json::parse(read_text(lock_file));
    EXPECT_EQ(holder.at("pid").get<long long>(), static_cast<long long>(::getpid()));
    EXPECT_EQ(holder.at("host"), "node7");
    EXPECT_EQ(holder.at("started_utc"), "2026-12-07T22:00:00Z");
  }
  EXPECT_FALSE(std::filesystem::exists(lock_file));
}

// flock(2) locks belong to an open file description, so a second open in this same process
// conflicts with the first as another process's would.
TEST_F(OutputLockTest, ASecondLockIsRefusedNamingTheFileAndItsHolder) {
  const OutputLock first = take();
  ASSERT_TRUE(first.held());
  try {
    take();
    FAIL() << "a second lock on " << out_ << " was taken";
  } catch (const RuntimeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--out " + out_ + " is being written by another run"), std::string::npos) << message;
    EXPECT_NE(message.find("pid " + std::to_string(::getpid()) + " on node7, started 2026-12-07T22:00:00Z"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(out_ + ".lock"), std::string::npos) << message;
    EXPECT_NE(message.find("give --out another file"), std::string::npos) << message;
  }
  // The refused one leaves the holder's file alone.
  EXPECT_TRUE(std::filesystem::exists(results::lock_path_beside(out_)));
}

TEST_F(OutputLockTest, AMovedLockHandsItOn) {
  OutputLock first = take();
  OutputLock second = std::move(first);
  EXPECT_FALSE(first.held());  // NOLINT(bugprone-use-after-move): moved-from is unheld by contract
  EXPECT_TRUE(second.held());
  second = OutputLock();
  EXPECT_FALSE(std::filesystem::exists(results::lock_path_beside(out_)));
  EXPECT_TRUE(take().held());
}

// A holder killed with SIGKILL runs no destructor: its lock file stays, but the kernel let go of
// the lock, so the next run takes it (and then the file is that run's).
TEST_F(OutputLockTest, AHolderKilledWithSigkillBlocksNobody) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const std::string lock_file = results::lock_path_beside(out_);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls here: the child of a test process that may have threads.
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT, 0644);
    const char held = (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) ? 'y' : 'n';
    if (::write(ready[1], &held, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char held = 0;
  ASSERT_EQ(::read(ready[0], &held, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(held, 'y');
  // While the child lives, its lock holds (so what follows proves the kernel let it go).
  EXPECT_THROW(take(), RuntimeError);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_TRUE(std::filesystem::exists(lock_file));
  std::string note;
  const OutputLock after = take(&note);
  EXPECT_TRUE(after.held());
  EXPECT_EQ(note, "");
  EXPECT_EQ(nlohmann::json::parse(read_text(lock_file)).at("pid").get<long long>(),
            static_cast<long long>(::getpid()));
}

// Where no lock file can be made (here a folder stands in its place), the run goes on, said so.
TEST_F(OutputLockTest, ALockThatCannotBeTakenIsANoteNotARefusal) {
  std::filesystem::create_directory(results::lock_path_beside(out_));
  std::string note;
  const OutputLock lock = take(&note);
  EXPECT_FALSE(lock.held());
  EXPECT_NE(note.find(out_ + " is not locked (" + out_ + ".lock: Is a directory)"), std::string::npos) << note;
  EXPECT_NE(note.find("a second run over it at the same time would not be stopped"), std::string::npos) << note;
  EXPECT_TRUE(std::filesystem::is_directory(results::lock_path_beside(out_)));  // not the lock's to remove
}

// A file of the user's already named FILE.lock is neither overwritten nor removed: the run goes on
// unlocked, said so. A killed run's record there (a pid) is taken, as an empty file is.
TEST_F(OutputLockTest, AUsersOwnFileAtTheLockPathIsLeftAsItIs) {
  const std::string path = results::lock_path_beside(out_);
  write_text(path, "my notes\n");
  std::string note;
  {
    const OutputLock lock = take(&note);
    EXPECT_FALSE(lock.held());
  }
  EXPECT_NE(note.find("a file trainbench did not write is there; it is left as it is"), std::string::npos) << note;
  EXPECT_EQ(read_text(path), "my notes\n");
  write_text(path, "{\"pid\": 1, \"host\": \"gone\"}\n");
  {
    const OutputLock lock = take(&note);
    EXPECT_TRUE(lock.held());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace tb
