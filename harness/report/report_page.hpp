#pragma once
// The report page's stylesheet and script. The script reads the inlined JSON (html_report.hpp's
// report_page_data) and draws every chart with Chart.js — no hand-drawn chart code. All text goes
// in through textContent, never innerHTML, so names from results files cannot inject markup.
// After Chart.js renders a chart, its canvas gets data-rendered="1" and body's
// data-charts-rendered counts them: the headless-browser test waits for that.
#include <string>

namespace tb::report {

extern const char* const kPageCss;

// The script's parts, one function of the page per kind of section: helpers (report_page.cpp),
// drawRuns (report_page_runs.cpp), drawHealth, drawSweeps, drawComm, drawKernelFiles
// (report_page_kinds.cpp), drawGate (report_page_gate.cpp), then the calls.
extern const char* const kScriptHelpers;
extern const char* const kScriptRuns;
extern const char* const kScriptKinds;
extern const char* const kScriptGate;
extern const char* const kScriptMain;

// The whole script, its parts in one strict-mode function.
std::string page_script();

}  // namespace tb::report
