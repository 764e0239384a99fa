#pragma once
// The report page's stylesheet and script. The script reads the inlined JSON (report_data.hpp)
// and draws every chart with Chart.js — no hand-drawn chart code. All text goes in through
// textContent, never innerHTML, so names from results files cannot inject markup.
// After Chart.js renders a chart, its canvas gets data-rendered="1" and body's
// data-charts-rendered counts them: the headless-browser test waits for that.
namespace tb::report {

extern const char* const kPageCss;
extern const char* const kPageScript;

}  // namespace tb::report
