// turnout run --repo, runs, logs and rerun, end to end through the real binary and real repositories.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <thread>

#include "agent/store/store.h"
#include "steps/process_limits.h"
#include "tests/support/command.h"
#include "tests/support/git_repo.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace turnout::test;

namespace {

const char* kPipelineV1 = R"(
name: app
stages:
  - name: build
    steps:
      - name: version
        run: echo "building $(cat VERSION) at $TURNOUT_SHA on $TURNOUT_BRANCH"
)";

// True once `pid` has ended (a zombie has ended too; PID 1 here may never reap it), waiting up to 5 s.
bool step_gone(const std::string& pid) {
  for (int i = 0; i < 100; ++i) {
    if (!turnout::util::identify(std::stoi(pid))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

struct History {
  TempDir dir;
  GitRepo origin{dir / "origin"};
  std::map<std::string, std::string> env{{"TURNOUT_DATA_DIR", (dir / "data").string()}};

  CommandResult turnout(const std::vector<std::string>& args) { return run_turnout(args, "", env); }

  Poco::JSON::Array::Ptr runs_json() {
    const auto result = turnout({"runs", "--json"});
    REQUIRE(result.exit_code == 0);
    return Poco::JSON::Parser().parse(result.out).extract<Poco::JSON::Array::Ptr>();
  }
};

}  // namespace

TEST_CASE("run --repo builds the remote's HEAD and records it", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  const std::string sha = h.origin.commit("VERSION", "1.0\n", "v1");

  const auto result = h.turnout({"run", "--repo", h.origin.path().string()});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("building 1.0 at " + sha + " on main"));

  const auto runs = h.runs_json();
  REQUIRE(runs->size() == 1);
  const auto run = runs->getObject(0);
  CHECK(run->getValue<int>("id") == 1);
  CHECK(run->getValue<std::string>("status") == "succeeded");
  CHECK(run->getValue<std::string>("sha") == sha);
  CHECK(run->getValue<std::string>("branch") == "main");
  CHECK(run->getValue<std::string>("ref") == "refs/heads/main");
  CHECK(run->getValue<std::string>("pipeline") == "app");
  CHECK(run->getValue<std::string>("trigger") == "cli");
  CHECK(run->isNull("rerun_of"));
  for (const char* key : {"repo", "queued_at", "started_at", "finished_at"}) {
    INFO(key);
    CHECK_FALSE(run->getValue<std::string>(key).empty());
  }
}

TEST_CASE("the pipeline comes from the commit being built", "[integration][cli][history]") {
  History h;
  const std::string old_sha = h.origin.commit(".turnout.yml", kPipelineV1, "pipeline v1");
  h.origin.commit("VERSION", "1.0\n", "v1");
  h.origin.commit(".turnout.yml",
                  "name: app\nstages:\n  - name: build\n    steps:\n      - run: echo second pipeline\n",
                  "v2");

  const auto newest = h.turnout({"run", "--repo", h.origin.path().string(), "--ref", "main"});
  CHECK(newest.exit_code == 0);
  CHECK_THAT(newest.out, Catch::Contains("second pipeline"));

  // The first commit has no VERSION file: its own pipeline runs, in its own tree.
  const auto older = h.turnout({"run", "--repo", h.origin.path().string(), "--sha", old_sha});
  CHECK(older.exit_code == 0);
  CHECK_THAT(older.out, Catch::Contains("building  at " + old_sha));
  CHECK_THAT(older.out, Catch::Contains("cat: VERSION: No such file or directory"));
  CHECK(older.out.find("second pipeline") == std::string::npos);
}

TEST_CASE("logs prints a run's log with stage and step markers", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  h.origin.commit("VERSION", "2.0\n", "v2");
  REQUIRE(h.turnout({"run", "--repo", h.origin.path().string()}).exit_code == 0);

  const auto logs = h.turnout({"logs", "1"});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Catch::Contains(" ==> stage build"));
  CHECK_THAT(logs.out, Catch::Contains(" --> step version"));
  CHECK_THAT(logs.out, Catch::Contains(" out building 2.0 at "));
  CHECK_THAT(logs.out, Catch::Contains(" <-- step version succeeded"));
  CHECK_THAT(logs.out, Catch::Contains(" === run succeeded"));
  // What is in force once, and what each step's processes used.
  const auto scheduler = turnout::steps::scheduler_traits();
  const std::string idle = scheduler.custom_slices ? " (SCHED_BATCH, 100 ms slices)" : " (SCHED_IDLE)";
  const std::string session =
      scheduler.autogroups ? ", in their own session's scheduling group at nice 19" : "";
  CHECK_THAT(logs.out, Catch::Contains(" --- isolation: steps run at cpu class idle" + idle +
                                       ", nice 10, io best-effort" + session + "; no cgroup: "));
  // With PSI in the kernel, what the machine stalled on while the step ran, said to be the machine's.
  const std::string stalls =
      std::filesystem::exists("/proc/pressure/cpu")
          ? R"(; stalled \(machine\): cpu \S+, memory \S+ \(full \S+\), io \S+ \(full \S+\))"
          : "";
  CHECK_THAT(logs.out,
             Catch::Matches(R"([\s\S]* <-- step version succeeded \(\d+ms\) cpu \d+ms, peak memory \d+M)" +
                            stalls + R"(\n[\s\S]*)"));
  // Every line starts with its UTC time.
  CHECK_THAT(logs.out, Catch::Matches(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [^\n]*\n)+)"));

  const auto follow = h.turnout({"logs", "1", "--follow"});  // an ended run: prints and returns
  CHECK(follow.exit_code == 0);
  CHECK(follow.out == logs.out);
}

