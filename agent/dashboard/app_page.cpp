// /apps/APP: an app's slots, where its proxy points, and its releases.
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "agent/apps/app_status.h"
#include "agent/dashboard/page_values.h"
#include "agent/dashboard/pages.h"
#include "steps/deploy/app_state.h"

namespace turnout::agent {

namespace {

namespace fs = std::filesystem;

// Releases the page lists, newest first.
constexpr std::size_t kReleasesShown = 30;

// The releases of the app in `app_dir` (`releases/SHA-RUN`), newest first: its deploys as far as
// they are kept (old releases are pruned, the live and previous ones never).
PageList releases(const std::string& app_dir, const std::string& live_release) {
  std::vector<std::pair<fs::file_time_type, std::string>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(app_dir) / "releases", error)) {
    std::error_code time_error;
    const auto time = entry.last_write_time(time_error);
    if (!time_error) found.emplace_back(time, entry.path().filename().string());
  }
  std::sort(found.rbegin(), found.rend());
  if (found.size() > kReleasesShown) found.resize(kReleasesShown);
  PageList list;
  for (const auto& [time, name] : found) {
    PageData release;
    const auto dash = name.rfind('-');
    release.set("name", text(name));
    release.set("sha", text(name.substr(0, std::min<std::size_t>(dash, 7))));
    if (dash != std::string::npos) release.set("run", text(name.substr(dash + 1)));
    release.set("live", !live_release.empty() && fs::path(live_release).filename() == name);
    list.push_back(release);
  }
  return list;
}

// The split: each slot's share of the app's requests over the feed's window, set as its
// traffic's `share` (none while neither slot had a request). Read from what nginx did, not from
// where the proxy points, so that it shows the requests a switch left in flight on the old slot.
void add_split(const Poco::JSON::Object::Ptr& status) {
  std::vector<Poco::JSON::Object::Ptr> traffics;
  std::uint64_t requests = 0;
  for (const char* role : {"live", "idle"}) {
    const auto slot = status->getObject(role);
    const auto traffic = slot ? slot->getObject("traffic") : nullptr;
    if (!traffic) continue;
    traffics.push_back(traffic);
    requests += traffic->optValue<std::uint64_t>("requests", 0);
  }
  if (requests == 0) return;
  for (auto traffic : traffics) {  // a copy: Poco's const SharedPtr gives a const object
    traffic->set("share", static_cast<double>(traffic->optValue<std::uint64_t>("requests", 0)) /
                              static_cast<double>(requests));
  }
}

}  // namespace

PageAnswer app_page(const PageSources& sources, const std::string& app) {
  const auto status = deployed_app_status_json(sources.config.data_dir, app, sources.feed);
  if (!status) {
    if (status.error().kind == util::ErrorKind::not_found)
      return error_page(404, "No such app", status.error().message);
    return error_page(500, "The app cannot be read", status.error().message);
  }
  add_split(status.value());
  PageData data = app_value(status.value(), std::chrono::system_clock::now());
  const auto live = status.value()->getObject("live");
  const std::string live_release = live ? live->optValue<std::string>("release", "") : "";
  data.set("releases", releases(steps::deploy::app_dir(sources.config.data_dir, app), live_release));
  // A rollback goes to the release that was live before the current one (started again from its
  // folder when its slot was reused), as `turnout deploy rollback` does; none: no button.
  if (const auto back = status.value()->getObject("rollback_to")) {
    PageData target;
    const auto idle = status.value()->getObject("idle");
    target.set("slot", text(idle ? idle->optValue<std::string>("slot", "") : std::string()));
    target.set("sha", text(back->optValue<std::string>("sha", "").substr(0, 7)));
    target.set("release", text(fs::path(back->optValue<std::string>("release", "")).filename().string()));
    data.set("rollback_to", target);
  }
  // Switch: traffic to the idle slot, as `turnout deploy switch SLOT` (started first when it does
  // not run, health-checked before traffic moves). Rollback is the safer button: it goes only to
  // a release that was live; Switch is the operator's override to whatever the idle slot holds.
  if (const auto idle = status.value()->getObject("idle")) {
    PageData target;
    target.set("slot", text(idle->optValue<std::string>("slot", "")));
    target.set("sha", text(idle->optValue<std::string>("sha", "").substr(0, 7)));
    target.set("release", text(fs::path(idle->optValue<std::string>("release", "")).filename().string()));
    target.set("alive", idle->optValue<bool>("alive", false));
    data.set("switch_to", target);
  }
  data.set("name", text(app));
  // The feed's table only for an app with `feed: true` while the agent receives it.
  bool traffic = false;
  for (const char* role : {"live", "idle"}) {
    const auto slot = status.value()->getObject(role);
    traffic = traffic || (slot && slot->getObject("traffic"));
  }
  data.set("traffic_shown", traffic);
  return {200, "app.mustache", data, "App " + app, "overview"};
}

}  // namespace turnout::agent
