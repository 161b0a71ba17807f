// `turnout serve` running what it queues: the real binary, real webhooks over loopback, a real
// git repository the test commits pipelines to, real steps. Waits are for states, never timed.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/agent_server.h"
#include "tests/support/command.h"
#include "util/process_identity.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

// A pipeline of one step running `script`, with `top` added at its top level.
std::string pipeline(const std::string& script, const std::string& top = "") {
  std::string indented;
  for (std::size_t start = 0; start < script.size();) {
    const auto end = script.find('\n', start);
    indented += "          " + script.substr(start, end - start) + "\n";
    start = end == std::string::npos ? script.size() : end + 1;
  }
  return "name: app\n" + top + "stages:\n  - name: build\n    steps:\n      - name: work\n        run: |\n" +
         indented;
}

// Shell that waits until `condition` holds (up to 2 minutes), then exits 0; 1 when it never does.
std::string wait_until(const std::string& condition) {
  return "for i in $(seq 1200); do " + condition + " && exit 0; sleep 0.1; done\nexit 1";
}

// A pipeline whose step waits until `gate` exists, so a test decides when runs end.
std::string gated(const fs::path& gate, const std::string& top = "") {
  return pipeline(
      "echo \"building $TURNOUT_SHA on $TURNOUT_BRANCH\"\n" + wait_until("[ -e '" + gate.string() + "' ]"),
      top);
}

int run_id(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

std::string status(const Poco::JSON::Object::Ptr& run) { return run->getValue<std::string>("status"); }

// True when no run is queued or running.
bool all_ended(const Poco::JSON::Array::Ptr& runs) {
  for (std::size_t i = 0; i < runs->size(); ++i) {
    const auto s = status(runs->getObject(static_cast<unsigned>(i)));
    if (s == "queued" || s == "running") return false;
  }
  return true;
}

}  // namespace

TEST_CASE("serve: a push runs its pipeline to success, with log and metrics",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  const auto sha = server.app.commit(".turnout.yml", pipeline("echo \"hello from $TURNOUT_BRANCH\""), "app");
  server.start();
  const auto queued = server.push(sha, "d-1");
  const int id = run_id(queued);
  CHECK(queued.json()->getValue<std::string>("result") == "queued");
  CHECK(queued.json()->getValue<std::string>("reason") == "push to watched branch 'main'");
  CHECK(queued.json()->getValue<std::string>("url") == "http://ci.test/runs/" + std::to_string(id));
  const auto run = server.wait_until_ended(id);
  CHECK(status(run) == "succeeded");
  CHECK(run->getValue<std::string>("pipeline") == "app");
  CHECK(run->getValue<std::string>("sha") == sha);
  REQUIRE(run->getArray("stages")->size() == 1);
  CHECK(run->getArray("stages")->getObject(0)->getValue<std::string>("status") == "succeeded");
  // What the step's processes used, as the kernel accounted it.
  const auto step = run->getArray("stages")->getObject(0)->getArray("steps")->getObject(0);
  CHECK(step->getValue<std::int64_t>("peak_memory_bytes") > 1024 * 1024);
  CHECK(step->getValue<std::int64_t>("cpu_ms") >= 0);
  // What the machine stalled on while it ran (no run group here), or null without PSI.
  if (std::filesystem::exists("/proc/pressure/cpu")) {
    REQUIRE(step->getObject("pressure"));
    CHECK(step->getObject("pressure")->getValue<std::string>("source") == "machine");
    CHECK(step->getObject("pressure")->has("io_full_us"));
  } else {
    CHECK(step->isNull("pressure"));
  }

  const auto listed = server.get("/api/runs");
  REQUIRE(listed.status == 200);
  CHECK_THAT(listed.body, Catch::StartsWith("[{\"id\":" + std::to_string(id) + ","));
  // The list has no steps, but each run's totals: here those of its one step, and the same in
  // the run's own object.
  const auto list = Poco::JSON::Parser().parse(listed.body).extract<Poco::JSON::Array::Ptr>();
  for (const auto& totals : {list->getObject(0)->getObject("resources"), run->getObject("resources")}) {
    REQUIRE(totals);
    CHECK(totals->getValue<std::int64_t>("peak_memory_bytes") ==
          step->getValue<std::int64_t>("peak_memory_bytes"));
    CHECK(totals->getValue<std::int64_t>("cpu_ms") == step->getValue<std::int64_t>("cpu_ms"));
    if (step->isNull("pressure")) {
      CHECK(totals->isNull("pressure"));
    } else {
      REQUIRE(totals->getObject("pressure"));
      for (const char* key :
           {"source", "cpu_some_us", "memory_some_us", "memory_full_us", "io_some_us", "io_full_us"}) {
        INFO(key);
        CHECK(totals->getObject("pressure")->get(key).toString() ==
              step->getObject("pressure")->get(key).toString());
      }
    }
  }
  CHECK(server.get("/api/runs/999").status == 404);
  CHECK(server.get("/api/runs/abc").status == 400);
  CHECK(server.get("/nowhere").status == 404);

  const auto log = server.get("/api/runs/" + std::to_string(id) + "/log");
  CHECK(log.status == 200);
  CHECK_THAT(log.body, Catch::Contains("hello from main"));
  CHECK(server.get("/api/runs/" + std::to_string(id) + "/log?offset=abc").status == 400);
  CHECK(server.get("/api/runs/999/log").status == 404);

  const auto metrics = server.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("turnout_webhook_deliveries_total{result=\"queued\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_runs{status=\"succeeded\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_runs{status=\"queued\"} 0\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_queue_depth 0\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_run_duration_seconds_count 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_run_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_build_info{version=\""));
  CHECK_THAT(metrics.body, Catch::Contains("\nprocess_resident_memory_bytes "));
  CHECK_THAT(metrics.body, Catch::Contains("\nprocess_cpu_seconds_total "));
}

