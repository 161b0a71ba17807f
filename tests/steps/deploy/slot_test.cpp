#include "steps/deploy/slot.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/slot_string.h"

using turnout::steps::deploy::kSlots;
using turnout::steps::deploy::other;
using turnout::steps::deploy::parse_slot;
using turnout::steps::deploy::Slot;

TEST_CASE("a slot's name reads back as the same slot", "[unit][deploy]") {
  CHECK(std::string(to_string(Slot::blue)) == "blue");
  CHECK(std::string(to_string(Slot::green)) == "green");
  for (const Slot slot : kSlots) CHECK(parse_slot(to_string(slot)) == slot);
}

TEST_CASE("parse_slot refuses every name but blue and green", "[unit][deploy]") {
  for (const char* name : {"", "purple", "Blue", "GREEN", " blue", "blue ", "blu", "greenish"}) {
    INFO("'" << name << "'");
    CHECK_FALSE(parse_slot(name));
  }
}

TEST_CASE("other swaps blue and green", "[unit][deploy]") {
  CHECK(other(Slot::blue) == Slot::green);
  CHECK(other(Slot::green) == Slot::blue);
  for (const Slot slot : kSlots) CHECK(other(other(slot)) == slot);
}
