#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself with one line:
//   static const tb::cli::Registration reg{"estimate", 20, add_estimate_command};
// main.cpp never changes when a command is added.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tb::cli {

// Adds the subcommand to `app`; the subcommand's callback does the work and may throw
// tb::UsageError / tb::RuntimeError, which main maps to exit codes.
using AddCommand = std::function<void(CLI::App& app)>;

struct CommandEntry {
  std::string name;
  int order;  // position in --help
  AddCommand add;
};

std::vector<CommandEntry>& command_entries();

struct Registration {
  Registration(std::string name, int order, AddCommand add);
};

// The process's argv, saved by main, for the provenance every results file records.
void save_argv(int argc, char** argv);
int saved_argc();
char** saved_argv();

// Exit code a command's callback asks main to return (e.g. 1 for a detected regression).
void set_exit_code(int code);
int exit_code();

}  // namespace tb::cli