TEST_CASE("serve: a delivery repeated while its run is active adds nothing, after, it is a redelivery",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  const auto sha = server.app.commit(".turnout.yml", gated(server.dir / "gate"), "app");
  server.start();
  const int id = run_id(server.push(sha, "d-1"));
  const auto first = server.run(id);
  CHECK((status(first) == "queued" || status(first) == "running"));
  CHECK(first->getValue<std::string>("trigger") == "webhook");
  CHECK(first->getValue<std::string>("repo") == server.app.url());

  const auto duplicate = server.push(sha, "d-1");
  CHECK(duplicate.status == 200);
  CHECK(duplicate.json()->getValue<std::string>("result") == "duplicate");
  CHECK(duplicate.json()->getValue<int>("run") == id);

  server.dir.write("gate", "");
  CHECK(status(server.wait_until_ended(id)) == "succeeded");
  const int again = run_id(server.push(sha, "d-1"));
  CHECK(again != id);
  CHECK(server.run(again)->getValue<std::string>("trigger") == "redelivery");
  CHECK(status(server.wait_until_ended(again)) == "succeeded");
}

TEST_CASE("serve: killed with SIGKILL after a 202, the push is built exactly once after restart",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  const auto sha = server.app.commit(".turnout.yml", gated(server.dir / "gate"), "app");
  server.start();
  run_id(server.push(sha, "d-kill"));
  server.process->stop(SIGKILL);
  server.start();
  // The delivery is remembered across the restart: a repeat adds nothing.
  CHECK(server.push(sha, "d-kill").status == 200);
  server.dir.write("gate", "");
  server.wait_for(all_ended);
  const auto statuses = statuses_of(server.runs(), sha);
  INFO(server.process->output());
  CHECK(std::count(statuses.begin(), statuses.end(), "succeeded") == 1);
  // Either it never started before the kill (one run), or it was interrupted and queued again.
  CHECK((statuses == std::vector<std::string>{"succeeded"} ||
         statuses == std::vector<std::string>{"error", "succeeded"}));
}

TEST_CASE("serve: 50 pushes to one branch in a burst build at most 2 runs, the last sha among them",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  // The first run holds until the whole burst is in, however slowly this machine posts it.
  server.app.commit(".turnout.yml", gated(server.dir / "gate"), "app");
  std::vector<std::string> shas;
  for (int i = 0; i < 50; ++i)
    shas.push_back(server.app.commit("n.txt", std::to_string(i), "push " + std::to_string(i)));
  server.start();
  std::vector<int> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(run_id(server.push(shas[i], "burst-" + std::to_string(i))));
  server.dir.write("gate", "");
  server.wait_for(all_ended);

  int built = 0;
  for (int i = 0; i < 50; ++i) {
    const auto run = server.run(ids[i]);
    INFO("push " << i << ": " << status(run) << " " << run->getValue<std::string>("reason"));
    if (status(run) == "superseded") {
      // It points at the newer run that replaced it.
      CHECK(run->getValue<int>("superseded_by") > ids[i]);
      CHECK_THAT(run->getValue<std::string>("reason"), Catch::StartsWith("superseded by run "));
    } else {
      CHECK(status(run) == "succeeded");
      ++built;
    }
  }
  CHECK(built <= 2);
  CHECK(status(server.run(ids.back())) == "succeeded");
}

