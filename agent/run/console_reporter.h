#pragma once

#include <cstdio>
#include <string>

#include "steps/run_observer.h"

#include "util/terminal_color.h"

namespace turnout::agent {

/// Prints a run for a person: stage and step headers with durations, the steps' output
/// indented, and a summary table at the end. Colour only when `out` is a terminal.
class ConsoleReporter : public steps::RunObserver {
 public:
  /// Writes to `out` (not owned; nothing may have been written to it yet, since a file or a
  /// pipe gets a larger buffer); `color` turns ANSI colours on.
  ConsoleReporter(std::FILE* out, bool color);

  void run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) override;
  void stage_started(const pipeline::Stage& stage) override;
  void step_started(const pipeline::Stage& stage, const pipeline::Step& step) override;
  void log_line(const steps::LogLine& line) override;
  void step_finished(const pipeline::Stage& stage, const steps::StepResult& result) override;
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;
  void run_finished(const steps::RunResult& result) override;

 private:
  std::string paint(const char* color, const std::string& text) const;
  std::string mark(const steps::Status status, bool allowed_failure) const;
  std::string timing(util::Duration duration) const;
  void print_summary(const steps::RunResult& result);

  std::FILE* out_;
  bool color_;
};

/// True when `file` is a terminal and NO_COLOR is not set (util/terminal_color.h).
using util::wants_color;

}  // namespace turnout::agent