TEST_CASE("rerun builds the same commit again and points at the original", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  const std::string first = h.origin.commit("VERSION", "1.0\n", "v1");
  REQUIRE(run_turnout({"run", "--repo", "origin"}, h.dir.path().string(), h.env).exit_code == 0);
  h.origin.commit("VERSION", "9.9\n", "newer commit that the rerun must not build");

  // From another folder: a local repository was recorded by its absolute path.
  const auto rerun = run_turnout({"rerun", "1"}, "/", h.env);
  CHECK(rerun.exit_code == 0);
  CHECK_THAT(rerun.out, Catch::Contains("building 1.0 at " + first));

  const auto runs = h.runs_json();
  REQUIRE(runs->size() == 2);
  const auto newest = runs->getObject(0);
  CHECK(newest->getValue<int>("id") == 2);
  CHECK(newest->getValue<std::string>("trigger") == "rerun");
  CHECK(newest->getValue<int>("rerun_of") == 1);
  CHECK(newest->getValue<std::string>("sha") == first);
  CHECK(runs->getObject(1)->getValue<std::string>("repo") == h.origin.path().string());
}

TEST_CASE("runs lists newest first and honours --limit", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  h.origin.commit("VERSION", "1.0\n", "v1");
  for (int i = 0; i < 3; ++i) REQUIRE(h.turnout({"run", "--repo", h.origin.path().string()}).exit_code == 0);

  const auto table = h.turnout({"runs", "--limit", "2"});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("ID "));
  CHECK(table.out.find("\n3 ") < table.out.find("\n2 "));
  CHECK(table.out.find("\n1 ") == std::string::npos);
  // What each run's steps used, after how long it took: CPU time, then the largest peak memory.
  CHECK_THAT(table.out, Catch::Matches(R"(ID +STATUS .* TOOK +CPU +MEMORY +REASON\n[\s\S]*)"));
  CHECK_THAT(table.out,
             Catch::Matches(R"([\s\S]*\n3 +succeeded .* \d+(ms|\.\ds) +\d+(ms|\.\ds) +\d+M +\n[\s\S]*)"));
}