TEST_CASE("serve: two branches run side by side", "[integration][serve][scheduler]") {
  AgentServer server("workers: 2\n", {"main", "dev"}, false);
  const auto marks = server.dir / "marks";
  fs::create_directories(marks);
  // Each run waits until both have started: only runs that overlap both succeed.
  const auto sha = server.app.commit(
      ".turnout.yml",
      pipeline("touch '" + marks.string() + "/'\"$TURNOUT_BRANCH\"\n" +
               wait_until("[ -e '" + marks.string() + "/main' ] && [ -e '" + marks.string() + "/dev' ]")),
      "app");
  server.app.git({"branch", "dev"});
  server.start();
  const int main_run = run_id(server.push(sha, "d-main", "main"));
  const int dev_run = run_id(server.push(sha, "d-dev", "dev"));
  CHECK(status(server.wait_until_ended(main_run)) == "succeeded");
  CHECK(status(server.wait_until_ended(dev_run)) == "succeeded");
}

TEST_CASE("serve: with concurrency: queue, runs of one branch all run, one at a time, in order",
          "[integration][serve][scheduler]") {
  AgentServer server("workers: 3\n", {"main"}, false);
  const auto lock = server.dir / "lock";
  const auto first = server.app.commit(
      ".turnout.yml",
      pipeline("mkdir '" + lock.string() + "' || { echo overlapping; exit 1; }\nsleep 0.3\nrmdir '" +
                   lock.string() + "'",
               "concurrency: queue\n"),
      "app");
  server.start();
  // The branch's concurrency is learnt from its pipeline once a run has loaded it.
  CHECK(status(server.wait_until_ended(run_id(server.push(first, "q-0")))) == "succeeded");
  std::vector<int> ids;
  for (int i = 1; i <= 3; ++i) {
    const auto sha = server.app.commit("n.txt", std::to_string(i), "change");
    ids.push_back(run_id(server.push(sha, "q-" + std::to_string(i))));
  }
  std::string previous_end;
  for (const int id : ids) {
    const auto run = server.wait_until_ended(id);
    INFO("run " << id << ": " << run->getValue<std::string>("reason"));
    CHECK(status(run) == "succeeded");
    CHECK(run->getValue<std::string>("started_at") >= previous_end);
    previous_end = run->getValue<std::string>("finished_at");
  }
}

TEST_CASE("serve: with concurrency: cancel-in-progress, a newer push stops the running run",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  const auto gate = server.dir / "gate";
  const auto old_sha =
      server.app.commit(".turnout.yml", gated(gate, "concurrency: cancel-in-progress\n"), "app");
  const auto new_sha = server.app.commit("n.txt", "2", "newer");
  server.start();
  const int old_run = run_id(server.push(old_sha, "c-1"));
  server.wait_until_working(old_run);
  const int new_run = run_id(server.push(new_sha, "c-2"));
  const auto stopped = server.wait_until_ended(old_run);
  CHECK(status(stopped) == "superseded");
  CHECK(stopped->getValue<int>("superseded_by") == new_run);
  server.dir.write("gate", "");
  CHECK(status(server.wait_until_ended(new_run)) == "succeeded");
}

