#pragma once
// How Catch prints a slot in a failed assertion: by name ("green", "none"), not as a number or
// "{?}". Include it in a test that compares slots, before its first TEST_CASE.

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "steps/deploy/slot.h"

namespace Catch {

/// A slot by its name.
template <>
struct StringMaker<turnout::steps::deploy::Slot> {
  /// "blue" or "green".
  static std::string convert(turnout::steps::deploy::Slot slot) { return to_string(slot); }
};

/// A slot that may be unset: its name, or "none".
template <>
struct StringMaker<std::optional<turnout::steps::deploy::Slot>> {
  /// "blue", "green" or "none".
  static std::string convert(const std::optional<turnout::steps::deploy::Slot>& slot) {
    return slot ? to_string(*slot) : "none";
  }
};

}  // namespace Catch
