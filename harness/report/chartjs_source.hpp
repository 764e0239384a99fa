#pragma once
// Chart.js, read at report time from Debian's libjs-chart.js and inlined into the HTML, so the
// report fetches nothing when viewed (offline machines, CI artifacts, mail attachments).
#include <string>
#include <vector>

namespace tb::report {

// Where we look, in order: `override_path` (--chartjs), $TB_CHARTJS, then Debian's files
// (Chart.js 4 ships chart.umd.js; 3.x, Debian bookworm, ships chart.min.js as UMD).
std::vector<std::string> chartjs_candidates(const std::string& override_path);

// A UsageError naming `source` (the flag or variable) when `path` is missing, a directory or
// not a regular file: commands call it before any work.
void check_chartjs_file(const std::string& path, const std::string& source);

// The first candidate that exists, checked to be a UMD build (an ES module cannot run from an
// inline classic <script>). Debian's files missing: RuntimeError naming the paths tried and the
// package to install. A path the user gave (--chartjs, TB_CHARTJS) that is missing, a
// directory or not UMD: UsageError naming the flag or variable.
std::string load_chartjs(const std::string& override_path);

// Makes script text safe inside an inline <script> element: "</script" and "<!--" would end
// or confuse the element; "<\/script" and "<\!--" mean the same inside JS strings.
std::string escape_inline_script(const std::string& js);

}  // namespace tb::report
