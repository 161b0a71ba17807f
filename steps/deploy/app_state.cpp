#include "steps/deploy/app_state.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <sstream>
#include <utility>

#include "util/atomic_file.h"
#include "util/read_file.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;
using Poco::JSON::Object;

constexpr std::array<std::pair<Phase, const char*>, 9> kPhaseNames{{
    {Phase::prepare, "prepare"},
    {Phase::start, "start"},
    {Phase::health, "health"},
    {Phase::canary, "canary"},
    {Phase::switch_traffic, "switch"},
    {Phase::verify, "verify"},
    {Phase::drain, "drain"},
    {Phase::stop_old, "stop-old"},
    {Phase::done, "done"},
}};

std::string state_file(const std::string& dir) { return (fs::path(dir) / "state.json").string(); }

// The file's name of a slot that may be unset: "" for none, as state.json has always said.
std::string name_of(const std::optional<Slot>& slot) { return slot ? to_string(*slot) : ""; }

// The slot `what` names as `name`. Anything but blue or green makes the whole file unreadable:
// taking an unknown name for one of the slots would move traffic on a guess.
Slot slot_named(const std::string& name, const std::string& what) {
  const auto slot = parse_slot(name);
  if (!slot) throw Poco::DataFormatException(what + " is '" + name + "', not blue or green");
  return *slot;
}

// A slot field that "" (or its absence) leaves unset.
std::optional<Slot> optional_slot(const Object::Ptr& json, const std::string& key, const std::string& what) {
  const auto name = json->optValue<std::string>(key, "");
  if (name.empty()) return std::nullopt;
  return slot_named(name, what);
}

Object::Ptr slot_to_json(const SlotState& slot) {
  Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("port", slot.port);
  json->set("running", slot.running);
  if (slot.process) {
    json->set("pid", slot.process->pid);
    json->set("start_time", slot.process->start_time);
  }
  json->set("sha", slot.sha);
  json->set("release", slot.release);
  json->set("pipeline_file", slot.pipeline_file);
  json->set("run_id", slot.run_id);
  json->set("since", slot.since);
  return json;
}

SlotState slot_from_json(const Object::Ptr& json) {
  SlotState slot;
  slot.port = json->getValue<int>("port");
  slot.running = json->optValue<bool>("running", false);
  if (json->has("pid")) {
    slot.process =
        util::ProcessIdentity{json->getValue<int>("pid"), json->getValue<Poco::UInt64>("start_time")};
  }
  slot.sha = json->optValue<std::string>("sha", "");
  slot.release = json->optValue<std::string>("release", "");
  slot.pipeline_file = json->optValue<std::string>("pipeline_file", "");
  slot.run_id = json->optValue<std::string>("run_id", "");
  slot.since = json->optValue<std::string>("since", "");
  return slot;
}

Object::Ptr journal_to_json(const Journal& journal) {
  Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("run_id", journal.run_id);
  json->set("sha", journal.sha);
  json->set("target", std::string(to_string(journal.target)));
  json->set("from", name_of(journal.from));
  json->set("phase", to_string(journal.phase));
  json->set("started_at", journal.started_at);
  if (journal.phase == Phase::canary) {
    json->set("canary_step", journal.canary_step);
    json->set("canary_steps", journal.canary_steps);
    json->set("canary_weight", journal.canary_weight);
  }
  return json;
}

Journal journal_from_json(const Object::Ptr& json) {
  Journal journal;
  journal.run_id = json->optValue<std::string>("run_id", "");
  journal.sha = json->optValue<std::string>("sha", "");
  journal.target = slot_named(json->getValue<std::string>("target"), "the journal's target slot");
  journal.from = optional_slot(json, "from", "the journal's from slot");
  const auto phase = parse_phase(json->getValue<std::string>("phase"));
  if (!phase) throw Poco::DataFormatException("unknown phase '" + json->getValue<std::string>("phase") + "'");
  journal.phase = *phase;
  journal.started_at = json->optValue<std::string>("started_at", "");
  journal.canary_step = json->optValue<int>("canary_step", 0);
  journal.canary_steps = json->optValue<int>("canary_steps", 0);
  journal.canary_weight = json->optValue<int>("canary_weight", 0);
  return journal;
}

Object::Ptr live_release_to_json(const LiveRelease& entry) {
  Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("release", entry.release);
  json->set("sha", entry.sha);
  json->set("run_id", entry.run_id);
  json->set("pipeline_file", entry.pipeline_file);
  json->set("live_since", entry.live_since);
  json->set("live_until", entry.live_until);
  return json;
}

LiveRelease live_release_from_json(const Object::Ptr& json) {
  LiveRelease entry;
  entry.release = json->getValue<std::string>("release");
  entry.sha = json->optValue<std::string>("sha", "");
  entry.run_id = json->optValue<std::string>("run_id", "");
  entry.pipeline_file = json->optValue<std::string>("pipeline_file", "");
  entry.live_since = json->optValue<std::string>("live_since", "");
  entry.live_until = json->optValue<std::string>("live_until", "");
  return entry;
}

