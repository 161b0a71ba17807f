#include "agent/store/status_change.h"

#include <spdlog/spdlog.h>

namespace turnout::agent::detail {

void log_status_change(std::string_view subject, std::string_view from, std::string_view to,
                       spdlog::level::level_enum level) {
  spdlog::log(level, "{}: {} -> {}", subject, from, to);
}

}  // namespace turnout::agent::detail
