#include "agent/run/run_json.h"

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace turnout::agent;

TEST_CASE("a run object carries every field, with null for what has not happened", "[unit][json]") {
  RunRecord run;
  run.id = 7;
  run.status = RunStatus::running;
  run.repo = "https://example.com/acme/app.git";
  run.ref = "refs/heads/main";
  run.branch = "main";
  run.sha = "0123456789abcdef0123456789abcdef01234567";
  run.pipeline = "app";
  run.trigger = turnout::agent::Trigger::webhook;
  run.queued_at = "2026-11-22T10:00:00.000Z";
  run.started_at = "2026-11-22T10:00:01.000Z";

  const auto json = Poco::JSON::Parser().parse(run_to_json_text(run)).extract<Poco::JSON::Object::Ptr>();
  CHECK(json->getValue<int>("id") == 7);
  CHECK(json->getValue<std::string>("status") == "running");
  CHECK(json->getValue<std::string>("sha") == run.sha);
  CHECK(json->getValue<std::string>("trigger") == "webhook");
  CHECK(json->isNull("rerun_of"));
  CHECK(json->isNull("finished_at"));
  CHECK_FALSE(json->has("stages"));  // a list entry: no stages
}

TEST_CASE("a run object with stages lists them with their steps", "[unit][json]") {
  RunRecord run;
  run.id = 1;
  run.rerun_of = 3;
  run.stages.push_back({0, "build", turnout::steps::Status::failed, "step 'make' exited 2", "t0", "t1", {}});
  run.stages[0].steps.push_back({0, "make", turnout::steps::Status::failed, 2, "exited 2", "t0", "t1"});

  const auto json = Poco::JSON::Parser().parse(run_to_json_text(run)).extract<Poco::JSON::Object::Ptr>();
  CHECK(json->getValue<int>("rerun_of") == 3);
  const auto stage = json->getArray("stages")->getObject(0);
  CHECK(stage->getValue<std::string>("name") == "build");
  CHECK(stage->getValue<std::string>("reason") == "step 'make' exited 2");
  const auto step = stage->getArray("steps")->getObject(0);
  CHECK(step->getValue<int>("exit_code") == 2);
  CHECK(step->getValue<std::string>("status") == "failed");
}

TEST_CASE("a step's pressure is an object with its source and stalls, null when not known",
          "[unit][json][pressure]") {
  RunRecord run;
  run.stages.push_back({0, "build", turnout::steps::Status::succeeded, "", "t0", "t1", {}});
  StepRecord measured{0, "make", turnout::steps::Status::succeeded, 0, "", "t0", "t1"};
  measured.pressure =
      turnout::steps::StepPressure{turnout::util::PressureScope::machine, {1200, 30, 10, 4500, 800}};
  run.stages[0].steps.push_back(measured);
  run.stages[0].steps.push_back({1, "old", turnout::steps::Status::succeeded, 0, "", "t1", "t2"});

  const auto json = Poco::JSON::Parser().parse(run_to_json_text(run)).extract<Poco::JSON::Object::Ptr>();
  const auto steps = json->getArray("stages")->getObject(0)->getArray("steps");
  const auto pressure = steps->getObject(0)->getObject("pressure");
  REQUIRE(pressure);
  CHECK(pressure->getValue<std::string>("source") == "machine");
  CHECK(pressure->getValue<std::int64_t>("cpu_some_us") == 1200);
  CHECK(pressure->getValue<std::int64_t>("memory_some_us") == 30);
  CHECK(pressure->getValue<std::int64_t>("memory_full_us") == 10);
  CHECK(pressure->getValue<std::int64_t>("io_some_us") == 4500);
  CHECK(pressure->getValue<std::int64_t>("io_full_us") == 800);
  CHECK(steps->getObject(1)->isNull("pressure"));  // absent, not zero
}

TEST_CASE("runs_to_json is an array in the given order", "[unit][json]") {
  RunRecord a, b;
  a.id = 2;
  b.id = 1;
  const auto array = Poco::JSON::Parser().parse(runs_to_json({a, b})).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(array->size() == 2);
  CHECK(array->getObject(0)->getValue<int>("id") == 2);
  CHECK(array->getObject(1)->getValue<int>("id") == 1);
}

TEST_CASE("a run's resources: its totals, its pressure's source or mixed, null when not known",
          "[unit][json][pressure][resources]") {
  RunRecord measured;
  measured.resources.peak_memory_bytes = std::int64_t{700} << 20;
  measured.resources.cpu_ms = 345;
  measured.resources.pressure = RunPressure{turnout::util::PressureScope::cgroup, {15, 1, 2, 4, 5}};
  RunRecord mixed;
  mixed.resources.pressure = RunPressure{std::nullopt, {11, 22, 33, 44, 55}};
  RunRecord unknown;

  const auto array =
      Poco::JSON::Parser().parse(runs_to_json({measured, mixed, unknown})).extract<Poco::JSON::Array::Ptr>();
  const auto totals = array->getObject(0)->getObject("resources");
  REQUIRE(totals);
  CHECK(totals->getValue<std::int64_t>("peak_memory_bytes") == std::int64_t{700} << 20);
  CHECK(totals->getValue<std::int64_t>("cpu_ms") == 345);
  REQUIRE(totals->getObject("pressure"));
  CHECK(totals->getObject("pressure")->getValue<std::string>("source") == "cgroup");
  CHECK(totals->getObject("pressure")->getValue<std::int64_t>("io_full_us") == 5);
  const auto both = array->getObject(1)->getObject("resources");
  REQUIRE(both);
  CHECK(both->isNull("peak_memory_bytes"));
  REQUIRE(both->getObject("pressure"));
  CHECK(both->getObject("pressure")->getValue<std::string>("source") == "mixed");
  CHECK(both->getObject("pressure")->getValue<std::int64_t>("cpu_some_us") == 11);
  const auto none = array->getObject(2)->getObject("resources");
  REQUIRE(none);
  CHECK(none->isNull("peak_memory_bytes"));
  CHECK(none->isNull("cpu_ms"));
  CHECK(none->isNull("pressure"));
}