TEST_CASE("bad history input gets one line, exit 2, and records nothing", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  const std::string origin = h.origin.path().string();

  SECTION("a remote that does not exist") {
    const auto result = h.turnout({"run", "--repo", (h.dir / "nowhere").string()});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("nowhere"));
  }
  SECTION("a malformed URL") {
    const auto result = h.turnout({"run", "--repo", "https://"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("malformed repository URL"));
  }
  SECTION("a ref that does not exist") {
    const auto result = h.turnout({"run", "--repo", origin, "--ref", "no-such-branch"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("no-such-branch"));
  }
  SECTION("a sha that does not exist") {
    const auto result =
        h.turnout({"run", "--repo", origin, "--sha", "0123456789abcdef0123456789abcdef01234567"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("0123456789abcdef0123456789abcdef01234567"));
  }
  SECTION("a run id that does not exist") {
    REQUIRE(h.turnout({"run", "--repo", (h.dir / "nowhere").string()}).exit_code == 2);  // makes the store
    for (const char* command : {"logs", "rerun"}) {
      const auto result = h.turnout({command, "42"});
      CHECK(result.exit_code == 2);
      CHECK_THAT(result.err, Catch::Contains("no run 42"));
    }
  }
  SECTION("a run id that is no number") {
    const auto result = h.turnout({"logs", "abc"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("'abc' is not a run id"));
  }
  SECTION("--ref without --repo") {
    const auto result = h.turnout({"run", "--ref", "main"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("need --repo"));
  }
  // Nothing recorded: no store at all, or one with no run.
  const auto runs = h.turnout({"runs"});
  if (runs.exit_code == 0)
    CHECK(std::count(runs.out.begin(), runs.out.end(), '\n') == 1);  // the header only
  else
    CHECK_THAT(runs.err, Catch::Contains("no turnout data in"));
}

TEST_CASE("read commands create no data folder: a missing one is one line saying how it was chosen",
          "[integration][cli][history]") {
  TempDir dir;
  const auto typo = dir / "dta";
  const std::map<std::string, std::string> by_env{{"TURNOUT_DATA_DIR", typo.string()}};
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"runs"}, {"logs", "1"}, {"rerun", "1"}, {"deploy", "status"}}) {
    const auto result = run_turnout(args, "", by_env);
    INFO(args[0] << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') <= 1);
    CHECK_THAT(result.err,
               Catch::Contains("no turnout data in " + typo.string() + " (from $TURNOUT_DATA_DIR)"));
  }
  const auto flagged = run_turnout({"runs", "--data-dir", typo.string()});
  CHECK(flagged.exit_code == 2);
  CHECK_THAT(flagged.err, Catch::Contains("no turnout data in " + typo.string() + " (from --data-dir)"));
  if (!std::filesystem::exists("/etc/turnout/agent.yml")) {
    // Nothing names a folder: no $HOME to put one under either.
    const auto homeless =
        run_turnout({"runs"}, "", {{"HOME", ""}, {"XDG_DATA_HOME", ""}, {"TURNOUT_DATA_DIR", ""}});
    CHECK(homeless.exit_code == 2);
    CHECK_THAT(homeless.err, Catch::Contains("$HOME is not set"));
  }
  CHECK_FALSE(std::filesystem::exists(typo));
}

TEST_CASE("cli: with --config agent.yml every command uses the agent's data_dir",
          "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  h.origin.commit("VERSION", "3.0\n", "v3");
  const auto config = h.dir.write("agent.yml", "data_dir: agent-data\n").string();
  // The environment names another folder: --config wins over it.
  REQUIRE(h.turnout({"run", "--config", config, "--repo", h.origin.path().string()}).exit_code == 0);
  CHECK(std::filesystem::exists(h.dir / "agent-data" / "turnout.db"));
  CHECK_FALSE(std::filesystem::exists(h.dir / "data"));

  const auto runs = h.turnout({"runs", "--config", config, "--json"});
  CHECK(runs.exit_code == 0);
  CHECK(Poco::JSON::Parser().parse(runs.out).extract<Poco::JSON::Array::Ptr>()->size() == 1);
  const auto logs = h.turnout({"logs", "1", "--config", config});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Catch::Contains("building 3.0"));
  const auto deploys = h.turnout({"deploy", "status", "--config", config});
  CHECK(deploys.exit_code == 0);
  CHECK_THAT(deploys.out, Catch::Contains("no apps deployed in " + (h.dir / "agent-data").string()));

  const auto broken = h.dir.write("broken.yml", "data_dir: [\n");
  const auto bad = h.turnout({"runs", "--config", broken.string()});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::StartsWith("turnout runs: " + broken.string() + ":"));
}

