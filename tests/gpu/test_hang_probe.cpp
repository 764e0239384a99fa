// Does a hung kernel let the process go? Two unknowns that only a GPU answers: (a) does the
// bounded wait (kernels/cuda/bounded_wait.hpp) return on a kernel that never ends, and (b) does the
// process then exit, or does the CUDA runtime's teardown block on the kernel for ever, the results
// written but the run never over. tb_hang_probe (probes/hang_probe.cpp) hangs a kernel, waits for
// it with a 1 s limit and writes its results; it leaves once as trainbench does now (std::_Exit
// after a lost device, cli/exit_path.hpp) and once as trainbench did before (main returns, the
// teardown runs). The first test checks the defence and answers (a): pass or fail. The second
// answers (b), a finding either way: a teardown that blocks is what cli/exit_path defends against,
// so it is recorded (a "hang probe finding:" line, the test skipped, the `teardown` property in
// the XML), not failed.
// The probe is posix_spawn'ed (this process may hold a CUDA context, which a fork without exec
// must not touch), in this process's group so that gpu-check's `timeout` stops it too, and it is
// SIGKILLed at its deadline: neither a hung wait nor a hung teardown can hang the test run.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gpu_test_support.hpp"

extern char** environ;

namespace tb::kernels {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kWaitLimitS = 1;       // TRAINBENCH_GPU_WAIT_S given to the probe
constexpr double kWaitSlackS = 2.0;  // the wait polls: it ends within its limit plus a little
// Starting CUDA in a fresh process: 1 to 3 s on a fresh machine (this binary's own start too).
constexpr double kCudaStartS = 3.0;
// Spawn to exit: starting CUDA, the 1 s wait, then the teardown, which takes well under a second
// when nothing blocks it: 5 s at most, so 6 s is a healthy exit's deadline. The probe's kernel
// gives up by itself only after 20 s, so a teardown that waits for the kernel cannot finish inside
// this.
constexpr double kDeadlineS = 6.0;
// After SIGKILL: a killed process is gone in milliseconds, unless the driver holds it, which
// seconds more would not change.
constexpr double kReapGraceS = 2.0;
constexpr double kExitS = 1.0;  // this binary's own exit: its CUDA teardown, the XML
// Room in the cap for a CUDA start slower than kCudaStartS (a machine just started): without it a
// slow start would cut the step at its cap, TIMED OUT, its XML lost.
constexpr double kCapSlackS = 2.0;
// gpu-check's cap on this step (scripts/gpu-check.sh, gpu-tests-hang; tests/scripts/
// gpu_check_plan.sh checks that the two agree). The return probe runs only after the trainbench
// probe exited by itself, inside its deadline, so the slowest outcome is that one, then a return
// probe that is killed and does not die: start, one deadline, another, the grace, the exit, and
// the slack: 3 + 6 + 6 + 2 + 1 + 2 = 20 s.
constexpr double kGpuCheckCapS = 20.0;
static_assert(kCudaStartS + 2 * kDeadlineS + kReapGraceS + kExitS + kCapSlackS <= kGpuCheckCapS,
              "the hang probes' slowest outcome and its slack must fit gpu-check's cap on gpu-tests-hang");

struct ProbeRun {
  bool exited = false;  // by itself, before the deadline
  int status = 0;       // waitpid's, when it exited
  double exit_s = -1;   // seconds since spawn
  double written_s = -1;  // when the results file was first seen; -1: never
  std::string stuck;      // at the deadline: the process's state and wait channel, from /proc
  bool died_when_killed = false;
  std::string log;      // the probe's stdout and stderr: its phases, stamped
  std::string results;  // the results file, empty when it was not written
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The state letter (R running, S sleeping, D uninterruptible: inside the driver) and the kernel
// function it sleeps in: where a process that does not exit is stuck.
std::string proc_state(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  const std::string stat = read_file(dir + "/stat");
  const size_t paren = stat.rfind(')');
  const std::string state = paren != std::string::npos && paren + 2 < stat.size() ? stat.substr(paren + 2, 1) : "?";
  const std::string wchan = read_file(dir + "/wchan");
  return "state " + state + ", wchan " + (wchan.empty() ? "?" : wchan);
}

fs::path probe_binary() {
  // Built beside this binary: build/tests/ here, .device/bin/ in the device bundle.
  return fs::read_symlink("/proc/self/exe").parent_path() / "tb_hang_probe";
}

ProbeRun run_probe(const std::string& mode) {
  ProbeRun run;
  std::string templ = (fs::temp_directory_path() / "tb_hang_probe_XXXXXX").string();
  if (!::mkdtemp(templ.data())) {
    ADD_FAILURE() << "mkdtemp failed";
    return run;
  }
  const fs::path dir = templ, log = dir / "probe.log", results = dir / "results.txt";

  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("TRAINBENCH_GPU_WAIT_S=", 0) != 0) env.emplace_back(*e);
  env.push_back("TRAINBENCH_GPU_WAIT_S=" + std::to_string(kWaitLimitS));
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string binary = probe_binary().string(), out = results.string(), how = mode;
  char* argv[] = {binary.data(), out.data(), how.data(), nullptr};

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const auto start = Clock::now();
  const int spawned = posix_spawn(&pid, binary.c_str(), &files, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << std::strerror(spawned);
    return run;
  }
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto reap = [&](double until_s) {  // polls waitpid until the child is gone or `until_s` passes
    for (;;) {
      if (::waitpid(pid, &run.status, WNOHANG) == pid) return true;
      if (run.written_s < 0 && fs::exists(results)) run.written_s = elapsed();
      if (elapsed() > until_s) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  run.exited = reap(kDeadlineS);
  if (run.exited) {
    run.exit_s = elapsed();
  } else {
    run.stuck = proc_state(pid);
    ::kill(pid, SIGKILL);
    run.died_when_killed = reap(kDeadlineS + kReapGraceS);
  }
  if (run.written_s < 0 && fs::exists(results)) run.written_s = elapsed();
  run.log = read_file(log);
  run.results = read_file(results);
  fs::remove_all(dir);
  return run;
}

std::map<std::string, std::string> fields(const std::string& text) {  // "key=value" lines
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (const size_t eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

// One line for gpu-check's summary (it greps "^hang probe"), then the probe's own log.
void print(const ProbeRun& run, const std::string& mode) {
  const auto f = fields(run.results);
  const std::string wait = !f.count("device_lost") ? "no results"
                           : f.at("device_lost") == "1" ? "DeviceLostError after " + f.at("wait_s") + " s"
                                                         : "NO DeviceLostError after " + f.at("wait_s") + " s";
  const std::string written = run.written_s >= 0 ? fmt::format("seen by {:.1f} s", run.written_s) : "never seen";
  const std::string ended =
      run.exited ? fmt::format("exited by itself at {:.1f} s", run.exit_s)
                 : fmt::format("STILL RUNNING at the {:.0f} s deadline ({}), SIGKILLed{}", kDeadlineS, run.stuck,
                               run.died_when_killed ? "" : " and did not die");
  std::cout << fmt::format("hang probe ({}): {}; results file {}; {}\n", mode, wait, written, ended) << run.log
            << std::flush;
}

// Where a probe that did not exit was: before its results (the wait, question a) or after them.
std::string not_exited(const ProbeRun& run, const std::string& after_results) {
  return fmt::format("{} ({} at the {:.0f} s deadline; SIGKILL {}). The probe's log above shows the last phase "
                     "reached.",
                     run.results.empty() ? std::string("the probe never wrote its results: stuck in the bounded wait "
                                                       "or before it")
                                         : after_results,
                     run.stuck, kDeadlineS, run.died_when_killed ? "ended it" : "did not end it: the driver holds it");
}

// (a): the wait gave up with DeviceLostError, after its limit and not long after, and the results
// were written.
void expect_wait_gave_up(const ProbeRun& run) {
  ASSERT_FALSE(run.results.empty())
      << "no results file: the bounded wait did not return on the hung kernel (or the kernel did not "
         "start); the probe's log above shows how far it got";
  const auto f = fields(run.results);
  ASSERT_TRUE(f.count("device_lost") && f.count("wait_s")) << run.results;
  EXPECT_EQ(f.at("device_lost"), "1") << "the wait returned without DeviceLostError: the kernel ended?";
  const double wait_s = std::stod(f.at("wait_s"));
  EXPECT_GE(wait_s, 0.99 * kWaitLimitS) << "gave up before its limit";
  EXPECT_LT(wait_s, kWaitLimitS + kWaitSlackS) << "gave up long after its limit";
}

void expect_exit_status_0(const ProbeRun& run) {
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0)
      << "the probe's status: " << (WIFEXITED(run.status) ? "exit " + std::to_string(WEXITSTATUS(run.status))
                                                          : "signal " + std::to_string(WTERMSIG(run.status)));
}

// The trainbench probe's outcome, for the return probe after it (gtest runs a file's tests in the
// order they are written): empty when it did not run in this process.
std::optional<ProbeRun> g_trainbench_run;

// The pass/fail test: trainbench's own way out after a hung kernel.
TEST(HangProbe, TrainbenchLeavesAtOnceAfterAHungKernel) {
  TB_REQUIRE_GPU();
  ASSERT_TRUE(fs::exists(probe_binary())) << probe_binary() << " missing: build tb_hang_probe (the device bundle "
                                                               "carries it in .device/bin/)";
  const ProbeRun run = run_probe("trainbench");
  g_trainbench_run = run;
  print(run, "trainbench");
  expect_wait_gave_up(run);
  ASSERT_TRUE(run.exited) << not_exited(
      run, "EVEN std::_Exit DOES NOT END THE PROCESS: the driver's own cleanup of the hung kernel blocks, which no "
           "exit path of ours avoids");
  expect_exit_status_0(run);
  EXPECT_NE(run.log.find("leaving without the CUDA runtime's teardown"), std::string::npos)
      << "cli::finish_process did not take the std::_Exit path";
  EXPECT_EQ(run.log.find("exit: the handlers"), std::string::npos) << "the exit handlers ran: the teardown was not skipped";
}

// Why the return probe is not run after this trainbench probe, or "" to run it. Each reason is
// an outcome in which it could only hang as well, at the cost of another deadline that the step's
// cap does not hold.
std::string why_not_after(const ProbeRun& trainbench) {
  if (trainbench.results.empty())
    return "the trainbench probe never wrote its results: the bounded wait did not return, and the return probe "
           "waits the same way";
  if (!trainbench.exited && !trainbench.died_when_killed)
    return "the trainbench probe did not die when SIGKILLed: the driver holds it, and its kernel may hold the GPU "
           "up to 20 s";
  if (!trainbench.exited)
    return "even std::_Exit did not end the trainbench probe: returning from main ends in the same driver cleanup "
           "after the runtime's teardown";
  return "";
}

// A finding either way: does the CUDA runtime's teardown wait for a hung kernel? Blocking is what
// cli/exit_path defends against (the test above checks the defence), so it is recorded, not
// failed; the wait itself not giving up is a failure.
TEST(HangProbe, ReturnFromMainAfterAHungKernel) {
  TB_REQUIRE_GPU();
  ASSERT_TRUE(fs::exists(probe_binary())) << probe_binary() << " missing";
  if (g_trainbench_run) {
    if (const std::string why = why_not_after(*g_trainbench_run); !why.empty()) {
      std::cout << "hang probe (return): not run: " << why << "\n" << std::flush;
      GTEST_SKIP() << "not run: " << why;
    }
  }
  const ProbeRun run = run_probe("return");
  print(run, "return");
  expect_wait_gave_up(run);
  if (run.results.empty()) {  // (a) failed, said above: whether the teardown blocks is not reached
    if (!run.exited) ADD_FAILURE() << not_exited(run, "");
    return;
  }
  if (!run.exited) {
    const std::string finding = fmt::format(
        "TEARDOWN BLOCKS ON A HUNG KERNEL: the probe wrote its results and returned from main, but had not exited "
        "at the {:.0f} s deadline ({}){}. A trainbench whose kernel hangs would never end this way, which is why "
        "it leaves with std::_Exit after a lost device (cli/exit_path.hpp; TrainbenchLeavesAtOnceAfterAHungKernel "
        "checks that)",
        kDeadlineS, run.stuck,
        run.died_when_killed ? ""
                             : "; SIGKILL did not end it: the driver holds it, its kernel may hold the GPU up to 20 s");
    ::testing::Test::RecordProperty("teardown", run.died_when_killed ? "blocks" : "blocks, unkillable");
    std::cout << "hang probe finding: " << finding << "\n" << std::flush;
    GTEST_SKIP() << "finding, not a failure: " << finding;
  }
  ::testing::Test::RecordProperty("teardown", "exits");
  std::cout << fmt::format("hang probe finding: the CUDA runtime's teardown does not block on a hung kernel (exited "
                           "at {:.1f} s)\n",
                           run.exit_s)
            << std::flush;
  expect_exit_status_0(run);
  EXPECT_NE(run.log.find("exit: the handlers registered after main started have returned"), std::string::npos)
      << "exited without running its exit handlers";
}

}  // namespace
}  // namespace tb::kernels
