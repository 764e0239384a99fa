#include "tests/support/cli_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tb::testing {

static std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

std::string make_temp_dir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  char* dir = ::mkdtemp(templ.data());
  return dir ? std::string(dir) : std::string();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trainbench_binary() {
  const char* env = std::getenv("TRAINBENCH_TEST_BINARY");
  return env && *env ? std::string(env) : std::string(TB_BINARY);
}

CliResult run_trainbench(const std::vector<std::string>& args, const std::string& env) {
  static int counter = 0;
  const std::string dir = make_temp_dir("tb_cli_");
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  std::string cmd = env + (env.empty() ? "" : " ") + quote(trainbench_binary());
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(out_path) + " 2>" + quote(err_path) + " </dev/null";
  ++counter;
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  std::filesystem::remove_all(dir);
  return r;
}

std::string line_of(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

}  // namespace tb::testing
