// `turnout run` as a step of a GitHub Actions job: the real binary in an environment set up as
// the runner sets it, its stdout read as the runner reads it, and GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY checked against GitHub's documented formats.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "steps/deploy/app_state.h"
#include "steps/deploy/slot_process.h"
#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/git_repo.h"
#include "tests/support/temp_dir.h"

using namespace turnout;
using namespace turnout::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// What the runner makes of a step's stdout: the lines it takes as commands, and the lines it
// shows. As the runner does, leading blanks are ignored before `::`, `##[` anywhere is a (legacy)
// command, and nothing is a command between `::stop-commands::TOKEN` and `::TOKEN::`.
struct RunnerView {
  std::vector<std::string> commands;
  std::vector<std::string> shown;
};

RunnerView as_runner_sees(const std::string& out) {
  RunnerView view;
  std::string stop_token;
  for (const auto& line : lines_of(out)) {
    const std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (!stop_token.empty()) {
      if (trimmed == "::" + stop_token + "::") {
        stop_token.clear();
      } else {
        view.shown.push_back(line);
      }
      continue;
    }
    if (trimmed.starts_with("::") || line.find("##[") != std::string::npos) {
      view.commands.push_back(trimmed);
      if (trimmed.starts_with("::stop-commands::")) stop_token = trimmed.substr(17);
      continue;
    }
    view.shown.push_back(line);
  }
  return view;
}

// GITHUB_OUTPUT as the runner parses it: `name=value`, or `name<<DELIM`, lines, `DELIM`.
std::map<std::string, std::string> parse_outputs(const std::string& text) {
  std::map<std::string, std::string> outputs;
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const auto equals = line.find('=');
    const auto heredoc = line.find("<<");
    if (equals != std::string::npos && (heredoc == std::string::npos || equals < heredoc)) {
      outputs[line.substr(0, equals)] = line.substr(equals + 1);
      continue;
    }
    REQUIRE(heredoc != std::string::npos);
    const std::string delimiter = line.substr(heredoc + 2);
    std::vector<std::string> value;
    bool closed = false;
    for (++i; i < lines.size() && !closed; ++i) {
      closed = lines[i] == delimiter;
      if (!closed) value.push_back(lines[i]);
    }
    --i;
    REQUIRE(closed);
    std::string joined;
    for (const auto& part : value) joined += (&part == &value.front() ? "" : "\n") + part;
    outputs[line.substr(0, heredoc)] = joined;
  }
  return outputs;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A job's workspace (a real git repository), its runner files, and turnout's data folder.
struct Job {
  TempDir dir;
  GitRepo repo{dir / "ws"};
  std::string sha;

  explicit Job(const std::string& pipeline) {
    sha = repo.commit(".turnout.yml", pipeline, "pipeline");
    dir.write("output", "earlier=1\n");  // what an earlier step of the job wrote
    dir.write("summary", "# earlier step\n");
  }

  std::map<std::string, std::string> env() const {
    return {{"GITHUB_ACTIONS", "true"},
            {"GITHUB_WORKSPACE", repo.path().string()},
            {"GITHUB_SHA", sha},
            {"GITHUB_REF", "refs/heads/main"},
            {"GITHUB_REF_NAME", "main"},
            {"GITHUB_REPOSITORY", "acme/app"},
            {"GITHUB_OUTPUT", (dir / "output").string()},
            {"GITHUB_STEP_SUMMARY", (dir / "summary").string()},
            {"RUNNER_TRACKING_ID", "github_0123"},
            {"TURNOUT_DATA_DIR", (dir / "data").string()}};
  }

  CommandResult run(const std::vector<std::string>& args = {},
                    const std::map<std::string, std::string>& extra = {}) const {
    auto vars = env();
    for (const auto& [name, value] : extra) vars[name] = value;
    std::vector<std::string> argv{"run"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_turnout(argv, "", vars);
  }

  std::string output_file() const { return read_file(dir / "output"); }
  std::map<std::string, std::string> outputs() const { return parse_outputs(output_file()); }
  std::string summary() const { return read_file(dir / "summary"); }
};

// The group and endgroup commands, in order.
std::vector<std::string> groups(const RunnerView& view) {
  std::vector<std::string> out;
  for (const auto& command : view.commands) {
    if (command.starts_with("::group::") || command == "::endgroup::") out.push_back(command);
  }
  return out;
}

std::size_t index_of(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) - lines.begin();
}

