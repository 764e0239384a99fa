// trainbench: measure a machine on the kernels of a transformer training step and extrapolate
// to PF-days, GPUs, data centers, money and energy. The CLI only composes harness/ and kernels/.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/command_registry.hpp"
#include "cli/exit_path.hpp"
#include "cli/missing_argument.hpp"
#include "cli/quantity_parse.hpp"
#include "cli/unknown_flag.hpp"
#include "harness/common/errors.hpp"
#include "harness/common/near_miss.hpp"
#include "harness/runner/device_state.hpp"
#include "harness/runner/interrupt.hpp"
#include "kernels/backend.hpp"
#include "kernels/wait_interrupted.hpp"

namespace {

// Variables read deep inside a run (the CUDA backend's hang limit) are checked up front, where a
// bad value can still be said plainly, instead of silently falling back.
void check_environment() {
  if (const char* wait = std::getenv("TRAINBENCH_GPU_WAIT_S")) {
    const auto seconds = tb::cli::parse_finite_number(wait);
    if (!seconds || !(*seconds > 0))
      throw tb::UsageError(fmt::format("TRAINBENCH_GPU_WAIT_S: '{}' is not a positive number of seconds (the limit "
                                       "after which a GPU wait is taken as a hung kernel; unset: 30)",
                                       wait));
  }
}

int run_cli(int argc, char** argv) {
  tb::cli::save_argv(argc, argv);
  CLI::App app{"trainbench: how fast does this machine train transformers, and what does a model cost?"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("trainbench ") + TB_VERSION);
  auto& entries = tb::cli::command_entries();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& entry : entries) entry.add(app);

  try {
    // CLI11 reads `--tokens ''` (or `--tokens=`) as the flag not given; no flag of ours takes an
    // empty value, so one is a mistake (often an unset shell variable).
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg.empty())
        throw tb::UsageError(i > 1 ? fmt::format("an empty value after {}: give one (an unset shell variable?)",
                                                 argv[i - 1])
                                   : std::string("an empty subcommand; run with --help for the list"));
      if (arg.rfind("--", 0) == 0 && arg.back() == '=')
        throw tb::UsageError(fmt::format("{} with an empty value: give one", arg.substr(0, arg.size() - 1)));
    }
    check_environment();
    if (argc > 1 && argv[1][0] != '-') {
      const std::string wanted = argv[1];
      const auto subcommands = app.get_subcommands([](CLI::App*) { return true; });
      const bool known =
          std::any_of(subcommands.begin(), subcommands.end(), [&](CLI::App* s) { return s->get_name() == wanted; });
      if (!known) {
        std::vector<std::string> names;
        for (CLI::App* s : subcommands) names.push_back(s->get_name());
        throw tb::UsageError(fmt::format("unknown subcommand '{}'{}; accepted: {}", wanted,
                                         tb::did_you_mean(wanted, names), fmt::join(names, ", ")));
      }
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConversionError& e) {
    // CLI11 says "Could not convert: --seq = abc": name the flag first, as every other message does.
    const std::string text = e.what();
    const std::string prefix = "Could not convert: ";
    const size_t eq = text.find(" = ");
    if (text.rfind(prefix, 0) == 0 && eq != std::string::npos) {
      const std::string flag = text.substr(prefix.size(), eq - prefix.size());
      // The type the flag takes, in words: found on the subcommand that was parsed.
      std::string type;
      for (const CLI::App* sub : app.get_subcommands())
        if (const CLI::Option* opt = sub->get_option_no_throw(flag))
          type = opt->get_type_name().substr(0, opt->get_type_name().find_first_of(": "));  // "INT:validator"
      const std::string wanted = type == "INT"    ? "a whole number (e.g. 8)"
                                 : type == "UINT"  ? "a non-negative whole number"
                                 : type == "FLOAT" ? "a number (e.g. 0.5)"
                                                   : "a value of the type in --help";
      fmt::print(stderr, "trainbench: {}: '{}' is not {}\nRun with --help for usage.\n", flag, text.substr(eq + 3),
                 wanted);
    } else {
      fmt::print(stderr, "trainbench: {}\nRun with --help for usage.\n", text);
    }
    return tb::kExitUsage;
  } catch (const CLI::RequiredError& e) {
    fmt::print(stderr, "trainbench: {}\n", tb::cli::describe_missing(app, e.what()));
    return tb::kExitUsage;
  } catch (const CLI::ExtrasError&) {
    fmt::print(stderr, "trainbench: {}\n", tb::cli::describe_extras(app));
    return tb::kExitUsage;
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes are not ours: every parse failure is a usage error. Its wording for a
    // flag given twice ("--mfu: At Most 1 required but received 2") is put plainly.
    const std::string text = e.what();
    const std::string at_most = ": At Most 1 required but received ";
    if (const size_t at = text.find(at_most); at != std::string::npos)
      fmt::print(stderr, "trainbench: {} given {} times; give it once\nRun with --help for usage.\n",
                 text.substr(0, at), text.substr(at + at_most.size()));
    else
      fmt::print(stderr, "trainbench: {}\nRun with --help for usage.\n", text);
    return tb::kExitUsage;
  } catch (const tb::UsageError& e) {
    fmt::print(stderr, "trainbench: {}\n", e.what());
    return tb::kExitUsage;
  } catch (const tb::RuntimeError& e) {
    fmt::print(stderr, "trainbench: error: {}\n", e.what());
    return tb::kExitRuntime;
  } catch (const tb::kernels::WaitInterruptedError& e) {
    // Interrupted in a wait outside a kernel's measurement: the work still holds the device, so
    // leave without the CUDA teardown, with the interrupt's exit code.
    tb::runner::mark_device_lost(e.what());
    fmt::print(stderr, "trainbench: interrupted: {}\n", e.what());
    return tb::runner::interrupted_exit_code();
  } catch (const tb::kernels::DeviceLostError& e) {
    // Lost outside a kernel's measurement (measure_op marks those itself): marked here too, so that
    // main leaves without the CUDA teardown on this path as well.
    tb::runner::mark_device_lost(e.what());
    fmt::print(stderr, "trainbench: error: {}\n", e.what());
    return tb::kExitRuntime;
  } catch (const std::exception& e) {
    fmt::print(stderr, "trainbench: error: {}\n", e.what());
    return tb::kExitRuntime;
  }
  return tb::cli::exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  // After a lost device this never returns: it leaves with std::_Exit (cli/exit_path.hpp).
  return tb::cli::finish_process(run_cli(argc, argv));
}