TEST_CASE("a run killed with SIGKILL mid-step is error: interrupted after the next start",
          "[integration][cli][history]") {
  History h;
  const std::string mark = (h.dir / "step.pid").string();
  h.origin.commit(
      ".turnout.yml",
      "name: app\nstages:\n  - name: s\n    steps:\n      - run: 'echo $$ > " + mark + "; exec sleep 1000'\n",
      "slow");
  h.env["MARK"] = mark;
  const std::string script = "'" TURNOUT_BINARY "' run --repo '" + h.origin.path().string() + "' & pid=$!; " +
                             "for i in $(seq 200); do [ -s \"$MARK\" ] && break; sleep 0.05; done; " +
                             "kill -KILL $pid; wait $pid; echo killed=$?";
  const auto killed = run_command({"bash", "-c", script}, h.dir.path().string(), h.env);
  INFO(killed.out << killed.err);
  REQUIRE_THAT(killed.out, Catch::Contains("killed=137"));

  const std::string written = read_file(mark);
  const std::string step_pid = written.substr(0, written.find('\n'));
  REQUIRE_FALSE(step_pid.empty());
  CHECK(::kill(std::stoi(step_pid), 0) == 0);  // the killed turnout left its step running

  const auto runs = h.runs_json();  // the next start of any command
  REQUIRE(runs->size() == 1);
  CHECK(runs->getObject(0)->getValue<std::string>("status") == "error");
  CHECK(runs->getObject(0)->getValue<std::string>("reason") == "interrupted");
  // ...and ended the step's whole group: no orphan survives the run.
  CHECK(step_gone(step_pid));
  ::kill(-std::stoi(step_pid), SIGKILL);  // whatever the outcome, leave nothing behind

  const auto detail = h.turnout({"logs", "1"});
  CHECK(detail.exit_code == 0);
}

TEST_CASE("logs --follow keeps printing until the run ends", "[integration][cli][history]") {
  History h;
  const std::string mark = (h.dir / "started").string();
  h.origin.commit(".turnout.yml",
                  "name: app\nstages:\n  - name: s\n    steps:\n      - run: 'echo first; touch " + mark +
                      "; sleep 1; echo last'\n",
                  "slow");
  h.env["MARK"] = mark;
  const std::string script = "'" TURNOUT_BINARY "' run --repo '" + h.origin.path().string() +
                             "' > /dev/null & " +
                             "for i in $(seq 200); do [ -e \"$MARK\" ] && break; sleep 0.05; done; " +
                             "'" TURNOUT_BINARY "' logs 1 --follow; wait";
  const auto followed = run_command({"bash", "-c", script}, h.dir.path().string(), h.env);
  CHECK(followed.exit_code == 0);
  CHECK_THAT(followed.out, Catch::Contains(" out first"));
  // Written a second after --follow began: it waited for the run to end.
  CHECK_THAT(followed.out, Catch::Contains(" out last"));
  CHECK_THAT(followed.out, Catch::Contains(" === run succeeded"));
}

