#include "agent/run/console_reporter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "util/terminal_color.h"

namespace turnout::agent {

namespace {

using util::sgr::kBold;
using util::sgr::kDim;
using util::sgr::kGreen;
using util::sgr::kRed;
using util::sgr::kYellow;

struct SummaryRow {
  std::string stage, step, result, duration;
};

std::string result_text(steps::Status status, bool allowed_failure) {
  std::string text = steps::to_string(status);
  if (allowed_failure) text += " (allowed)";
  return text;
}

std::vector<SummaryRow> summary_rows(const steps::RunResult& run) {
  std::vector<SummaryRow> rows{{"stage", "step", "result", "duration"}};
  for (const auto& stage : run.stages) {
    rows.push_back({stage.name, "", result_text(stage.status, stage.allowed_failure),
                    util::format_duration(stage.duration)});
    for (const auto& step : stage.steps) {
      rows.push_back({"", step.name, result_text(step.status, step.allowed_failure),
                      step.status == steps::Status::skipped ? "" : util::format_duration(step.duration)});
    }
  }
  return rows;
}

}  // namespace

ConsoleReporter::ConsoleReporter(std::FILE* out, bool color) : out_(out), color_(color) {
  // Into a file or a pipe, stdio's default 4 KiB buffer costs a write(2) per few lines of output.
  if (!color_ && isatty(fileno(out_)) == 0) std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
}

std::string ConsoleReporter::paint(const char* color, const std::string& text) const {
  return util::paint(color_, color, text);
}

std::string ConsoleReporter::mark(steps::Status status, bool allowed_failure) const {
  if (allowed_failure) return paint(kYellow, "!");
  switch (status) {
    case steps::Status::succeeded:
      return paint(kGreen, "✓");
    case steps::Status::skipped:
      return paint(kDim, "-");
    case steps::Status::cancelled:
      return paint(kYellow, "⊘");
    default:
      return paint(kRed, "✗");
  }
}

void ConsoleReporter::run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) {
  std::string where = context.branch.empty() ? "no branch" : "branch " + context.branch;
  if (!context.sha.empty()) where += " @ " + context.sha.substr(0, 12);
  // The run's id first: what `turnout logs`, `rerun` and `cancel` take.
  const std::string run = context.run_id.empty() ? "" : " run " + context.run_id + ":";
  std::fprintf(out_, "%s%s %s (%s)\n", paint(kBold, "turnout").c_str(), run.c_str(), pipeline.name.c_str(),
               where.c_str());
}

void ConsoleReporter::stage_started(const pipeline::Stage& stage) {
  std::fprintf(out_, "%s %s\n", paint(kBold, "▶").c_str(), paint(kBold, stage.name).c_str());
  std::fflush(out_);
}

void ConsoleReporter::step_started(const pipeline::Stage&, const pipeline::Step& step) {
  std::fprintf(out_, "  %s %s\n", paint(kBold, "▸").c_str(), step.name.c_str());
  std::fflush(out_);
}

void ConsoleReporter::log_line(const steps::LogLine& line) {
  // The hot path for large outputs: no formatting, and only this thread writes to out_ during a
  // run, so stdio's per-call locking is skipped.
  fwrite_unlocked("    ", 1, 4, out_);
  // turnout's own notes (a deploy's phases and probes) look as they do in the run log.
  if (line.stream == steps::Stream::note) fwrite_unlocked("--- ", 1, 4, out_);
  fwrite_unlocked(line.text.data(), 1, line.text.size(), out_);
  fputc_unlocked('\n', out_);
  if (color_) std::fflush(out_);
}

void ConsoleReporter::step_finished(const pipeline::Stage&, const steps::StepResult& result) {
  if (result.status == steps::Status::skipped) return;
  const bool quiet = result.status == steps::Status::succeeded;
  std::fprintf(out_, "  %s %s%s%s %s\n", mark(result.status, result.allowed_failure).c_str(),
               result.name.c_str(), quiet ? "" : " ", quiet ? "" : result.reason.c_str(),
               timing(result.duration).c_str());
  std::fflush(out_);
}

void ConsoleReporter::stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) {
  const char* separator = result.reason.empty() ? "" : ": ";
  if (result.status == steps::Status::skipped) {
    std::fprintf(out_, "%s %s skipped%s%s\n", mark(result.status, false).c_str(), stage.name.c_str(),
                 separator, result.reason.c_str());
  } else {
    std::fprintf(out_, "%s %s%s%s %s\n", mark(result.status, result.allowed_failure).c_str(),
                 stage.name.c_str(), separator, result.reason.c_str(), timing(result.duration).c_str());
  }
  std::fflush(out_);
}

std::string ConsoleReporter::timing(util::Duration duration) const {
  std::string text = "(";
  text += util::format_duration(duration);
  text += ')';
  return paint(kDim, text);
}

void ConsoleReporter::print_summary(const steps::RunResult& run) {
  const auto rows = summary_rows(run);
  std::size_t widths[3] = {0, 0, 0};
  for (const auto& row : rows) {
    widths[0] = std::max(widths[0], row.stage.size());
    widths[1] = std::max(widths[1], row.step.size());
    widths[2] = std::max(widths[2], row.result.size());
  }
  std::fputc('\n', out_);
  for (const auto& row : rows) {
    std::fprintf(out_, "  %-*s  %-*s  %-*s  %s\n", static_cast<int>(widths[0]), row.stage.c_str(),
                 static_cast<int>(widths[1]), row.step.c_str(), static_cast<int>(widths[2]),
                 row.result.c_str(), row.duration.c_str());
  }
}

void ConsoleReporter::run_finished(const steps::RunResult& run) {
  print_summary(run);
  const std::string verdict = steps::to_string(run.status);
  const char* color = run.status == steps::Status::succeeded ? kGreen : kRed;
  std::fprintf(out_, "\n%s in %s\n", paint(color, verdict).c_str(),
               util::format_duration(run.duration).c_str());
  std::fflush(out_);
}

}  // namespace turnout::agent
