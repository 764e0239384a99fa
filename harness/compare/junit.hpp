#pragma once
// JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one <testcase> per compared
// kernel and the step, a <failure> element for each regression. The de-facto schema is Ant's
// JUnit report format: testsuites > testsuite(name, tests, failures) > testcase(classname, name).
#include <string>

#include "harness/compare/regression.hpp"

namespace tb::compare {

std::string junit_xml(const RegressionReport& report);

// The gate could not judge (an input refused, unreadable, of another device): one <testcase>
// with an <error> whose type is the refusal's kind (gate_error.hpp: "unreadable", "never_fails",
// ...), so that CI shows why instead of a missing report.
std::string junit_error_xml(const std::string& message, const std::string& kind);

// Escapes &, <, >, " and ' and drops control characters XML 1.0 cannot carry.
std::string xml_escape(const std::string& text);

}  // namespace tb::compare
