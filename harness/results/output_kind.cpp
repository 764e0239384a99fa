#include "harness/results/output_kind.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace tb::results {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The first 64 bytes after leading white space, lower-cased: enough to tell a markup file's kind.
std::string opening(const std::string& text) {
  const size_t start = std::min(text.find_first_not_of(" \t\r\n\xEF\xBB\xBF"), text.size());
  std::string head = text.substr(start, 64);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  return head;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

nlohmann::json json_object(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json();
}

bool results_file(const std::string& text) {
  const nlohmann::json j = json_object(text);
  return j.contains("schema_version") && j.contains("machine") && j.contains("kernels");
}

bool gbench_json(const std::string& text) {
  const nlohmann::json j = json_object(text);
  return j.contains("benchmarks") && j["benchmarks"].is_array();
}

}  // namespace

std::string describe(OutputKind kind) {
  switch (kind) {
    case OutputKind::Results: return "a trainbench results file (JSON with schema_version, machine and kernels)";
    case OutputKind::SweepCsv: return "a trainbench sweep CSV (header m,n,k,layout,dtype,...)";
    case OutputKind::GbenchJson: return "a Google Benchmark JSON file (with a benchmarks array)";
    case OutputKind::BenchmarkOut:
      return "a Google Benchmark output file (JSON with a benchmarks array, its CSV, or its console table)";
    case OutputKind::JUnitXml: return "a JUnit XML file";
    case OutputKind::Html: return "an HTML file";
  }
  return "?";
}

bool holds_output_of(const std::string& path, OutputKind kind) {
  const std::string text = read_all(path);
  if (text.empty()) return true;
  switch (kind) {
    case OutputKind::Results: return results_file(text);
    case OutputKind::SweepCsv: return starts_with(text, "m,n,k,layout,dtype,");
    case OutputKind::GbenchJson: return gbench_json(text);
    case OutputKind::BenchmarkOut:
      // Its JSON, its CSV, or its console table (a date line, then "Running <program>").
      return gbench_json(text) || starts_with(text, "name,iterations,") ||
             (text.size() > 4 && std::isdigit(static_cast<unsigned char>(text[0])) &&
              text.find("\nRunning ") != std::string::npos && text.find("\nRunning ") < 80);
    case OutputKind::JUnitXml: {
      const std::string head = opening(text);
      return starts_with(head, "<?xml") || starts_with(head, "<testsuite");
    }
    case OutputKind::Html: {
      const std::string head = opening(text);
      return starts_with(head, "<!doctype html") || starts_with(head, "<html");
    }
  }
  return false;
}

std::string replacement_refusal(const std::string& path, const std::string& flag, OutputKind kind) {
  if (holds_output_of(path, kind)) return "";
  return fmt::format("{} {}: the file exists and is not {}; writing would replace it: give another path, or remove "
                     "the file first if it is meant to go",
                     flag, path, describe(kind));
}

}  // namespace tb::results
