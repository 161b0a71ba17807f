#include "agent/store/run_resources.h"

#include "agent/store/store_rows.h"

namespace turnout::agent::detail {
namespace {

// The aggregates over a run's steps, in resources_from_row's order. MAX and SUM skip NULLs and
// are NULL when every value is, which is "not known". A source that differs between steps is
// 'mixed'.
constexpr const char* kResourceColumns =
    "MAX(steps.peak_memory_bytes), SUM(steps.cpu_ms), "
    "CASE COUNT(DISTINCT steps.pressure_source) WHEN 0 THEN NULL WHEN 1 THEN MIN(steps.pressure_source) "
    "ELSE 'mixed' END, SUM(steps.cpu_some_stall_us), SUM(steps.memory_some_stall_us), "
    "SUM(steps.memory_full_stall_us), SUM(steps.io_some_stall_us), SUM(steps.io_full_stall_us)";

constexpr std::size_t kResourceCount = 8;

// The totals in the last kResourceCount columns of `row`.
RunResources resources_at(const SqlRow& row, std::size_t first) {
  RunResources resources;
  resources.peak_memory_bytes = row.nullable_integer(first);
  resources.cpu_ms = row.nullable_integer(first + 1);
  if (row.is_null(first + 2)) return resources;
  const auto name = row.text(first + 2);
  const auto source = util::parse_pressure_scope(name);
  // A name this version does not know is no figure, as for a step (run_history.cpp).
  if (!source && name != "mixed") return resources;
  const auto micros = [&](std::size_t offset) {
    return static_cast<std::uint64_t>(row.integer(first + 2 + offset));
  };
  resources.pressure = RunPressure{source, {micros(1), micros(2), micros(3), micros(4), micros(5)}};
  return resources;
}

}  // namespace

std::string with_resources(const std::string& runs_sql) {
  return std::string("SELECT r.*, ") + kResourceColumns + " FROM (" + runs_sql +
         ") AS r LEFT JOIN steps ON steps.run_id = r.id GROUP BY r.id ORDER BY r.id DESC";
}

RunResources resources_from_row(const SqlRow& row) { return resources_at(row, row.size() - kResourceCount); }

RunResources read_resources(Connection& connection, std::int64_t run_id) {
  static const std::string sql = std::string("SELECT ") + kResourceColumns + " FROM steps WHERE run_id = ?";
  return resources_at(connection.statement(sql).rows({run_id}).front(), 0);
}

}  // namespace turnout::agent::detail
