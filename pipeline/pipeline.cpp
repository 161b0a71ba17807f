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

}  // namespace turnout::pipeline
