#include "harness/report/chartjs_source.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/errors.hpp"

namespace tb::report {

std::vector<std::string> chartjs_candidates(const std::string& override_path) {
  if (!override_path.empty()) return {override_path};
  std::vector<std::string> c;
  if (const char* env = std::getenv("TB_CHARTJS"); env && *env) return {env};
  c.push_back("/usr/share/javascript/chart.js/chart.umd.js");
  c.push_back("/usr/share/javascript/chart.js/chart.min.js");
  c.push_back("/usr/share/javascript/chart.js/chart.js");
  c.push_back("/usr/share/nodejs/chart.js/dist/chart.umd.js");
  return c;
}

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A UMD wrapper tests for CommonJS and AMD and otherwise sets a global; an ES module build
// has top-level `export` statements and none of these.
bool looks_umd(const std::string& js) {
  return js.find("typeof exports") != std::string::npos && js.find("define.amd") != std::string::npos;
}

}  // namespace

void check_chartjs_file(const std::string& path, const std::string& source) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  const char* what = !std::filesystem::exists(st)      ? "no such file"
                     : std::filesystem::is_directory(st) ? "is a directory"
                     : !std::filesystem::is_regular_file(st) ? "is not a regular file"
                                                           : nullptr;
  if (what)
    throw UsageError(fmt::format("{} {}: {}; give a UMD build of Chart.js (chart.umd.js or chart.min.js), or "
                                 "install Debian's libjs-chart.js and leave {} out",
                                 source, path, what, source));
}

std::string load_chartjs(const std::string& override_path) {
  const auto candidates = chartjs_candidates(override_path);
  // A path the user named (--chartjs or TB_CHARTJS) that does not work is their input: exit 2
  // naming where it came from, whether it is missing, a directory or not Chart.js at all.
  const char* env = std::getenv("TB_CHARTJS");
  const bool explicit_path = !override_path.empty() || (env && *env);
  if (explicit_path) {
    const std::string source = !override_path.empty() ? "--chartjs" : "TB_CHARTJS";
    check_chartjs_file(candidates.front(), source);
    std::string js = read_all(candidates.front());
    if (looks_umd(js)) return js;
    throw UsageError(fmt::format("{} {}: not a UMD build of Chart.js (an ES module cannot be inlined in a classic "
                                 "<script>); give chart.umd.js or chart.min.js",
                                 source, candidates.front()));
  }
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    std::string js = read_all(path);
    if (looks_umd(js)) return js;
  }
  throw RuntimeError(fmt::format("Chart.js not found (tried {}); install Debian's libjs-chart.js package "
                                 "(apt-get install libjs-chart.js) or point --chartjs / TB_CHARTJS at a UMD build",
                                 fmt::join(candidates, ", ")));
}

std::string escape_inline_script(const std::string& js) {
  std::string out;
  out.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    if (js[i] == '<' && i + 1 < js.size()) {
      std::string next = js.substr(i + 1, 7);
      for (char& c : next) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (next.rfind("/script", 0) == 0 || next.rfind("!--", 0) == 0) {
        out += "<\\";
        continue;
      }
    }
    out += js[i];
  }
  return out;
}

}  // namespace tb::report
