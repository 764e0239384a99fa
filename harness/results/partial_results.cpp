#include "harness/results/partial_results.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "harness/results/output_kind.hpp"

namespace tb::results {

namespace {

// "2026-12-07T22:08:05Z", as machine.utc_time is written (runner::utc_now_iso8601), in seconds
// since the epoch; nullopt for anything else, which no comparison can trust.
std::optional<std::time_t> parse_utc(const std::string& text) {
  std::tm tm{};
  char zone = 0;
  int consumed = 0;
  if (text.size() != 20 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &zone, &consumed) != 7 ||
      zone != 'Z' || consumed != 20)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return ::timegm(&tm);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string string_at(const nlohmann::json& j, const char* object, const char* key) {
  const nlohmann::json* at = &j;
  if (object) {
    if (!j.contains(object) || !j[object].is_object()) return "";
    at = &j[object];
  }
  return at->contains(key) && (*at)[key].is_string() ? (*at)[key].get<std::string>() : "";
}

}  // namespace

std::string partial_path_beside(const std::string& out) {
  std::filesystem::path p(out);
  const std::string extension = p.extension().string();
  p.replace_extension();
  return p.string() + ".partial" + extension;
}

bool holds_complete_results(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  if (!holds_output_of(path, OutputKind::Results)) return false;
  const auto j = nlohmann::json::parse(read_text(path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  const auto status = j.find("status");
  return status != j.end() && status->is_string() && status->get<std::string>() == "complete";
}

std::string progress_path_for(const std::string& out) {
  return holds_complete_results(out) ? partial_path_beside(out) : out;
}

StalePartial clear_stale_partial(const std::string& out, const std::string& run_started_utc) {
  StalePartial s;
  s.path = partial_path_beside(out);
  std::error_code ec;
  if (!std::filesystem::exists(s.path, ec)) return s;
  const auto keep = [&](const std::string& why) {
    s.note = fmt::format("kept {} beside {}: {}", s.path, out, why);
    return s;
  };
  const std::string text = std::filesystem::is_regular_file(s.path, ec) ? read_text(s.path) : "";
  if (text.empty() || !holds_output_of(s.path, OutputKind::Results))
    return keep("it is not a trainbench results file, so not an earlier run's partial writes (remove it if it "
                "is not yours)");
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::string command = string_at(j, "workload", "command"), status = string_at(j, nullptr, "status");
  if (command != "run")
    return keep(command.empty()
                    ? "it holds a results file that names no command, not the partial writes of `run`"
                    : fmt::format("it holds a results file of `{}`, not the partial writes of `run`", command));
  if (status == "complete") return keep("it holds a complete run, which `run` never leaves there");
  const std::string started = string_at(j, "machine", "utc_time");
  const auto then = parse_utc(started), now = parse_utc(run_started_utc);
  if (!then || !now)
    return keep(fmt::format("its start (machine.utc_time \"{}\") cannot be compared with this run's (\"{}\")", started,
                            run_started_utc));
  if (*then > *now)
    return keep(fmt::format("that run started at {}, after this one ({}): another run's writes", started,
                            run_started_utc));
  if (!std::filesystem::remove(s.path, ec) || ec)
    return keep(fmt::format("an earlier run's partial writes, but removing them failed: {}",
                            ec ? ec.message() : "it was already gone"));
  s.removed = true;
  s.note = fmt::format("removed {}: an earlier run's partial writes (status {}, started {}), older than this complete "
                       "run in {}",
                       s.path, status.empty() ? "none" : status, started, out);
  return s;
}

}  // namespace tb::results
