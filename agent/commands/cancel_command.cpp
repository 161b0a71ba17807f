// `turnout cancel ID`: asks the agent serving the data folder to cancel a queued or running run.
#include <cstdio>
#include <memory>

#include "agent/commands/agent_call.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/run_lookup.h"
#include "agent/run/exit_code.h"

namespace turnout::agent {

namespace {

struct CancelOptions {
  std::string id;
  DataDirFlags where;
};

int cancel(const CancelOptions& options) {
  const auto id = parse_run_id(options.id);
  if (!id) return usage_error("cancel", id.error().message);
  const auto data_dir = existing_data_dir(options.where);
  if (!data_dir) return usage_error("cancel", data_dir.error().message);
  const auto agent = find_serving_agent(data_dir.value());
  if (!agent) {
    return usage_error("cancel", "no agent serves " + data_dir.value() +
                                     ": the agent's runs are cancelled through it (start turnout serve); a "
                                     "`turnout run` stops with Ctrl-C in its terminal");
  }
  const auto answer = call_agent(*agent, "/api/runs/" + std::to_string(id.value()) + "/cancel");
  if (!answer) {
    std::fprintf(stderr, "turnout cancel: %s\n", answer.error().message.c_str());
    return kExitFailed;
  }
  const auto& reply = answer.value();
  if (reply.status == 200 || reply.status == 202) {
    std::printf("run %s %s: %s\n", options.id.c_str(),
                reply.status == 200 ? "cancelled" : "is being cancelled",
                reply.json->optValue<std::string>("reason", "").c_str());
    return kExitSucceeded;
  }
  std::fprintf(stderr, "turnout cancel: run %s was not cancelled (HTTP %d): %s\n", options.id.c_str(),
               reply.status, refusal_of(reply).c_str());
  return kExitFailed;
}

}  // namespace

Command cancel_command() {
  return {"cancel", "Cancel a queued or running run of the agent serving the data dir",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<CancelOptions>();
            app.add_option("id", options->id, "The run's id (see turnout runs)")->required();
            add_data_dir_flags(app, options->where);
            return [options] { return cancel(*options); };
          }};
}

}  // namespace turnout::agent
