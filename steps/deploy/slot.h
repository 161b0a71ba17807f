#pragma once
// The two slots of a blue-green app, as a type: a slot name read from a file, a flag or a
// request is parsed once at that boundary, so nothing inside can take a misspelt name for blue.
// On disk and on the wire a slot is still its name ("blue", "green").

#include <array>
#include <optional>
#include <string_view>

namespace turnout::steps::deploy {

/// One of an app's two slots; "no slot yet" (before the first deploy) is std::optional<Slot>.
enum class Slot { blue, green };

/// Both slots, in the order state.json lists them (blue first, as the names sort).
inline constexpr std::array<Slot, 2> kSlots{Slot::blue, Slot::green};

/// `blue` or `green`: the name files, logs, the API and TURNOUT_SLOT use.
const char* to_string(Slot slot);

/// The slot named exactly `text` ("blue", "green"); nullopt for anything else ("Blue", "", "purple").
std::optional<Slot> parse_slot(std::string_view text);

/// The other slot: blue <-> green.
Slot other(Slot slot);

}  // namespace turnout::steps::deploy
