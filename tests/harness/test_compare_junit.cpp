// JUnit XML: well-formed (checked by a small XML tokenizer), one <failure> per regression,
// names escaped.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <regex>
#include <vector>

#include "harness/compare/gate_error.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;

namespace {

// Well-formedness for the subset JUnit uses: a prolog, nested elements with quoted attributes,
// text, and only the five predefined entities.
bool well_formed(const std::string& xml, std::string& why) {
  std::vector<std::string> stack;
  size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  bool root_seen = false;
  const std::regex entity("^&(amp|lt|gt|quot|apos);");
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const size_t end = xml.find('>', i);
      if (end == std::string::npos) return why = "unterminated tag", false;
      std::string tag = xml.substr(i + 1, end - i - 1);
      if (tag.find('<') != std::string::npos) return why = "'<' inside a tag", false;
      if (tag[0] == '/') {
        if (stack.empty() || stack.back() != tag.substr(1)) return why = "mismatched </" + tag.substr(1) + ">", false;
        stack.pop_back();
      } else {
        const bool self_closing = tag.back() == '/';
        if (self_closing) tag.pop_back();
        const std::string name = tag.substr(0, tag.find_first_of(" \n\t"));
        const std::string attrs = tag.substr(name.size());
        if (!std::regex_match(attrs, std::regex("(\\s+[A-Za-z_:-]+=\"[^\"<]*\")*\\s*")))
          return why = "bad attributes in <" + name + ">", false;
        if (stack.empty() && root_seen) return why = "second root element", false;
        root_seen = true;
        if (!self_closing) stack.push_back(name);
      }
      i = end + 1;
    } else {
      if (xml[i] == '&') {
        std::smatch m;
        const std::string rest = xml.substr(i, 8);
        if (!std::regex_search(rest, m, entity)) return why = "bad entity", false;
      }
      if (stack.empty() && !isspace(static_cast<unsigned char>(xml[i]))) return why = "text outside the root", false;
      ++i;
    }
  }
  if (!stack.empty()) return why = "unclosed <" + stack.back() + ">", false;
  return root_seen;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST(CompareJUnit, OneFailureElementPerRegressionAndWellFormed) {
  tb::testing::SyntheticRunSpec base, cur;
  cur.seed = 2;
  cur.slow_kernel = "mlp_up.fwd";
  cur.slowdown = 0.2;
  const auto r = check_regressions({"base<&>.json", tb::testing::synthetic_run(base)},
                                   {"cur\".json", tb::testing::synthetic_run(cur)}, {});
  ASSERT_EQ(r.regressions(), 1);
  const std::string xml = junit_xml(r);
  std::string why;
  EXPECT_TRUE(well_formed(xml, why)) << why << "\n" << xml;
  EXPECT_EQ(count(xml, "<failure "), 1u);
  EXPECT_EQ(count(xml, "<testcase "), r.items.size());
  EXPECT_NE(xml.find("mlp_up.fwd"), std::string::npos);
  EXPECT_NE(xml.find("base&lt;&amp;&gt;.json"), std::string::npos);
  EXPECT_NE(xml.find(fmt::format("tests=\"{}\" failures=\"1\"", r.items.size())), std::string::npos);
}

TEST(CompareJUnit, EscapesEverythingXmlCannotCarry) {
  EXPECT_EQ(xml_escape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&apos; ");
  std::string why;
  EXPECT_FALSE(well_formed("<a><b></a>", why));  // the checker itself can fail
  EXPECT_FALSE(well_formed("<a x=\"1\">&bogus;</a>", why));
}

// An unjudged item (here the step of files with different kernel sets) is <skipped>, neither
// passed nor failed; the notes, naming the file without the kernel, are the suite's output; the
// correction and its family are properties.
TEST(CompareJUnit, UnjudgedItemsAreSkippedAndTheNotesAreTheSuitesOutput) {
  auto base = tb::testing::synthetic_run({});
  auto cur = base;
  cur.kernels.pop_back();
  tb::testing::restep_from_kernels(cur);  // as a run writes it: time, FLOPs and utilisation its kernels'

  RegressionOptions o;
  o.compatibility.allow_different_shapes = true;
  const auto r = check_regressions({"base.json", base}, {"cur.json", cur}, o);
  const std::string xml = junit_xml(r);
  std::string why;
  EXPECT_TRUE(well_formed(xml, why)) << why << "\n" << xml;
  EXPECT_EQ(count(xml, "<skipped message="), 1u) << xml;
  EXPECT_NE(xml.find("skipped=\"1\""), std::string::npos) << xml;
  // The kernel tonight lacks is its own <error type="missing"> (kernel_items.hpp), not a note; the
  // notes (here the one-run-a-side caveat) are the suite's output.
  EXPECT_NE(xml.find("<error message=\"" + kernel_key(base.kernels.back()) + " missing: "), std::string::npos) << xml;
  EXPECT_NE(xml.find("type=\"missing\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<system-out>note: 1 vs 1 run(s)"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"correction\" value=\"holm\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find(fmt::format("<property name=\"family_size\" value=\"{}\"/>", r.family_size)), std::string::npos);
}

// A refusal says its kind where a job reads it: the JUnit <error type>, as the JSON's error_kind.
// The kinds come from where the gate refused: another device is "incomparable", a partial
// baseline "partial"; a plain UsageError is "usage", anything else "runtime" (exit 1).
TEST(CompareJUnit, ARefusalNamesItsKind) {
  const std::string xml = junit_error_xml("b.json: the run is partial", "partial");
  EXPECT_NE(xml.find("<error message=\"b.json: the run is partial\" type=\"partial\">"), std::string::npos) << xml;
  auto kind_of = [](const std::vector<LabeledResults>& b, const std::vector<LabeledResults>& c) {
    try {
      check_regressions(b, c, {});
    } catch (const std::exception& e) {
      return error_kind(e);
    }
    return GateErrorKind::Runtime;
  };
  const auto base = tb::testing::synthetic_run({});
  auto other = tb::testing::synthetic_run({.device_name = "NVIDIA H200 (synthetic test data)", .seed = 2});
  EXPECT_EQ(kind_of({{"b.json", base}}, {{"c.json", other}}), GateErrorKind::Incomparable);
  auto partial = base;
  tb::testing::mark_not_measured(partial, 0, "interrupted", "");
  EXPECT_EQ(kind_of({{"b.json", partial}}, {{"c.json", tb::testing::synthetic_run({.seed = 3})}}), GateErrorKind::Partial);
  EXPECT_EQ(error_kind(tb::UsageError("--alpha")), GateErrorKind::Usage);
  EXPECT_EQ(error_kind(std::runtime_error("disk full")), GateErrorKind::Runtime);
  EXPECT_EQ(exit_code(GateErrorKind::Runtime), 1);
  EXPECT_EQ(exit_code(GateErrorKind::NeverFails), 2);
  EXPECT_STREQ(to_string(GateErrorKind::NeverFails), "never_fails");
}