TEST_CASE("runs filters by repository, branch and status, and turnout run says its id first",
          "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  h.origin.commit("VERSION", "1.0\n", "v1");
  const std::string origin = h.origin.path().string();
  const auto first = h.turnout({"run", "--repo", origin});
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::StartsWith("turnout run 1: app (branch main @ "));
  REQUIRE(h.turnout({"run", "--repo", origin}).exit_code == 0);
  h.origin.commit(".turnout.yml", "name: app\nstages:\n  - name: build\n    steps:\n      - run: exit 3\n",
                  "break");
  REQUIRE(h.turnout({"run", "--repo", origin}).exit_code == 1);

  const auto failed = h.turnout({"runs", "--status", "failed"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 0);
  CHECK_THAT(failed.out, Catch::StartsWith("ID     STATUS     REPO "));
  CHECK_THAT(failed.out, Catch::Contains("\n3 "));
  CHECK(failed.out.find("\n1 ") == std::string::npos);
  CHECK(failed.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
  CHECK_THAT(failed.out, Catch::Contains(h.origin.path().filename().string()));

  const auto by_branch = h.turnout({"runs", "--branch", "main", "--status", "succeeded", "--json"});
  const auto parsed = Poco::JSON::Parser().parse(by_branch.out).extract<Poco::JSON::Array::Ptr>();
  CHECK(parsed->size() == 2);
  const auto none = h.turnout({"runs", "--branch", "feature", "--json"});
  CHECK(Poco::JSON::Parser().parse(none.out).extract<Poco::JSON::Array::Ptr>()->size() == 0);
  const auto by_repo = h.turnout({"runs", "--repo", origin, "--json"});
  CHECK(Poco::JSON::Parser().parse(by_repo.out).extract<Poco::JSON::Array::Ptr>()->size() == 3);

  const auto bad = h.turnout({"runs", "--status", "sucess"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--status sucess: not a status (queued, running, succeeded"));
}

TEST_CASE("runs and logs colour a terminal's output, never with NO_COLOR", "[integration][cli][history]") {
  History h;
  h.origin.commit(".turnout.yml", kPipelineV1, "pipeline");
  h.origin.commit("VERSION", "1.0\n", "v1");
  REQUIRE(h.turnout({"run", "--repo", h.origin.path().string()}).exit_code == 0);
  // script(1) gives the command a terminal.
  const std::string turnout = TURNOUT_BINARY;
  const auto at_terminal = [&](const std::string& command, const std::string& env) {
    return run_command({"script", "-qec", env + " " + turnout + " " + command, "/dev/null"}, "", h.env);
  };
  const auto runs = at_terminal("runs", "env");
  INFO(runs.out << runs.err);
  CHECK_THAT(runs.out, Catch::Contains("\x1b[32msucceeded "));
  const auto logs = at_terminal("logs 1", "env");
  CHECK_THAT(logs.out, Catch::Contains("\x1b[1m==>\x1b[0m"));
  CHECK(at_terminal("runs", "env NO_COLOR=1").out.find("\x1b[") == std::string::npos);
  CHECK(at_terminal("logs 1", "env NO_COLOR=1").out.find("\x1b[") == std::string::npos);
}

TEST_CASE("runs --json gives each run its steps' totals: the largest peak memory, the summed CPU time",
          "[integration][cli][history][resources]") {
  History h;
  h.origin.commit(".turnout.yml", R"(
name: app
stages:
  - name: build
    steps:
      - name: small
        run: echo small
  - name: test
    steps:
      - name: larger
        run: head -c 50000000 /dev/zero | tail -c 1 > /dev/null
)",
                  "pipeline");
  REQUIRE(h.turnout({"run", "--repo", h.origin.path().string()}).exit_code == 0);
  // What the store recorded for each of the two steps, added up here to compare; and a run
  // queued after it, which has no step yet, so nothing is known.
  std::int64_t peak = 0;
  std::int64_t cpu = 0;
  int measured = 0;
  {
    auto store = turnout::agent::Store::open((h.dir / "data").string());
    REQUIRE(store);
    const auto run = store.value()->history.get(1);
    REQUIRE(run);
    REQUIRE(run.value());
    for (const auto& stage : run.value()->stages) {
      for (const auto& step : stage.steps) {
        REQUIRE(step.peak_memory_bytes);
        REQUIRE(step.cpu_ms);
        peak = std::max(peak, *step.peak_memory_bytes);
        cpu += *step.cpu_ms;
        ++measured;
      }
    }
    turnout::agent::NewRun queued;
    queued.repo = h.origin.path().string();
    queued.branch = "main";
    REQUIRE(store.value()->history.create_run(queued));
  }
  CHECK(measured == 2);
  CHECK(peak > 1024 * 1024);

  const auto runs = h.runs_json();
  REQUIRE(runs->size() == 2);
  const auto totals = runs->getObject(1)->getObject("resources");
  REQUIRE(totals);
  CHECK(totals->getValue<std::int64_t>("peak_memory_bytes") == peak);
  CHECK(totals->getValue<std::int64_t>("cpu_ms") == cpu);
  // No run group here: with PSI the machine's stalls while the steps ran; without, null.
  if (std::filesystem::exists("/proc/pressure/cpu")) {
    REQUIRE(totals->getObject("pressure"));
    CHECK(totals->getObject("pressure")->getValue<std::string>("source") == "machine");
    CHECK(totals->getObject("pressure")->has("io_full_us"));
  } else {
    CHECK(totals->isNull("pressure"));
  }

  const auto none = runs->getObject(0)->getObject("resources");
  REQUIRE(none);
  CHECK(none->isNull("peak_memory_bytes"));
  CHECK(none->isNull("cpu_ms"));
  CHECK(none->isNull("pressure"));
}
