#include "pipeline/pipeline.h"

namespace turnout::pipeline {

const char* to_string(Concurrency concurrency) {
  switch (concurrency) {
    case Concurrency::supersede:
      return "supersede";
    case Concurrency::queue:
      return "queue";
    case Concurrency::cancel_in_progress:
      return "cancel-in-progress";
  }
  return "unknown";
}

std::optional<Concurrency> parse_concurrency(std::string_view text) {
  for (const auto value : {Concurrency::supersede, Concurrency::queue, Concurrency::cancel_in_progress}) {
    if (text == to_string(value)) return value;
  }
  return std::nullopt;
}

const char* to_string(Sticky sticky) {
  switch (sticky) {
    case Sticky::cookie:
      return "cookie";
    case Sticky::ip:
      return "ip";
    case Sticky::none:
      return "none";
  }
  return "unknown";
}

}  // namespace turnout::pipeline
