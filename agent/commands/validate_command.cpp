#include <cstdio>
#include <memory>

#include "agent/commands/command.h"
#include "agent/run/exit_code.h"
#include "pipeline/loader.h"

namespace turnout::agent {

namespace {

std::size_t count_steps(const pipeline::Pipeline& pipeline) {
  std::size_t steps = 0;
  for (const auto& stage : pipeline.stages) steps += stage.steps.size();
  return steps;
}

std::string plural(std::size_t count, const char* word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

int validate(const std::string& file) {
  const auto loaded = pipeline::load_file(file);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
    return kExitUsage;
  }
  std::printf("ok: %s, %s\n", plural(loaded.pipeline.stages.size(), "stage").c_str(),
              plural(count_steps(loaded.pipeline), "step").c_str());
  return kExitSucceeded;
}

}  // namespace

Command validate_command() {
  return {"validate", "Check a pipeline file; errors are printed as FILE:LINE:COLUMN: message",
          [](CLI::App& app) -> CommandHandler {
            auto file = std::make_shared<std::string>(".turnout.yml");
            app.add_option("file", *file, "The pipeline file")->capture_default_str();
            return [file] { return validate(*file); };
          }};
}

}  // namespace turnout::agent
