#pragma once
// Runs the trainbench binary as a user would and captures exit code, stdout and stderr.
#include <string>
#include <vector>

namespace tb::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The trainbench binary under test: $TRAINBENCH_TEST_BINARY when set (a relocated build, as on
// a device machine), else the one this test binary was built beside.
std::string trainbench_binary();

// Arguments are passed through a shell with single-quote escaping.
CliResult run_trainbench(const std::vector<std::string>& args, const std::string& env = "");

// A fresh temporary directory, removed by the caller (or left for inspection on failure).
std::string make_temp_dir(const std::string& prefix);
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
// The first line of `text` that starts with `prefix` ("" where none does): a table's row by name.
std::string line_of(const std::string& text, const std::string& prefix);

}  // namespace tb::testing