const char* kTwoStages = R"(name: demo
secrets: [DEPLOY_KEY]
stages:
  - name: build
    steps:
      - name: hello
        run: |
          echo "hello key=$DEPLOY_KEY"
          echo '::error::injected'
          echo '  ::add-mask::hello'
          echo 'text ##[warning]legacy'
  - name: test
    steps:
      - name: check
        run: echo checked
)";

}  // namespace

TEST_CASE("a run under a runner groups stages, masks secrets first, and writes summary and outputs",
          "[integration][actions]") {
  const Job job(kTwoStages);
  const auto result = job.run({}, {{"DEPLOY_KEY", "sup3r-s3cret"}});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  const auto view = as_runner_sees(result.out);

  // The mask comes before anything else; turnout itself never prints the value anyway.
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front() == "::add-mask::sup3r-s3cret");
  CHECK(count(result.out, "sup3r-s3cret") == 1);
  CHECK_THAT(result.out, Catch::Contains("hello key=***"));

  // Each stage is one closed group, in pipeline order, with its step headers inside.
  CHECK(groups(view) ==
        std::vector<std::string>{"::group::build", "::endgroup::", "::group::test", "::endgroup::"});
  const auto opened = index_of(lines, "::group::build");
  const auto header = index_of(lines, "  ▸ hello");
  CHECK(opened < header);
  CHECK(header < index_of(lines, "::endgroup::"));

  // A step's output cannot give the runner commands: it is shown as text.
  for (const auto& command : view.commands) {
    CHECK(command.find("injected") == std::string::npos);
    CHECK(command.find("legacy") == std::string::npos);
    CHECK(command.find("::add-mask::hello") == std::string::npos);
  }
  CHECK(index_of(view.shown, "    ::error::injected") < view.shown.size());
  CHECK(index_of(view.shown, "      ::add-mask::hello") < view.shown.size());

  const auto outputs = job.outputs();
  CHECK(outputs.at("earlier") == "1");
  CHECK(outputs.at("run_id") == "1");
  CHECK(outputs.at("result") == "success");
  CHECK(outputs.at("deployed_sha").empty());
  CHECK(outputs.at("live_slot").empty());
  CHECK(outputs.at("reason").empty());

  const auto summary = job.summary();
  CHECK_THAT(summary, Catch::StartsWith("# earlier step\n### turnout: demo ✅ succeeded\n"));
  CHECK_THAT(summary, Catch::Contains("run 1 · branch `main` · commit `" + job.sha.substr(0, 12) + "`"));
  CHECK_THAT(summary,
             Catch::Contains(
                 "| stage | step | result | duration |\n|---|---|---|---|\n| **build** |  | ✅ succeeded | "));
  CHECK_THAT(summary, Catch::Contains("|  | hello | ✅ succeeded | "));
  CHECK_THAT(summary, Catch::Contains("|  | check | ✅ succeeded | "));
  CHECK(summary.find("sup3r-s3cret") == std::string::npos);

  // Recorded with trigger `actions`, at the job's commit and branch.
  auto runs = run_turnout({"runs", "--json"}, "", job.env()).out;
  runs.erase(std::remove(runs.begin(), runs.end(), ' '), runs.end());
  CHECK_THAT(runs, Catch::Contains("\"trigger\":\"actions\""));
  CHECK_THAT(runs, Catch::Contains("\"sha\":\"" + job.sha + "\""));
  CHECK_THAT(runs, Catch::Contains("\"branch\":\"main\""));
}

TEST_CASE("each line of a multi-line secret is masked, escaped as command data", "[integration][actions]") {
  const Job job("name: m\nsecrets: [CERT]\nstages:\n  - name: s\n    steps: [{ run: 'echo \"$CERT\"' }]\n");
  const auto result = job.run({}, {{"CERT", "first-100%\nsecond-line"}});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() > 2);
  CHECK(lines[0] == "::add-mask::second-line");  // longest first, as the masker orders them
  CHECK(lines[1] == "::add-mask::first-100%25");
  for (std::size_t i = 2; i < lines.size(); ++i) {
    CHECK(lines[i].find("first-100") == std::string::npos);
    CHECK(lines[i].find("second-line") == std::string::npos);
  }
  CHECK(index_of(lines, "    ***") < lines.size());
}