LiveRelease entry_of(const SlotState& slot, const std::string& since, const std::string& until) {
  return {slot.release, slot.sha, slot.run_id, slot.pipeline_file, since, until};
}

// A state written before the history existed: its live and previous slots were both live once
// (previous was only ever set by a switch), so they are where a rollback may go.
void seed_history(AppState& state) {
  if (!state.history.empty() || !state.live) return;
  const auto& live = state.slots[*state.live];
  if (live.release.empty()) return;
  if (state.previous && !state.slots[*state.previous].release.empty())
    state.history.push_back(entry_of(state.slots[*state.previous], "", live.since));
  state.history.push_back(entry_of(live, live.since, ""));
}

AppState state_from_json(const Object::Ptr& json, const std::string& fallback_name) {
  AppState state;
  state.app = json->optValue<std::string>("app", fallback_name);
  state.live = optional_slot(json, "live", "the live slot");
  state.previous = optional_slot(json, "previous", "the previous slot");
  if (const auto slots = json->getObject("slots")) {
    for (const auto& name : slots->getNames())
      state.slots[slot_named(name, "a key of slots")] = slot_from_json(slots->getObject(name));
  }
  if (json->has("journal") && !json->isNull("journal"))
    state.journal = journal_from_json(json->getObject("journal"));
  if (const auto history = json->getArray("history")) {
    for (std::size_t i = 0; i < history->size(); ++i)
      state.history.push_back(live_release_from_json(history->getObject(static_cast<unsigned>(i))));
  }
  seed_history(state);
  return state;
}

}  // namespace

const char* to_string(Phase phase) {
  for (const auto& [value, name] : kPhaseNames) {
    if (value == phase) return name;
  }
  return "unknown";
}

std::optional<Phase> parse_phase(const std::string& text) {
  for (const auto& [value, name] : kPhaseNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string app_dir(const std::string& data_dir, const std::string& app) {
  return (fs::path(data_dir) / "apps" / app).string();
}

util::Result<AppState> load_app_state(const std::string& dir) {
  const auto path = state_file(dir);
  const auto name = fs::path(dir).filename().string();
  std::error_code missing;
  if (!fs::exists(path, missing)) return AppState{name, std::nullopt, std::nullopt, {}, std::nullopt, {}};
  const auto text = util::read_whole_file(path);
  if (!text) return text.error();
  try {
    const auto json = Poco::JSON::Parser().parse(text.value()).extract<Object::Ptr>();
    return state_from_json(json, name);
  } catch (const Poco::Exception& error) {
    return util::fail(path + " is not a deploy state turnout can read: " + error.displayText() +
                      "; fix or move it, then run `turnout deploy status`");
  }
}

util::Status save_app_state(const std::string& dir, const AppState& state) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return util::fail("cannot create " + dir + ": " + error.message());
  Object json(Poco::JSON_PRESERVE_KEY_ORDER);
  json.set("app", state.app);
  json.set("live", name_of(state.live));
  json.set("previous", name_of(state.previous));
  Object::Ptr slots = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  // Slot order is name order (blue, green), as the file listed them when keyed by name.
  for (const auto& [name, slot] : state.slots) slots->set(to_string(name), slot_to_json(slot));
  json.set("slots", slots);
  if (state.journal) json.set("journal", journal_to_json(*state.journal));
  Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
  for (const auto& entry : state.history) history->add(live_release_to_json(entry));
  json.set("history", history);
  std::ostringstream text;
  json.stringify(text, 2);
  return util::write_file_atomically(state_file(dir), text.str() + "\n");
}

void mark_live(AppState& state, Slot slot, const std::string& now) {
  const auto& live = state.slots[slot];
  if (!state.history.empty() && state.history.back().live_until.empty()) {
    if (state.history.back().release == live.release) return;
    state.history.back().live_until = now;
  }
  state.history.push_back(entry_of(live, now, ""));
  // Switching back and forth adds an entry each time: the oldest go past this many.
  constexpr std::size_t kLongestHistory = 50;
  if (state.history.size() > kLongestHistory)
    state.history.erase(state.history.begin(), state.history.end() - kLongestHistory);
}

std::optional<LiveRelease> last_live_before_current(const AppState& state) {
  std::string current;
  if (state.live) {
    if (const auto found = state.slots.find(*state.live); found != state.slots.end())
      current = found->second.release;
  }
  for (auto entry = state.history.rbegin(); entry != state.history.rend(); ++entry) {
    std::error_code missing;
    if (entry->release != current && fs::is_directory(entry->release, missing)) return *entry;
  }
  return std::nullopt;
}

void forget_removed_releases(AppState& state) {
  std::erase_if(state.history, [](const LiveRelease& entry) {
    std::error_code missing;
    return !fs::is_directory(entry.release, missing);
  });
}

std::vector<std::string> list_apps(const std::string& data_dir) {
  std::vector<std::string> apps;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(data_dir) / "apps", error)) {
    if (fs::exists(entry.path() / "state.json")) apps.push_back(entry.path().filename().string());
  }
  std::sort(apps.begin(), apps.end());
  return apps;
}

}  // namespace turnout::steps::deploy
