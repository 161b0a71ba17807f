#include "steps/status.h"

namespace turnout::steps {

const char* to_string(Status status) {
  switch (status) {
    case Status::pending:
      return "pending";
    case Status::running:
      return "running";
    case Status::succeeded:
      return "succeeded";
    case Status::failed:
      return "failed";
    case Status::cancelled:
      return "cancelled";
    case Status::skipped:
      return "skipped";
  }
  // Only reachable with a value cast from an out-of-range integer: a bug, shown rather than hidden.
  return "unknown";
}

std::optional<Status> parse_status(std::string_view text) {
  for (const auto status : {Status::pending, Status::running, Status::succeeded, Status::failed,
                            Status::cancelled, Status::skipped}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

}  // namespace turnout::steps
