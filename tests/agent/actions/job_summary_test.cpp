#include "agent/actions/job_summary.h"

#include <catch2/catch.hpp>

using namespace turnout;
using namespace turnout::agent::actions;

namespace {

JobSummary two_stages() {
  JobSummary summary;
  summary.pipeline = "web";
  summary.run_id = "7";
  summary.branch = "main";
  summary.sha = "0123456789abcdef0123456789abcdef01234567";
  summary.result.status = steps::Status::failed;
  steps::StageResult build{"build", steps::Status::succeeded, false, util::Duration(1500), "", {}};
  build.steps.push_back({"compile", steps::Status::succeeded, 0, 0, false, false, util::Duration(1400), ""});
  steps::StageResult test{"test", steps::Status::failed, false, util::Duration(200), "step 'unit' exited 1",
                          {}};
  test.steps.push_back({"lint", steps::Status::failed, 1, 0, false, true, util::Duration(100), "exited 1"});
  test.steps.push_back(
      {"unit|fast", steps::Status::failed, 1, 0, false, false, util::Duration(100), "exited 1"});
  summary.result.stages = {build, test};
  return summary;
}

}  // namespace

TEST_CASE("the summary is a table of stages and steps with result and duration", "[unit][actions]") {
  const auto text = render_job_summary(two_stages());
  CHECK_THAT(text, Catch::StartsWith("### turnout: web ❌ failed\n"));
  CHECK_THAT(text, Catch::Contains("run 7 · branch `main` · commit `0123456789ab`"));
  CHECK_THAT(text, Catch::Contains("| stage | step | result | duration |\n|---|---|---|---|\n"));
  CHECK_THAT(text, Catch::Contains("| **build** |  | ✅ succeeded | 1.5s |\n"));
  CHECK_THAT(text, Catch::Contains("|  | compile | ✅ succeeded | 1.4s |\n"));
  CHECK_THAT(text, Catch::Contains("|  | lint | ⚠️ failed (allowed): exited 1 |"));
  CHECK_THAT(text, Catch::Contains("|  | unit\\|fast | ❌ failed: exited 1 |"));  // | escaped
  CHECK(text.find("Deployed") == std::string::npos);
}

TEST_CASE("the summary names what was deployed", "[unit][actions]") {
  auto summary = two_stages();
  summary.deployed.push_back({"web", summary.sha, steps::deploy::Slot::green, 20202});
  CHECK_THAT(
      render_job_summary(summary),
      Catch::Contains("**Deployed** `" + summary.sha + "` of app `web`: live slot **green** (port 20202)"));
}

TEST_CASE("a summary over the limit drops rows and says so", "[unit][actions]") {
  auto summary = two_stages();
  steps::StageResult big{"big", steps::Status::succeeded, false, util::Duration(1), "", {}};
  for (int i = 0; i < 20000; ++i) {
    big.steps.push_back({"step number " + std::to_string(i) + std::string(60, 'x'), steps::Status::succeeded,
                         0, 0, false, false, util::Duration(1), ""});
  }
  summary.result.stages.push_back(big);
  summary.deployed.push_back({"web", summary.sha, steps::deploy::Slot::blue, 1});
  const auto text = render_job_summary(summary);
  CHECK(text.size() <= kSummaryLimit);
  CHECK(text.size() > kSummaryLimit - 200);
  CHECK_THAT(text, Catch::Contains("more rows left out: a step's summary is limited to 1 MiB"));
  CHECK_THAT(text, Catch::Contains("`turnout logs 7`"));
  CHECK_THAT(text, Catch::Contains("**Deployed**"));  // the footer survives the cut
  CHECK(render_job_summary(summary, 4096).size() <= 4096);
  CHECK(render_job_summary(two_stages(), 10).empty());
}

TEST_CASE("a summary under the limit is whole", "[unit][actions]") {
  const auto text = render_job_summary(two_stages());
  CHECK(text.find("left out") == std::string::npos);
  CHECK(render_job_summary(two_stages(), text.size()) == text);
}

TEST_CASE("a rejected run's summary lists each problem", "[unit][actions]") {
  const auto text =
      render_rejected_summary(".turnout.yml:4:5: unknown key <x>\n.turnout.yml:9:1: bad | value");
  CHECK_THAT(text, Catch::Contains("did not start"));
  CHECK_THAT(text, Catch::Contains("- .turnout.yml:4:5: unknown key &lt;x&gt;\n"));
  CHECK_THAT(text, Catch::Contains("- .turnout.yml:9:1: bad \\| value\n"));
}
