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

}  // namespace turnout::pipeline
