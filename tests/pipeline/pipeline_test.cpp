#include "pipeline/pipeline.h"

#include <catch2/catch.hpp>

#include <string>

using turnout::pipeline::Concurrency;

TEST_CASE("Concurrency prints as spelled in the pipeline file", "[unit][pipeline]") {
  CHECK(std::string(to_string(Concurrency::supersede)) == "supersede");
  CHECK(std::string(to_string(Concurrency::queue)) == "queue");
  CHECK(std::string(to_string(Concurrency::cancel_in_progress)) == "cancel-in-progress");
}

TEST_CASE("the model's defaults are those of DESIGN.md", "[unit][pipeline]") {
  const turnout::pipeline::Deploy deploy;
  CHECK(deploy.strategy == "blue-green");
  CHECK(deploy.health.kind == turnout::pipeline::ProbeKind::http);
  CHECK(deploy.health.path == "/");
  CHECK(deploy.keep_previous);
  CHECK(deploy.keep_releases == 5);
  CHECK(turnout::pipeline::Pipeline().concurrency == Concurrency::supersede);
}
