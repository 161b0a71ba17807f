#include "steps/deploy/slot.h"

namespace turnout::steps::deploy {

const char* to_string(Slot slot) {
  switch (slot) {
    case Slot::blue:
      return "blue";
    case Slot::green:
      return "green";
  }
  return "unknown";
}

std::optional<Slot> parse_slot(std::string_view text) {
  for (const Slot slot : kSlots) {
    if (text == to_string(slot)) return slot;
  }
  return std::nullopt;
}

Slot other(Slot slot) { return slot == Slot::blue ? Slot::green : Slot::blue; }

}  // namespace turnout::steps::deploy
