#include "steps/deploy/deploy_record.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <sstream>

#include "util/atomic_file.h"
#include "util/read_file.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string deploys_file(const std::string& app_dir) { return (fs::path(app_dir) / "deploys.json").string(); }

// A slot's name in the file; a name that is no slot is an error, never taken for blue.
Slot slot_named(const std::string& name) {
  const auto slot = parse_slot(name);
  if (!slot) throw Poco::DataFormatException("unknown slot '" + name + "'");
  return *slot;
}

std::optional<DeployResult> parse_result(const std::string& text) {
  for (const auto result :
       {DeployResult::live, DeployResult::failed, DeployResult::rolled_back, DeployResult::cancelled})
    if (text == to_string(result)) return result;
  return std::nullopt;
}

Object::Ptr to_json(const DeployRecord& record) {
  Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("run_id", record.run_id);
  json->set("sha", record.sha);
  json->set("target", to_string(record.target));
  json->set("from", record.from ? to_string(*record.from) : "");
  json->set("started_at", record.started_at);
  json->set("finished_at", record.finished_at);
  Array::Ptr phases = new Array;
  for (const auto& mark : record.phases) {
    Object::Ptr phase = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    phase->set("phase", to_string(mark.phase));
    phase->set("at", mark.at);
    phases->add(phase);
  }
  json->set("phases", phases);
  Array::Ptr probes = new Array;
  for (const auto& failed : record.probes) {
    Object::Ptr probe = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    probe->set("at", failed.at);
    probe->set("attempt", failed.attempt);
    probe->set("attempts", failed.attempts);
    probe->set("reason", failed.reason);
    probes->add(probe);
  }
  json->set("failed_probes", probes);
  json->set("switched_at", record.switched_at);
  json->set("rolled_back_at", record.rolled_back_at);
  json->set("result", to_string(record.result));
  json->set("reason", record.reason);
  return json;
}

DeployRecord from_json(const Object::Ptr& json) {
  DeployRecord record;
  record.run_id = json->optValue<std::string>("run_id", "");
  record.sha = json->optValue<std::string>("sha", "");
  record.target = slot_named(json->getValue<std::string>("target"));
  if (const auto from = json->optValue<std::string>("from", ""); !from.empty())
    record.from = slot_named(from);
  record.started_at = json->optValue<std::string>("started_at", "");
  record.finished_at = json->optValue<std::string>("finished_at", "");
  if (const auto phases = json->getArray("phases")) {
    for (std::size_t i = 0; i < phases->size(); ++i) {
      const auto mark = phases->getObject(static_cast<unsigned>(i));
      const auto phase = parse_phase(mark->getValue<std::string>("phase"));
      if (!phase)
        throw Poco::DataFormatException("unknown phase '" + mark->getValue<std::string>("phase") + "'");
      record.phases.push_back({*phase, mark->optValue<std::string>("at", "")});
    }
  }
  if (const auto probes = json->getArray("failed_probes")) {
    for (std::size_t i = 0; i < probes->size(); ++i) {
      const auto probe = probes->getObject(static_cast<unsigned>(i));
      record.probes.push_back({probe->optValue<std::string>("at", ""), probe->optValue<int>("attempt", 0),
                               probe->optValue<int>("attempts", 0),
                               probe->optValue<std::string>("reason", "")});
    }
  }
  record.switched_at = json->optValue<std::string>("switched_at", "");
  record.rolled_back_at = json->optValue<std::string>("rolled_back_at", "");
  const auto result = parse_result(json->getValue<std::string>("result"));
  if (!result)
    throw Poco::DataFormatException("unknown result '" + json->getValue<std::string>("result") + "'");
  record.result = *result;
  record.reason = json->optValue<std::string>("reason", "");
  return record;
}

}  // namespace

const char* to_string(DeployResult result) {
  switch (result) {
    case DeployResult::live:
      return "live";
    case DeployResult::failed:
      return "failed";
    case DeployResult::rolled_back:
      return "rolled back";
    case DeployResult::cancelled:
      return "cancelled";
  }
  return "failed";
}

util::Result<std::vector<DeployRecord>> load_deploys(const std::string& app_dir) {
  const auto path = deploys_file(app_dir);
  const auto text = util::read_whole_file(path);
  if (!text) {
    if (text.error().kind == util::ErrorKind::not_found) return std::vector<DeployRecord>{};
    return text.error();
  }
  try {
    const auto json = Poco::JSON::Parser().parse(text.value()).extract<Object::Ptr>();
    std::vector<DeployRecord> deploys;
    if (const auto list = json->getArray("deploys")) {
      for (std::size_t i = 0; i < list->size(); ++i)
        deploys.push_back(from_json(list->getObject(static_cast<unsigned>(i))));
    }
    return deploys;
  } catch (const Poco::Exception& error) {
    return util::fail(path + " is not a deploy history turnout can read: " + error.displayText() +
                      "; move it away (the next deploy starts a new one)");
  }
}

util::Status add_deploy(const std::string& app_dir, const DeployRecord& record, std::size_t keep) {
  auto deploys = load_deploys(app_dir);
  // An unreadable history is not worth failing a deploy that went well: it starts again.
  std::vector<DeployRecord> kept = deploys ? std::move(deploys.value()) : std::vector<DeployRecord>{};
  kept.insert(kept.begin(), record);
  if (kept.size() > keep) kept.resize(keep);
  Object json(Poco::JSON_PRESERVE_KEY_ORDER);
  Array::Ptr list = new Array;
  for (const auto& deploy : kept) list->add(to_json(deploy));
  json.set("deploys", list);
  std::ostringstream text;
  json.stringify(text, 2);
  return util::write_file_atomically(deploys_file(app_dir), text.str() + "\n");
}

}  // namespace turnout::steps::deploy