TEST_CASE("serve: rerun and cancel need the API token", "[integration][serve][scheduler][api]") {
  AgentServer server("workers: 1\napi_token_env: TURNOUT_TEST_API_TOKEN\n", {"main"}, false);
  ::setenv("TURNOUT_TEST_API_TOKEN", "the-api-token", 1);
  const auto gate = server.dir / "gate";
  const auto sha = server.app.commit(".turnout.yml", gated(gate), "app");
  server.start();
  const std::string bearer = "Bearer the-api-token";
  const int id = run_id(server.push(sha, "a-1"));
  const std::string base = "/api/runs/" + std::to_string(id);

  CHECK(server.post_api(base + "/rerun").status == 401);
  CHECK(server.post_api(base + "/rerun", "Basic dXNlcjpwYXNz").status == 401);
  const auto wrong = server.post_api(base + "/rerun", "Bearer not-the-token");
  CHECK(wrong.status == 403);
  CHECK_THAT(wrong.body, !Catch::Contains("the-api-token"));
  CHECK(server.post_api(base + "/cancel").status == 401);
  CHECK(server.post_api(base + "/cancel", "Bearer nope").status == 403);
  CHECK(server.post_api("/api/runs/999/rerun", bearer).status == 404);

  // A rerun waits behind the running run of its branch; cancelled while queued, it never runs.
  const auto rerun = server.post_api(base + "/rerun", bearer);
  const int queued = run_id(rerun);
  CHECK(server.run(queued)->getValue<int>("rerun_of") == id);
  CHECK(server.run(queued)->getValue<std::string>("trigger") == "rerun");
  const auto cancel_queued = server.post_api("/api/runs/" + std::to_string(queued) + "/cancel", bearer);
  CHECK(cancel_queued.status == 200);
  CHECK(status(server.run(queued)) == "cancelled");

  server.wait_until_working(id);
  const auto cancel_running = server.post_api(base + "/cancel", bearer);
  CHECK(cancel_running.status == 202);
  const auto cancelled = server.wait_until_ended(id);
  CHECK(status(cancelled) == "cancelled");
  CHECK(cancelled->getValue<std::string>("reason") == "cancelled through the API");
  CHECK(server.post_api(base + "/cancel", bearer).status == 409);

  server.dir.write("gate", "");
  const int again = run_id(server.post_api(base + "/rerun", bearer));
  CHECK(status(server.wait_until_ended(again)) == "succeeded");
  ::unsetenv("TURNOUT_TEST_API_TOKEN");
}

TEST_CASE("serve: turnout rerun goes through the agent that serves the data dir",
          "[integration][serve][scheduler][api]") {
  AgentServer server("", {"main"}, false);
  const auto sha = server.app.commit(".turnout.yml", pipeline("echo \"trigger=$TURNOUT_TRIGGER\""), "app");
  server.start();
  const int id = run_id(server.push(sha, "r-1"));
  CHECK(status(server.wait_until_ended(id)) == "succeeded");

  const auto result = run_turnout({"rerun", std::to_string(id), "--data-dir", server.data().string()});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("queued on the agent at http://127.0.0.1:" + std::to_string(server.port)));
  CHECK_THAT(result.out, Catch::Contains("trigger=rerun"));
  const auto runs = server.runs();
  REQUIRE(runs->size() == 2);
  const auto rerun = runs->getObject(0);
  CHECK(rerun->getValue<int>("rerun_of") == id);
  CHECK(status(rerun) == "succeeded");
  // The agent's own process ran it, not the CLI.
  CHECK_THAT(server.process->output(),
             Catch::Contains("run " + std::to_string(rerun->getValue<int>("id")) + ": "));

  // With the agent gone, the CLI runs it itself.
  server.process->stop(SIGTERM);
  const auto alone = run_turnout({"rerun", std::to_string(id), "--data-dir", server.data().string()});
  CHECK(alone.exit_code == 0);
  CHECK_THAT(alone.err, !Catch::Contains("queued on the agent"));
}

