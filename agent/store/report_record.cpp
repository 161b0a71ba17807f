#include "agent/store/report_record.h"

namespace turnout::agent {

const char* to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::status:
      return "status";
    case ReportKind::deployment:
      return "deployment";
    case ReportKind::deployment_status:
      return "deployment_status";
    case ReportKind::notify:
      return "notify";
  }
  return "status";
}

std::optional<ReportKind> parse_report_kind(const std::string& text) {
  for (const auto kind :
       {ReportKind::status, ReportKind::deployment, ReportKind::deployment_status, ReportKind::notify}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

const char* to_string(ReportState state) {
  switch (state) {
    case ReportState::pending:
      return "pending";
    case ReportState::sent:
      return "sent";
    case ReportState::dropped:
      return "dropped";
  }
  return "pending";
}

}  // namespace turnout::agent
