#include "agent/actions/job_summary.h"

#include <algorithm>

namespace turnout::agent::actions {

namespace {

std::string icon(steps::Status status, bool allowed_failure) {
  if (allowed_failure) return "⚠️";
  switch (status) {
    case steps::Status::succeeded:
      return "✅";
    case steps::Status::skipped:
      return "⏭️";
    case steps::Status::cancelled:
      return "🚫";
    default:
      return "❌";
  }
}

std::string result_cell(steps::Status status, bool allowed_failure, const std::string& reason) {
  std::string text = icon(status, allowed_failure) + " " + steps::to_string(status);
  if (allowed_failure) text += " (allowed)";
  if (!reason.empty() && status != steps::Status::succeeded) text += ": " + reason;
  return markdown_cell(text);
}

std::string row(const std::string& stage, const std::string& step, const std::string& result,
                const std::string& duration) {
  return "| " + stage + " | " + step + " | " + result + " | " + duration + " |\n";
}

std::vector<std::string> table_rows(const steps::RunResult& run) {
  std::vector<std::string> rows;
  for (const auto& stage : run.stages) {
    const bool ran = stage.status != steps::Status::skipped;
    rows.push_back(row("**" + markdown_cell(stage.name) + "**", "",
                       result_cell(stage.status, stage.allowed_failure, stage.reason),
                       ran ? util::format_duration(stage.duration) : ""));
    for (const auto& step : stage.steps) {
      const bool step_ran = step.status != steps::Status::skipped;
      rows.push_back(row("", markdown_cell(step.name),
                         result_cell(step.status, step.allowed_failure, step.reason),
                         step_ran ? util::format_duration(step.duration) : ""));
    }
  }
  return rows;
}

std::string header(const JobSummary& summary) {
  std::string text = "### turnout: " + markdown_cell(summary.pipeline) + " " +
                     icon(summary.result.status, false) + " " + steps::to_string(summary.result.status) +
                     "\n\n";
  text += "run " + markdown_cell(summary.run_id);
  if (!summary.branch.empty()) text += " · branch `" + markdown_cell(summary.branch) + "`";
  if (!summary.sha.empty()) text += " · commit `" + summary.sha.substr(0, 12) + "`";
  text += " · " + util::format_duration(summary.result.duration) + "\n\n";
  return text + "| stage | step | result | duration |\n|---|---|---|---|\n";
}

std::string footer(const JobSummary& summary) {
  std::string text;
  for (const auto& app : summary.deployed) {
    text += "\n**Deployed** `" + markdown_cell(app.sha) + "` of app `" + markdown_cell(app.app) +
            "`: live slot **" + to_string(app.slot) + "** (port " + std::to_string(app.port) + ").\n";
  }
  return text;
}

std::string truncation_note(std::size_t left_out, const std::string& run_id) {
  return "\n_" + std::to_string(left_out) +
         " more rows left out: a step's summary is limited to 1 MiB. The whole run: `turnout logs " +
         markdown_cell(run_id) + "`._\n";
}

}  // namespace

std::string markdown_cell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_job_summary(const JobSummary& summary, std::size_t limit) {
  const auto rows = table_rows(summary.result);
  std::string text = header(summary);
  const std::string tail = footer(summary);
  if (text.size() + tail.size() > limit) return "";  // not even the header fits: better nothing
  std::size_t budget = limit - text.size() - tail.size();
  std::size_t all = 0;
  for (const auto& line : rows) all += line.size();
  // The note is sized for the largest count it may print, so adding it can never overflow.
  const std::size_t note = truncation_note(rows.size(), summary.run_id).size();
  if (all > budget) {
    if (budget < note) return text + tail;  // no room even to say that rows were left out
    budget -= note;
  }
  std::size_t kept = 0;
  for (const auto& line : rows) {
    if (line.size() > budget) break;
    budget -= line.size();
    text += line;
    ++kept;
  }
  if (kept < rows.size()) text += truncation_note(rows.size() - kept, summary.run_id);
  return text + tail;
}

std::string render_rejected_summary(std::string_view message, std::size_t limit) {
  std::string text = "### turnout: the run did not start ❌\n\n";
  std::size_t from = 0;
  while (from <= message.size()) {
    const std::size_t newline = std::min(message.find('\n', from), message.size());
    text += "- " + markdown_cell(message.substr(from, newline - from)) + "\n";
    from = newline + 1;
  }
  return text.size() > limit ? text.substr(0, limit) : text;
}

}  // namespace turnout::agent::actions