TEST_CASE("serve: SIGTERM stops running steps after the grace, queues their commits again, keeps the queue",
          "[integration][serve][scheduler]") {
  AgentServer server("workers: 1\n", {"main", "dev"}, false);
  const auto sha = server.app.commit(".turnout.yml", gated(server.dir / "gate"), "app");
  server.app.git({"branch", "dev"});
  server.start();
  const int running = run_id(server.push(sha, "t-main", "main"));
  server.wait_until_working(running);
  const int waiting = run_id(server.push(sha, "t-dev", "dev"));
  CHECK(status(server.run(waiting)) == "queued");

  REQUIRE(server.process->send_signal(SIGTERM));
  for (int i = 0; i < 300 && server.process->running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE_FALSE(server.process->running());
  const auto runs = server.runs();
  REQUIRE(runs->size() == 3);
  const auto requeued = runs->getObject(0);
  CHECK(status(runs->getObject(2)) == "error");
  CHECK(runs->getObject(2)->getValue<std::string>("reason") == "interrupted: the agent stopped");
  CHECK(status(runs->getObject(1)) == "queued");  // the dev run stayed queued
  CHECK(status(requeued) == "queued");
  CHECK(requeued->getValue<int>("rerun_of") == running);
  CHECK(requeued->getValue<std::string>("trigger") == "requeue");

  server.dir.write("gate", "");
  server.start();
  CHECK(status(server.wait_until_ended(requeued->getValue<int>("id"))) == "succeeded");
  CHECK(status(server.wait_until_ended(waiting)) == "succeeded");
}

TEST_CASE("serve: turnout trigger runs a watched branch's head now, an unwatched one is refused",
          "[integration][serve][scheduler][api]") {
  AgentServer server("", {"main"}, false);
  server.app.commit(".turnout.yml", pipeline("echo \"trigger=$TURNOUT_TRIGGER sha=$TURNOUT_SHA\""), "first");
  const auto head = server.app.commit(
      ".turnout.yml", pipeline("echo \"trigger=$TURNOUT_TRIGGER sha=$TURNOUT_SHA\" # 2"), "head");
  server.start();
  const std::string data = server.data().string();

  const auto result =
      run_turnout({"trigger", "--repo", "woodpecker-ci/woodpecker", "--branch", "main", "--data-dir", data});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("run 1 queued on the agent at http://127.0.0.1:"));
  CHECK_THAT(result.out, Catch::Contains("trigger=manual sha=" + head));
  const auto run = server.run(1);
  CHECK(status(run) == "succeeded");
  CHECK(run->getValue<std::string>("trigger") == "manual");
  CHECK(run->getValue<std::string>("sha") == head);  // recorded once its checkout knew it

  const auto unwatched = run_turnout({"trigger", "--repo", "woodpecker-ci/woodpecker", "--branch", "feature",
                                      "--detach", "--data-dir", data});
  CHECK(unwatched.exit_code == 2);
  CHECK_THAT(unwatched.err,
             Catch::Contains("branch 'feature' is not one repository woodpecker-ci/woodpecker runs"));
  const auto unknown =
      run_turnout({"trigger", "--repo", "you/cafeteria", "--branch", "main", "--detach", "--data-dir", data});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("repository 'you/cafeteria' is not in"));
  CHECK(server.runs()->size() == 1);
  // The API itself wants the token, and a branch.
  CHECK(server.post_api("/api/repos/woodpecker-ci/woodpecker/runs?branch=main").status == 401);
}

TEST_CASE("serve: turnout cancel stops a running run through the agent, without an agent it says so",
          "[integration][serve][scheduler][api]") {
  AgentServer server("", {"main"}, false);
  const auto gate = server.dir / "gate";
  const auto sha = server.app.commit(".turnout.yml", gated(gate), "app");
  server.start();
  const int id = run_id(server.push(sha, "c-1"));
  server.wait_until_working(id);
  const std::string data = server.data().string();

  const auto cancelled = run_turnout({"cancel", std::to_string(id), "--data-dir", data});
  INFO(cancelled.out << cancelled.err);
  CHECK(cancelled.exit_code == 0);
  CHECK_THAT(cancelled.out, Catch::StartsWith("run " + std::to_string(id) + " is being cancelled"));
  CHECK(status(server.wait_until_ended(id)) == "cancelled");
  const auto again = run_turnout({"cancel", std::to_string(id), "--data-dir", data});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("has already ended (cancelled)"));
  CHECK(run_turnout({"cancel", "x1", "--data-dir", data}).exit_code == 2);

  server.process->stop(SIGTERM);
  const auto alone = run_turnout({"cancel", std::to_string(id), "--data-dir", data});
  CHECK(alone.exit_code == 2);
  CHECK_THAT(alone.err, Catch::Contains("no agent serves " + data));
}

TEST_CASE("serve: a secret missing from the agent's environment says how to give it to the agent",
          "[integration][serve][scheduler]") {
  AgentServer server("", {"main"}, false);
  const auto sha =
      server.app.commit(".turnout.yml", pipeline("echo never", "secrets: [DEMO_NEVER_SET_SECRET]\n"), "app");
  server.start();
  const int id = run_id(server.push(sha, "s-1"));
  const auto ended = server.wait_until_ended(id);
  const auto reason = ended->getValue<std::string>("reason");
  CHECK_THAT(reason, Catch::Contains("secret 'DEMO_NEVER_SET_SECRET'"));
  CHECK_THAT(reason, Catch::Contains("is not in the agent's environment"));
  CHECK_THAT(reason, Catch::Contains("/etc/turnout/env"));
  CHECK_THAT(reason, !Catch::Contains("export it"));
}