TEST_CASE("a failed step is an error annotation, one allowed to fail a warning", "[integration][actions]") {
  const Job job(R"(name: f
stages:
  - name: s
    steps:
      - { name: flaky, run: exit 3, continue_on_error: true }
      - { name: boom, run: exit 4 }
  - name: after
    steps: [{ run: touch after }]
)");
  const auto result = job.run();
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  const auto view = as_runner_sees(result.out);
  CHECK(index_of(view.commands, "::warning title=s › flaky::flaky failed (allowed to fail): exited 3") <
        view.commands.size());
  CHECK(index_of(view.commands, "::error title=s › boom::boom exited 4") < view.commands.size());
  // The stage that never ran opens no group; the failed one is closed.
  CHECK(groups(view) == std::vector<std::string>{"::group::s", "::endgroup::"});
  const auto outputs = job.outputs();
  CHECK(outputs.at("result") == "failure");
  CHECK_THAT(outputs.at("reason"), Catch::Contains("boom") && Catch::Contains("exited 4"));
  const auto summary = job.summary();
  CHECK_THAT(summary, Catch::Contains("### turnout: f ❌ failed"));
  CHECK_THAT(summary, Catch::Contains("|  | flaky | ⚠️ failed (allowed): exited 3 |"));
  CHECK_THAT(summary, Catch::Contains("|  | boom | ❌ failed: exited 4 |"));
}

TEST_CASE("an invalid pipeline is annotated at its file and line, and its reason is a multi-line output",
          "[integration][actions]") {
  const Job job(
      "name: bad\nstages:\n  - name: build\n    stpes: []\n  - name: deploy\n    steps:\n      - name: "
      "lonely\n");
  const auto result = job.run();
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  const auto view = as_runner_sees(result.out);
  const auto stpes = std::find_if(view.commands.begin(), view.commands.end(), [](const std::string& command) {
    return command.starts_with(
        "::error file=.turnout.yml,line=4,col=5,title=invalid pipeline::unknown key 'stpes' in stage "
        "'build'");
  });
  CHECK(stpes != view.commands.end());
  CHECK(std::all_of(view.commands.begin(), view.commands.end(), [](const std::string& command) {
    return command.starts_with("::error file=.turnout.yml,line=");
  }));
  CHECK(view.commands.size() >= 2);

  const auto raw = job.output_file();
  CHECK_THAT(raw, Catch::Contains("\nreason<<ghadelimiter_"));
  const auto outputs = job.outputs();
  CHECK(outputs.at("result") == "failure");
  CHECK(outputs.at("run_id").empty());
  const std::string reason = outputs.at("reason");
  CHECK(reason.find('\n') != std::string::npos);
  CHECK(result.err == "turnout run: " + reason + "\n");
  CHECK_THAT(job.summary(), Catch::Contains("### turnout: the run did not start"));
  CHECK_THAT(job.summary(), Catch::Contains(".turnout.yml:4:5: unknown key 'stpes'"));
}

TEST_CASE("a runner environment without GITHUB_WORKSPACE is one line and exit 2", "[integration][actions]") {
  const Job job("name: n\nstages:\n  - name: s\n    steps: [{ run: touch ran }]\n");
  const auto result = job.run({}, {{"GITHUB_WORKSPACE", ""}});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::StartsWith("turnout run: GITHUB_WORKSPACE is not set"));
  CHECK(count(result.err, "\n") == 1);
  CHECK(result.out.empty());
  CHECK(job.output_file() == "earlier=1\n");
  CHECK_FALSE(std::filesystem::exists(job.repo.path() / "ran"));
}

TEST_CASE("a run given --dir under a runner is a plain local run", "[integration][actions]") {
  const Job job("name: n\nstages:\n  - name: s\n    steps: [{ run: touch ran }]\n");
  const auto result = job.run({"--dir", job.repo.path().string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("::") == std::string::npos);
  CHECK_THAT(result.out, Catch::Contains("▶ s"));
  CHECK(job.output_file() == "earlier=1\n");
}

TEST_CASE("a checkout at another commit than GITHUB_SHA is a warning", "[integration][actions]") {
  const Job job("name: n\nstages:\n  - name: s\n    steps: [{ run: 'true' }]\n");
  const std::string other(40, 'b');
  const auto result = job.run({}, {{"GITHUB_SHA", other}});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("::warning title=turnout run::GITHUB_SHA is " + other +
                                         " but the workspace has " + job.sha + " checked out"));
}

