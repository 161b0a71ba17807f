#pragma once

namespace turnout::steps {

/// The state of a run, a stage or a step. Changed in one place per owner, which logs old -> new.
enum class Status { pending, running, succeeded, failed, cancelled, skipped };

/// Lower-case name, as shown to people and stored: "succeeded", "failed", ...
const char* to_string(Status status);

}  // namespace turnout::steps
