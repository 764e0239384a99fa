#include "harness/compare/junit.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tb::compare {

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows only tab, newline and carriage return below 0x20.
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') out += ' ';
        else out += ch;
    }
  }
  return out;
}

std::string junit_xml(const RegressionReport& r) {
  const int failures = r.regressions();
  // Unjudged for the measurements' sake (too noisy, a single sample), or missing tonight, the gate
  // is inconclusive and exits 3: an <error>, so that a CI view agrees with the exit code; the step
  // of other kernel sets (--allow-different-shapes) was left out as asked, and a kernel new
  // tonight, fixed, or failing on both sides passes the gate unjudged: <skipped>, with why.
  const int errors = r.inconclusive_items();
  const int skipped = static_cast<int>(std::count_if(r.items.begin(), r.items.end(), [](const ItemVerdict& i) {
    return !leaves_inconclusive(i) && (i.verdict == Verdict::Unjudged || i.verdict == Verdict::StillFailing ||
                                       i.verdict == Verdict::Fixed || i.verdict == Verdict::New);
  }));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"trainbench compare\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                     r.items.size(), failures, errors);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                     xml_escape("trainbench regression: " + r.current_origin + " vs " + r.baseline_origin),
                     r.items.size(), failures, errors, skipped);
  out += fmt::format("    <properties>\n      <property name=\"verdict\" value=\"{}\"/>\n", r.verdict());
  out += fmt::format("      <property name=\"baseline\" value=\"{}\"/>\n"
                     "      <property name=\"current\" value=\"{}\"/>\n"
                     "      <property name=\"threshold\" value=\"{}\"/>\n      <property name=\"alpha\" value=\"{}\"/>\n"
                     "      <property name=\"correction\" value=\"{}\"/>\n"
                     "      <property name=\"family_size\" value=\"{}\"/>\n"
                     "      <property name=\"false_alarms_bounded\" value=\"{}\"/>\n",
                     xml_escape(r.baseline_origin), xml_escape(r.current_origin), r.options.threshold, r.options.alpha,
                     to_string(r.options.correction), r.family_size, r.false_alarms_bounded());
  for (const auto& e : r.environment)  // what changed since the baseline, for whoever reads the failure
    out += fmt::format("      <property name=\"changed.{}\" value=\"{} -&gt; {}\"/>\n",
                       xml_escape(e.kernel.empty() ? e.field : e.field + "." + e.kernel), xml_escape(e.baseline),
                       xml_escape(e.current));
  out += "    </properties>\n";
  for (const auto& i : r.items) {
    // time: the current median in seconds, so CI dashboards show something meaningful.
    out += fmt::format("    <testcase classname=\"trainbench.{}\" name=\"{}\" time=\"{:.6f}\"",
                       i.key == "step" ? "step" : "kernel", xml_escape(i.key), i.current_ms * 1e-3);
    if (i.verdict == Verdict::Failed) {
      out += fmt::format(">\n      <failure message=\"{}\" type=\"failed\">{}</failure>\n    </testcase>\n",
                         xml_escape(fmt::format("{} {}", i.key, i.reason)), xml_escape(i.explanation));
    } else if (i.verdict == Verdict::Slower) {
      out += fmt::format(">\n      <failure message=\"{}\" type=\"regression\">{}</failure>\n    </testcase>\n",
                         xml_escape(fmt::format("{} is {:.2f}% slower", i.key, 100.0 * i.change)),
                         xml_escape(i.explanation));
    } else if (i.verdict == Verdict::Missing) {
      out += fmt::format(">\n      <error message=\"{}\" type=\"missing\">{}</error>\n    </testcase>\n",
                         xml_escape(fmt::format("{} missing: {}", i.key, i.reason)), xml_escape(i.explanation));
    } else if (i.verdict == Verdict::Unjudged && makes_inconclusive(i.unjudged_reason)) {
      out += fmt::format(">\n      <error message=\"{}\" type=\"unjudged\">{}</error>\n    </testcase>\n",
                         xml_escape(fmt::format("{} not judged: {}", i.key, i.reason)), xml_escape(i.explanation));
    } else if (i.verdict == Verdict::StillFailing || i.verdict == Verdict::Fixed || i.verdict == Verdict::New) {
      // "still failing: ...": the verdict in words first, where a CI view shows the message.
      std::string words = to_string(i.verdict);
      std::replace(words.begin(), words.end(), '_', ' ');
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                         xml_escape(fmt::format("{}: {}", words, i.explanation)));
    } else if (i.verdict == Verdict::Unjudged) {
      // Neither passed nor failed: a CI view shows it apart from what was judged.
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(i.explanation));
    } else {
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n",
                         xml_escape(fmt::format("{}: {}", to_string(i.verdict), i.explanation)));
    }
  }
  // The notes (files missing kernels, unverified kernels, mixed setups) where CI shows the suite's output.
  if (!r.notes.empty()) {
    std::string notes;
    for (const auto& n : r.notes) notes += "note: " + n + "\n";
    out += fmt::format("    <system-out>{}</system-out>\n", xml_escape(notes));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string junit_error_xml(const std::string& message, const std::string& kind) {
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<testsuites name=\"trainbench compare\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
                     "  <testsuite name=\"trainbench regression\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
                     "    <testcase classname=\"trainbench.gate\" name=\"compare\" time=\"0\">\n"
                     "      <error message=\"{}\" type=\"{}\">{}</error>\n"
                     "    </testcase>\n  </testsuite>\n</testsuites>\n",
                     xml_escape(message), xml_escape(kind), xml_escape(message));
}

}  // namespace tb::compare
