// `turnout trigger --repo NAME --branch B`: asks the agent serving the data folder to run the
// head of a watched branch now, as a push would, then follows its log.
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "agent/commands/agent_call.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/log_follow.h"
#include "agent/run/exit_code.h"
#include "agent/store/open_store.h"

namespace turnout::agent {

namespace {

struct TriggerOptions {
  std::string repo;
  std::string branch;
  bool detach = false;
  DataDirFlags where;
};

std::string branch_body(const std::string& branch) {
  Poco::JSON::Object body;
  body.set("branch", branch);
  std::ostringstream text;
  body.stringify(text);
  return text.str();
}

int trigger(const TriggerOptions& options) {
  if (options.repo.find('/') == std::string::npos || options.repo.find('/') != options.repo.rfind('/'))
    return usage_error("trigger",
                       "--repo must be OWNER/NAME as in agent.yml's repos, not '" + options.repo + "'");
  const auto data_dir = existing_data_dir(options.where);
  if (!data_dir) return usage_error("trigger", data_dir.error().message);
  const auto agent = find_serving_agent(data_dir.value());
  if (!agent)
    return usage_error("trigger", "no agent serves " + data_dir.value() + ": start turnout serve first");
  const auto answer = call_agent(*agent, "/api/repos/" + options.repo + "/runs", branch_body(options.branch));
  if (!answer) {
    std::fprintf(stderr, "turnout trigger: %s\n", answer.error().message.c_str());
    return kExitFailed;
  }
  const auto& reply = answer.value();
  if (reply.status != 202 || !reply.json->has("run")) {
    std::fprintf(stderr, "turnout trigger: the agent refused (HTTP %d): %s\n", reply.status,
                 refusal_of(reply).c_str());
    return reply.status == 400 || reply.status == 404 ? kExitUsage : kExitFailed;
  }
  const auto id = reply.json->getValue<std::int64_t>("run");
  std::printf("run %lld queued on the agent at %s: %s\n", static_cast<long long>(id), agent->url.c_str(),
              reply.json->optValue<std::string>("reason", "").c_str());
  std::fflush(stdout);
  if (options.detach) return kExitSucceeded;
  auto store = open_store(data_dir.value());
  if (!store) return usage_error("trigger", store.error().message);
  return follow_to_end(store.value()->history, id, data_dir.value());
}

}  // namespace

Command trigger_command() {
  return {"trigger", "Run the head of a watched branch now, through the agent serving the data dir",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<TriggerOptions>();
            app.add_option("--repo", options->repo,
                           "The repository, as agent.yml's repos name it (OWNER/NAME)")
                ->required();
            app.add_option("--branch", options->branch, "The branch whose head to run")->required();
            app.add_flag("--detach", options->detach, "Queue the run and return at once");
            add_data_dir_flags(app, options->where);
            return [options] { return trigger(*options); };
          }};
}

}  // namespace turnout::agent
