#include "cli/command_registry.hpp"

namespace tb::cli {

std::vector<CommandEntry>& command_entries() {
  static std::vector<CommandEntry> entries;
  return entries;
}

Registration::Registration(std::string name, int order, AddCommand add) {
  command_entries().push_back({std::move(name), order, std::move(add)});
}

static int g_argc = 0;
static char** g_argv = nullptr;
void save_argv(int argc, char** argv) {
  g_argc = argc;
  g_argv = argv;
}
int saved_argc() { return g_argc; }
char** saved_argv() { return g_argv; }

static int g_exit_code = 0;
void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

}  // namespace tb::cli
