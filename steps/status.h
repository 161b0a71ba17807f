#pragma once

#include <optional>
#include <string_view>

namespace turnout::steps {

/// The state of a run, a stage or a step. Changed in one place per owner, which logs old -> new.
enum class Status { pending, running, succeeded, failed, cancelled, skipped };

/// Lower-case name, as shown to people and stored: "succeeded", "failed", ...
const char* to_string(Status status);
/// The Status named `text`; nullopt for anything else.
std::optional<Status> parse_status(std::string_view text);

}  // namespace turnout::steps
