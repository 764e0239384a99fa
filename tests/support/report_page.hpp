#pragma once
// For tests of `trainbench report`: a stand-in Chart.js, so that report runs without
// libjs-chart.js, and the data a written page draws, read back from its JSON script element.
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {

// A UMD-shaped stand-in for Chart.js's build, written as DIR/chart.umd.js; returns its path.
inline std::string write_fake_chartjs(const std::string& dir) {
  const std::string path = dir + "/chart.umd.js";
  write_text(path, "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,function(){return function(){}})");
  return path;
}

// The page's data as embedded (json_for_script escapes only <, > and &, which JSON reads back);
// null where the page has none.
inline nlohmann::json report_page_data(const std::string& html_path) {
  const std::string html = read_text(html_path);
  const std::string open = "<script type=\"application/json\" id=\"tb-data\">";
  const size_t from = html.find(open);
  if (from == std::string::npos) return nullptr;
  const size_t start = from + open.size();
  return nlohmann::json::parse(html.substr(start, html.find("</script>", start) - start));
}

}  // namespace tb::testing