TEST_CASE("a run the runner cancels ends cancelled: exit 130, output result=cancelled, groups closed",
          "[integration][actions]") {
  const Job job("name: c\nstages:\n  - name: s\n    steps:\n      - run: 'touch started; sleep 1000'\n");
  // As the runner does when a job is cancelled: a signal to turnout, which ends its step's group.
  const std::string script = "'" TURNOUT_BINARY
                             "' run & pid=$!; "
                             "for i in $(seq 100); do [ -e started ] && break; sleep 0.1; done; "
                             "kill -TERM $pid; wait $pid; echo exit=$?";
  const auto result = run_command({"bash", "-c", script}, job.repo.path().string(), job.env());
  INFO(result.out << result.err);
  CHECK_THAT(result.out, Catch::Contains("exit=130"));
  CHECK(groups(as_runner_sees(result.out)) == std::vector<std::string>{"::group::s", "::endgroup::"});
  CHECK(job.outputs().at("result") == "cancelled");
  CHECK_THAT(job.summary(), Catch::Contains("### turnout: c 🚫 cancelled"));
}

namespace {

// /proc/PID/stat: the fields after the command name, which may hold spaces and parentheses.
std::vector<std::string> stat_fields(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;  // [0] state, [1] ppid, [2] pgrp, [3] session
}

// A deploy stage whose slots run the test app, behind a proxy that is a file holding the port.
std::string deploy_pipeline(const TempDir& dir) {
  const std::string live = (dir / "live.port").string();
  return "name: web\nstages:\n  - name: deploy\n    deploy:\n      app: web\n      slots: { blue: " +
         std::to_string(free_loopback_port()) + ", green: " + std::to_string(free_loopback_port()) +
         " }\n      start: exec " TURNOUT_TEST_APP
         "\n      health: { path: /health, interval: 100ms, timeout: 2s, attempts: 300 }\n"
         "      verify: 200ms\n      drain: 100ms\n      proxy:\n        command:\n"
         "          switch: echo \"$PORT\" > " +
         live + "\n          current: cat " + live + " 2>/dev/null || true\n";
}

}  // namespace

TEST_CASE("a slot deployed under a runner outlives the job: no RUNNER_TRACKING_ID, not turnout's child",
          "[integration][actions]") {
  TempDir scratch;
  const Job job(deploy_pipeline(scratch));
  const auto result = job.run({}, {{"RUNNER_TRACKING_ID", "xyz"}});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);

  const auto state =
      steps::deploy::load_app_state(steps::deploy::app_dir((job.dir / "data").string(), "web"));
  REQUIRE(state);
  const auto& live = state.value().slots.at(state.value().live.value());
  REQUIRE(live.process);
  const pid_t pid = live.process->pid;
  struct StopSlot {
    std::optional<util::ProcessIdentity> process;
    // Clean-up only: a slot that is already gone is as good as a stopped one.
    ~StopSlot() { (void)steps::deploy::stop_slot({}, process, util::Duration(2000)); }
  } stop{live.process};

  const std::string environ = read_file("/proc/" + std::to_string(pid) + "/environ");
  REQUIRE_FALSE(environ.empty());
  CHECK(environ.find("TURNOUT_SLOT=") != std::string::npos);  // it is the slot's environment
  CHECK(environ.find("RUNNER_TRACKING_ID") == std::string::npos);
  const auto fields = stat_fields(pid);
  REQUIRE(fields.size() > 3);
  CHECK(fields[3] == std::to_string(pid));  // leads a session of its own
  const std::string parent_name = read_file("/proc/" + fields[1] + "/comm");
  CHECK(parent_name != "turnout\n");
  CHECK(fields[1] != std::to_string(::getpid()));

  const auto outputs = job.outputs();
  CHECK(outputs.at("result") == "success");
  CHECK(outputs.at("deployed_sha") == job.sha);
  const std::string live_slot = to_string(state.value().live.value());
  CHECK(outputs.at("live_slot") == live_slot);
  CHECK_THAT(job.summary(),
             Catch::Contains("**Deployed** `" + job.sha + "` of app `web`: live slot **" + live_slot + "**"));
}
