#include "harness/results/partial_results.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/results/output_kind.hpp"

namespace tb::results {

std::string partial_path_beside(const std::string& out) {
  std::filesystem::path p(out);
  const std::string extension = p.extension().string();
  p.replace_extension();
  return p.string() + ".partial" + extension;
}

bool holds_complete_results(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!holds_output_of(path, OutputKind::Results)) return false;
  const auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  const auto status = j.find("status");
  return status != j.end() && status->is_string() && status->get<std::string>() == "complete";
}

std::string progress_path_for(const std::string& out) {
  return holds_complete_results(out) ? partial_path_beside(out) : out;
}

}  // namespace tb::results
