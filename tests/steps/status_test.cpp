#include "steps/status.h"

#include <catch2/catch.hpp>
#include <string>

using turnout::steps::Status;

TEST_CASE("to_string(Status) gives the lower-case name", "[unit][steps]") {
  CHECK(std::string(to_string(Status::pending)) == "pending");
  CHECK(std::string(to_string(Status::running)) == "running");
  CHECK(std::string(to_string(Status::succeeded)) == "succeeded");
  CHECK(std::string(to_string(Status::failed)) == "failed");
  CHECK(std::string(to_string(Status::cancelled)) == "cancelled");
  CHECK(std::string(to_string(Status::skipped)) == "skipped");
}
