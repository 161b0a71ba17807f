#include "steps/deploy/blue_green.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <variant>

#include "steps/deploy/canary.h"
#include "steps/deploy/deploy_record.h"
#include "steps/deploy/health_probe.h"
#include "steps/deploy/port_listeners.h"
#include "steps/deploy/proxy_switch.h"
#include "steps/deploy/release_dir.h"
#include "steps/deploy/slot_process.h"
#include "steps/deploy/traffic_verdict.h"
#include "util/duration.h"
#include "util/file_lock.h"
#include "util/port_owner.h"
#include "util/process_identity.h"
#include "util/utc_time.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;

// An outside supervisor's start or stop command (docker run -d, systemctl start) returns soon.
constexpr auto kCommandTimeout = std::chrono::minutes(5);
// How long a stopped slot gets between TERM and KILL.
constexpr auto kStopGrace = std::chrono::seconds(10);
// How often drain looks at the old slot's connections.
constexpr util::Duration kDrainPoll(20);

DeployOutcome failed(std::string reason, std::optional<Slot> live) {
  return {false, false, std::move(reason), live};
}

// The live slot as the app's state file says (none when none, or when it cannot be read).
std::optional<Slot> live_of(const std::string& dir) {
  const auto state = load_app_state(dir);
  return state ? state.value().live : std::nullopt;
}

// A slot that may be unset, for a person: its name, or "none".
const char* or_none(const std::optional<Slot>& slot) { return slot ? to_string(*slot) : "none"; }

// One operation on an app at a time, across threads and processes (two branches' runs, the
// CLI, the API): an exclusive flock on apps/<app>/deploy.lock, held while the FileLock lives.
// Two operations at once would interleave their journal writes and their slots, so a lock that
// cannot be taken fails the operation before it changes anything.
std::string lock_file(const std::string& dir) { return (fs::path(dir) / "deploy.lock").string(); }

util::Result<util::FileLock> lock_app(const std::string& dir, bool wait) {
  // A folder that cannot be made leaves the open below to fail, naming the lock file and why.
  std::error_code ignored;
  fs::create_directories(dir, ignored);
  auto lock = wait ? util::FileLock::acquire(lock_file(dir), 0600)
                   : util::FileLock::try_acquire(lock_file(dir), 0600);
  if (!lock) return util::fail("cannot take the deploy lock (nothing was changed): " + lock.error().message);
  return lock;
}

// What holds the app's lock, for a hand operation that will not wait for it: the journal of the
// deploy in progress (written atomically, so it reads whole without the lock), else whatever
// operation it is.
std::string busy_reason(const std::string& app, const std::string& dir, const util::Result<AppState>& state) {
  if (state && state.value().journal) {
    const Journal& journal = *state.value().journal;
    return "deploy of " + app + " (run " + journal.run_id + ") in progress since " + journal.started_at +
           ", phase " + to_string(journal.phase);
  }
  return "another operation on " + app + " is in progress (it holds " + lock_file(dir) +
         "): try again when it is done";
}

// The lock for what must happen whatever holds it now (a run's deploy, reconcile, bootup): it
// waits, saying first in `log` what it waits for, so that a deploy queued behind another is
// not silent either.
util::Result<util::FileLock> wait_for_app(const pipeline::Deploy& deploy, const DeploySite& site,
                                          const DeployLog& log) {
  const auto dir = app_dir(site.data_dir, deploy.app);
  auto lock = lock_app(dir, false);
  if (!lock || lock.value().held()) return lock;
  log("waiting for the deploy lock: " + busy_reason(deploy.app, dir, load_app_state(dir)));
  return lock_app(dir, true);
}

// A hand operation (rollback, switch) takes the app's lock without waiting, and when a
// deploy holds it answers at once with what that deploy is doing. Why not wait: a deploy holds
// the lock through its release copy, health wait, verify and drain, minutes at worst; a person
// (or the API's caller, whose HTTP thread would be held all that time) waiting without a word
// cannot tell a slow deploy from a hung one, and what they asked for was judged on the state they
// saw: a rollback queued behind a deploy would roll back from the version that deploy made live.
// They learn at once, and ask again (or cancel the run) knowing what runs.
std::variant<util::FileLock, DeployOutcome> lock_for_hand(const pipeline::Deploy& deploy,
                                                          const DeploySite& site) {
  const auto dir = app_dir(site.data_dir, deploy.app);
  auto lock = lock_app(dir, false);
  if (lock && lock.value().held()) return std::move(lock).value();
  if (!lock) return failed(lock.error().message, live_of(dir));
  // One read of the state for both the reason and the live slot.
  const auto state = load_app_state(dir);
  auto busy = failed(busy_reason(deploy.app, dir, state), state ? state.value().live : std::nullopt);
  busy.busy = true;
  return busy;
}

int port_of(const pipeline::Deploy& deploy, Slot slot) {
  return slot == Slot::green ? deploy.slots.green : deploy.slots.blue;
}

// `base` with each of `vars` set, replacing an earlier value of the same name.
std::vector<std::string> with_vars(std::vector<std::string> base,
                                   const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [name, value] : vars) {
    const auto prefix = name + "=";
    std::erase_if(base,
                  [&](const std::string& entry) { return entry.compare(0, prefix.size(), prefix) == 0; });
    base.push_back(prefix + value);
  }
  return base;
}

/// One app's deploy state and the means to act on it, for the operations below.
class App {
 public:
  App(const pipeline::Deploy& deploy, const DeploySite& site, const DeployLog& log)
      : deploy_(deploy),
        site_(site),
        log_(log),
        dir_(app_dir(site.data_dir, deploy.app)),
        proxy_(make_proxy_switch(deploy, ProxyEnv{site.env, dir_, site.data_dir})) {}

  util::Status load() {
    auto loaded = load_app_state(dir_);
    if (!loaded) return loaded.error();
    state = std::move(loaded.value());
    state.app = deploy_.app;
    for (const Slot slot : kSlots) state.slots[slot].port = port_of(deploy_, slot);
    return util::Ok{};
  }

  util::Status save() { return save_app_state(dir_, state); }

  // Journals `phase` before it starts (invariant 6).
  util::Status enter(Phase phase) {
    state.journal->phase = phase;
    log_("deploy: " + std::string(to_string(phase)));
    if (record) record->phases.push_back({phase, util::utc_now()});
    return save();
  }

  std::vector<std::string> slot_env(Slot slot) const {
    const auto& s = state.slots.at(slot);
    return with_vars(site_.env, {{"PORT", std::to_string(s.port)},
                                 {"TURNOUT_SLOT", to_string(slot)},
                                 {"TURNOUT_RELEASE_DIR", s.release},
                                 {"TURNOUT_SHA", s.sha}});
  }

  SlotLaunch launch(Slot slot) const {
    const auto& s = state.slots.at(slot);
    return SlotLaunch{deploy_.start, deploy_.stop, s.release, slot_env(slot),
                      (fs::path(dir_) / (std::string(to_string(slot)) + ".log")).string()};
  }

  bool alive(Slot slot) const {
    const auto found = state.slots.find(slot);
    if (found == state.slots.end() || !found->second.running) return false;
    return !found->second.process || slot_alive(*found->second.process);
  }

  ProbeResult probe(Slot slot) const {
    const auto& s = state.slots.at(slot);
    return probe_once(deploy_.health, s.port, ProbeEnv{slot_env(slot), s.release});
  }

  bool healthy(Slot slot) const { return alive(slot) && probe(slot).healthy; }

  util::Status start(Slot slot) {
    auto& s = state.slots[slot];
    log_(std::string("starting slot ") + to_string(slot) + " (port " + std::to_string(s.port) + ") from " +
         s.release);
    auto started = start_slot(launch(slot), util::Duration(kCommandTimeout));
    if (!started) return started.error();
    s.process = started.value();
    s.running = true;
    s.since = util::utc_now();
    return save();
  }

  void stop(Slot slot) {
    auto& s = state.slots[slot];
    if (s.running) {
      log_(std::string("stopping slot ") + to_string(slot) + " (port " + std::to_string(s.port) + ")");
      if (auto stopped = stop_slot(launch(slot), s.process, util::Duration(kStopGrace)); !stopped)
        log_(std::string("cannot stop slot ") + to_string(slot) + ": " + stopped.error().message);
      s.running = false;
      s.process.reset();
    }
    stop_escaped(slot);
  }

  // Stops what a start command that daemonized left on the slot's port (agent-supervised slots
  // only: an outside supervisor owns its processes); their pids.
  std::vector<pid_t> stop_escaped(Slot slot) {
    if (!deploy_.stop.empty()) return {};
    const int port = port_of(deploy_, slot);
    const auto releases = (fs::path(dir_) / "releases").string();
    const auto stopped =
        ::turnout::steps::deploy::stop_escaped(port, to_string(slot), releases, util::Duration(kStopGrace));
    for (const pid_t pid : stopped) {
      log_(std::string("stopped pid ") + std::to_string(pid) + ", which a start command of slot " +
           to_string(slot) + " left listening on port " + std::to_string(port) +
           " outside the slot's process group");
    }
    return stopped;
  }

  HealthOutcome wait_healthy(Slot slot, const CancelToken& cancel) {
    const auto& s = state.slots.at(slot);
    const int attempts = deploy_.health.attempts;
    return wait_until_healthy(deploy_.health, s.port, ProbeEnv{slot_env(slot), s.release}, cancel,
                              [&](int attempt, const std::string& reason) {
                                log_("probe " + std::to_string(attempt) + "/" + std::to_string(attempts) +
                                     " of slot " + to_string(slot) + " failed: " + reason);
                                if (record)
                                  record->probes.push_back({util::utc_now(), attempt, attempts, reason});
                              });
  }

  util::Status point_proxy_at(Slot slot) {
    log_("switching " + proxy_->describe() + " to slot " + to_string(slot) + " (port " +
         std::to_string(state.slots.at(slot).port) + ")");
    return proxy_->switch_to(state.slots.at(slot).port, slot);
  }

  // A canary's share of the traffic, once the proxy applies it.
  util::Status set_weight(Slot slot, int percent) {
    log_("giving slot " + std::string(to_string(slot)) + " " + std::to_string(percent) + "% of the traffic");
    return proxy_->set_weight(slot, percent);
  }

  std::optional<int> proxy_port() const {
    auto current = proxy_->current();
    if (!current) {
      log_("cannot read where the proxy points: " + current.error().message);
      return std::nullopt;
    }
    return current.value();
  }

  void prune() {
    std::set<std::string> protect;
    for (const auto& slot : {state.live, state.previous}) {
      if (slot) protect.insert(state.slots[*slot].release);
    }
    // The release a rollback would go to stays, wherever it is.
    if (const auto target = last_live_before_current(state)) protect.insert(target->release);
    for (const auto& removed :
         prune_releases((fs::path(dir_) / "releases").string(), deploy_.keep_releases, protect))
      log_("removed old release " + removed);
    forget_removed_releases(state);
  }

  const pipeline::Deploy& deploy() const { return deploy_; }
  const std::string& dir() const { return dir_; }
  const FeedAccess& feed() const { return site_.feed; }
  void log(const std::string& line) const { log_(line); }

  AppState state;
  /// A run's deploy: what it did, for the deploy history (phases, failed probes, the switch);
  /// none for a hand operation.
  DeployRecord* record = nullptr;

 private:
  const pipeline::Deploy& deploy_;
  const DeploySite& site_;
  const DeployLog& log_;
  std::string dir_;
  std::unique_ptr<ProxySwitch> proxy_;
};

// Ends a deploy that failed before traffic moved: the new slot is stopped, the journal closed,
// the live slot untouched.
// True when something accepts connections on 127.0.0.1:`port`: with the idle slot stopped,
// whatever answers there is not ours, and its answers would pass the new slot's health checks.
bool port_taken(int port) {
  pipeline::HealthCheck tcp;
  tcp.kind = pipeline::ProbeKind::tcp;
  tcp.timeout = util::Duration(1000);
  return probe_once(tcp, port, ProbeEnv{}).healthy;
}

// Saves the state after a failure, whose reason it does not replace: "" when saved, else what
// to add to that reason (which the caller logs or returns). The journal left on disk then names the deploy,
// and the next start reconciles it from there.
std::string save_after_failure(App& app) {
  auto saved = app.save();
  if (saved) return "";
  return "; cannot save the deploy state: " + saved.error().message + " (the next start reconciles it)";
}

DeployOutcome abandon(App& app, Slot target, const std::string& reason, bool cancelled = false) {
  app.stop(target);
  app.state.journal.reset();
  const std::string why = reason + save_after_failure(app);
  app.log("deploy failed: " + why);
  auto outcome = failed(why, app.state.live);
  outcome.cancelled = cancelled;
  return outcome;
}

// Why the port is not the slot's: an agent-supervised slot's listener must be its process, in its
// process group (its session, which turnout made), or started with its TURNOUT_SLOT and a release
// of the app (escaped from the group). nullopt when it is, or cannot be seen.
std::optional<std::string> stranger_on(const App& app, Slot target,
                                       const std::vector<util::ProcessIdentity>& owners) {
  const auto& process = app.state.slots.at(target).process;
  if (!process || owners.empty()) return std::nullopt;
  const auto releases = (fs::path(app.dir()) / "releases").string();
  for (const auto& owner : owners) {
    if (owner.pid == process->pid || ::getpgid(owner.pid) == process->pid ||
        started_for(owner.pid, to_string(target), releases))
      return std::nullopt;
  }
  return "port " + std::to_string(port_of(app.deploy(), target)) + " is held by pid " + pids_of(owners) +
         ", not by the slot's process (pid " + std::to_string(process->pid) + ") or its group";
}

// The new slot's real traffic as verify judges it: the feed's totals of the slot read at the
// switch, so that only requests after it count (the feed's window still holds older ones).
struct TrafficWatch {
  const TrafficFeed* feed = nullptr;  // none: the probes alone decide
  Traffic at_switch;
};

// Starts watching `target`'s traffic, just before the switch, when `verify` has max_error_rate;
// without a feed the log says once why only the probes decide.
TrafficWatch watch_traffic(const App& app, Slot target) {
  const auto& check = app.deploy().verify_traffic;
  if (!check) return {};
  const auto& access = app.feed();
  if (access.feed == nullptr) {
    app.log("verify: real traffic is not judged (max_error_rate " + percent_text(check->max_error_rate) +
            "): " + (access.why_not.empty() ? "no traffic feed reaches this deploy" : access.why_not) +
            "; the probes alone decide");
    return {};
  }
  return {access.feed, access.feed->total(app.deploy().app, target)};
}

// What `watch` saw of `target` since the switch.
TrafficSince traffic_since(const App& app, const TrafficWatch& watch, Slot target) {
  return traffic_between(watch.at_switch, watch.feed->total(app.deploy().app, target));
}

// After the switch: keeps probing the new slot for `verify`, and watches that the process that
// listened on its port before the switch (`owners`, seen once health passed) still does: probes
// ask a port, and a stranger that took it would pass them. Seen before the switch, not after it:
// a slot that died in between would leave nothing, or the stranger, to watch. With `watch`, the
// 5xx of the slot's real traffic since the switch are judged too (verify.max_error_rate). A
// failure puts traffic back. Listeners this process may not see (another user's) are not watched.
std::optional<std::string> verify(App& app, Slot target, const PortListeners& owners,
                                  const TrafficWatch& watch) {
  const auto& deploy = app.deploy();
  const int port = owners.port;
  const std::string traffic =
      watch.feed == nullptr
          ? std::string()
          : ", and the 5xx of its real traffic (max " + percent_text(deploy.verify_traffic->max_error_rate) +
                " once it had " + std::to_string(deploy.verify_traffic->min_requests) + " requests)";
  app.log("verify: watching " +
          (owners.owners.empty() ? std::string("the probes only (nothing listening on port ") +
                                       std::to_string(port) + " could be seen from here before the switch)"
                                 : "pid " + pids_of(owners.owners) + ", which listens on port " +
                                       std::to_string(port) + ", and the probes") +
          traffic);
  const auto until = std::chrono::steady_clock::now() + deploy.verify;
  do {
    const auto result = app.alive(target) ? app.probe(target) : ProbeResult{false, "the process is gone"};
    if (!result.healthy) return result.reason;
    if (auto lost = listener_lost(owners)) return lost;
    if (watch.feed != nullptr) {
      if (auto breach = traffic_breach(*deploy.verify_traffic, traffic_since(app, watch, target), target))
        return breach;
    }
    std::this_thread::sleep_for(deploy.health.interval);
  } while (std::chrono::steady_clock::now() < until);
  if (watch.feed != nullptr) {
    const auto since = traffic_since(app, watch, target);
    if (auto breach = traffic_breach(*deploy.verify_traffic, since, target)) return breach;
    app.log(traffic_summary(*deploy.verify_traffic, since, target));
  }
  return std::nullopt;
}

// Waits until the old slot has no open connections (nginx's requests to it are over), at the
// latest `drain`; the log says which ended it.
void drain(App& app, std::optional<Slot> from) {
  const auto limit = app.deploy().drain;
  if (!from) return;
  const int port = port_of(app.deploy(), *from);
  const auto start = std::chrono::steady_clock::now();
  const std::string slot = std::string("slot ") + to_string(*from) + " (port " + std::to_string(port) + ")";
  for (;;) {
    const int open = util::established_connections(port);
    const auto waited = std::chrono::duration_cast<util::Duration>(std::chrono::steady_clock::now() - start);
    if (open == 0) {
      app.log("drain ended: " + slot + " has no open connections, after " + util::format_duration(waited));
      return;
    }
    if (waited >= limit) {
      app.log("drain ended: `drain` (" + util::format_duration(limit) + ") is over; " + slot + " still has " +
              std::to_string(open) + (open == 1 ? " open connection" : " open connections"));
      return;
    }
    std::this_thread::sleep_for(std::min<util::Duration>(kDrainPoll, limit - waited));
  }
}

DeployOutcome roll_back_after_switch(App& app, Slot target, std::optional<Slot> from,
                                     const std::string& reason) {
  std::string message = std::string("slot ") + to_string(target) + " failed after the switch: " + reason;
  if (from && app.healthy(*from)) {
    if (auto back = app.point_proxy_at(*from); back) {
      app.state.live = from;
      app.state.previous = target;
      if (app.record) app.record->rolled_back_at = util::utc_now();
      message += std::string("; traffic is back on slot ") + to_string(*from);
    } else {
      message += std::string("; switching back to slot ") + to_string(*from) +
                 " failed too: " + back.error().message;
    }
  }
  app.stop(target);
  app.state.journal.reset();
  message += save_after_failure(app);
  app.log("deploy failed: " + message);
  return failed(message, app.state.live);
}

std::string journal_failure(Phase phase, const util::Error& error) {
  return "cannot journal phase " + std::string(to_string(phase)) + ": " + error.message;
}

// The phases from the switch on; the caller has the new slot started and healthy, and saw who
// listens on its port then (`owners`).
DeployOutcome switch_and_finish(App& app, Slot target, std::optional<Slot> from,
                                const PortListeners& owners) {
  if (auto entered = app.enter(Phase::switch_traffic); !entered)
    return abandon(app, target, journal_failure(Phase::switch_traffic, entered.error()));
  const TrafficWatch watch = watch_traffic(app, target);
  if (auto switched = app.point_proxy_at(target); !switched)
    return abandon(app, target, "switch: " + switched.error().message + "; traffic stays on the live slot");
  if (app.record) app.record->switched_at = util::utc_now();
  app.state.previous = from;
  app.state.live = target;
  // From here a phase that cannot be journalled puts traffic back: a crash in it could not be
  // reconciled from what the journal says (invariant 6).
  if (auto entered = app.enter(Phase::verify); !entered)
    return roll_back_after_switch(app, target, from, journal_failure(Phase::verify, entered.error()));
  if (auto broken = verify(app, target, owners, watch))
    return roll_back_after_switch(app, target, from, *broken);
  // Verified: from now on a rollback target (saved with the drain phase).
  mark_live(app.state, target, util::utc_now());
  if (auto entered = app.enter(Phase::drain); !entered)
    return roll_back_after_switch(app, target, from, journal_failure(Phase::drain, entered.error()));
  drain(app, from);
  if (auto entered = app.enter(Phase::stop_old); !entered)
    return roll_back_after_switch(app, target, from, journal_failure(Phase::stop_old, entered.error()));
  if (!app.deploy().keep_previous && from) app.stop(*from);
  app.prune();
  app.state.journal.reset();
  if (auto saved = app.save(); !saved) return failed(saved.error().message, target);
  app.log(std::string("deploy done: slot ") + to_string(target) + " is live" +
          (!from ? std::string()
                 : std::string(", slot ") + to_string(*from) +
                       (app.deploy().keep_previous ? " kept for rollback" : " stopped")));
  return {true, false, "", target};
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

// Why a canary has no traffic figures to be judged by ("" when it has).
std::string feed_off(const pipeline::Deploy& deploy, const FeedAccess& feed) {
  if (!deploy.proxy.nginx || !deploy.proxy.nginx->feed)
    return "the traffic feed is off for app " + deploy.app + " (set `proxy.nginx.feed: true`)";
  if (feed.feed == nullptr)
    return feed.why_not.empty() ? "no traffic feed reaches this deploy" : feed.why_not;
  return "";
}

// The canary's steps between the new slot's health and the switch: nullopt when they all
// passed (the caller promotes it by the switch), else the failed deploy, the canary's share
// taken away first.
std::optional<DeployOutcome> run_canary(App& app, Slot target, Slot from, const CancelToken& cancel) {
  const auto& deploy = app.deploy();
  const std::string live = to_string(from);
  const int steps = static_cast<int>(deploy.canary->steps.size());
  app.state.journal->canary_steps = steps;
  clear_canary_order(app.dir());
  if (auto entered = app.enter(Phase::canary); !entered)
    return abandon(app, target, journal_failure(Phase::canary, entered.error()));
  // The includes must split traffic before the first weight: a switch to the live slot writes
  // them (nginx reloaded only when they change) and sends all traffic there.
  if (auto ready = app.point_proxy_at(from); !ready)
    return abandon(app, target, "canary: " + ready.error().message + "; slot " + live + " stays live");
  const CanaryHooks hooks{[&](int step, int weight) {
                            app.state.journal->canary_step = step;
                            app.state.journal->canary_weight = weight;
                            return app.enter(Phase::canary);
                          },
                          [&](int weight) { return app.set_weight(target, weight); },
                          [&]() -> std::optional<std::string> {
                            if (!app.alive(target)) return std::string("died (its process is gone)");
                            const auto probe = app.probe(target);
                            if (!probe.healthy) return "failed its health check: " + probe.reason;
                            return std::nullopt;
                          },
                          [&]() { return take_canary_order(app.dir()); }};
  const CanaryWatch watch{
      deploy.app, target, from, deploy.health.interval, app.feed().feed, feed_off(deploy, app.feed())};
  const auto end =
      run_canary_steps(*deploy.canary, watch, hooks, cancel, [&](const std::string& line) { app.log(line); });
  if (end.passed) return std::nullopt;
  std::string back = "; the canary's share is taken away, slot " + live + " has all the traffic";
  if (auto unsplit = app.set_weight(target, 0); !unsplit)
    back = "; taking the canary's share away failed: " + unsplit.error().message +
           " (the next start reconciles it)";
  return abandon(app, target, end.reason + back, end.cancelled);
}

util::Result<std::string> reconcile_locked(const pipeline::Deploy& deploy, const DeploySite& site,
                                           const DeployLog& log) {
  App app(deploy, site, log);
  if (auto loaded = app.load(); !loaded) return loaded.error();
  if (!app.state.journal) return std::string();
  const Journal journal = *app.state.journal;
  const std::string what = "the deploy of " + short_sha(journal.sha) + " (run " + journal.run_id +
                           ") to slot " + to_string(journal.target) + " was interrupted during " +
                           to_string(journal.phase);
  const auto pointed = app.proxy_port();
  // A canary that died mid-rollout goes back to the live slot; only when that one is not healthy
  // does a healthy canary take all the traffic.
  const bool canary_instead = journal.phase == Phase::canary && !(journal.from && app.healthy(*journal.from));
  const bool switched =
      journal.phase >= Phase::verify || canary_instead ||
      (journal.phase == Phase::switch_traffic && pointed == port_of(deploy, journal.target));
  std::string done;
  if (switched && app.healthy(journal.target)) {
    app.state.live = journal.target;
    app.state.previous = journal.from;
    // The file may say so while nginx never reloaded it: apply it again.
    if (auto pointed_again = app.point_proxy_at(journal.target); !pointed_again)
      app.log(pointed_again.error().message);
    if (!deploy.keep_previous && journal.from) app.stop(*journal.from);
    mark_live(app.state, journal.target, util::utc_now());
    done = std::string("finished it: slot ") + to_string(journal.target) + " is live";
  } else {
    // An outside supervisor may have started the slot before turnout died there (its start had
    // not returned, so nothing recorded it): its stop command is safe to run either way.
    if (journal.phase == Phase::start && !deploy.stop.empty()) app.state.slots[journal.target].running = true;
    app.stop(journal.target);
    app.state.live = journal.from;
    app.state.previous.reset();
    if (journal.from && app.healthy(*journal.from)) {
      if (auto back = app.point_proxy_at(*journal.from); !back) app.log(back.error().message);
    } else if (journal.phase == Phase::canary) {
      if (auto unsplit = app.set_weight(journal.target, 0); !unsplit) app.log(unsplit.error().message);
    }
    done = std::string("undid it: slot ") + to_string(journal.target) + " stopped, " +
           (!journal.from ? std::string("nothing is live")
                          : std::string("slot ") + to_string(*journal.from) + " is live");
  }
  app.state.journal.reset();
  if (auto saved = app.save(); !saved) return saved.error();
  const auto message = what + "; " + done;
  log(message);
  return message;
}

// A deploy's path from the start of its slot on, which a rollback takes too: starts `target`
// (unless it runs already), waits until it is healthy, sees who holds its port, then (a
// deploy's `strategy: canary`, `rollout` true) goes through the canary's steps, and switches,
// verifies, drains (switch_and_finish). The journal is open and the slot's release set. A
// rollback goes back at once: it never rolls out by steps.
DeployOutcome start_and_switch(App& app, Slot target, std::optional<Slot> from, const CancelToken& cancel,
                               bool rollout = false) {
  const std::string name = to_string(target);
  // A rollback's slot may run its release already (kept for rollback): it is only health-checked.
  if (!app.alive(target)) {
    if (auto started = app.start(target); !started)
      return abandon(app, target, "start: " + started.error().message);
  }

  if (auto entered = app.enter(Phase::health); !entered)
    return abandon(app, target, journal_failure(Phase::health, entered.error()));
  const auto health = app.wait_healthy(target, cancel);
  if (health.cancelled) return abandon(app, target, "cancelled before the switch", true);
  if (!health.healthy) {
    return abandon(app, target,
                   "slot " + name + " never became healthy (" + std::to_string(health.attempts) +
                       " probes): " + health.last_reason + "; slot " + or_none(from) + " stays live");
  }
  // The probes ask a port, not a process: one that exited at once (its port taken, say) leaves
  // whoever holds the port to answer them, and traffic must not go there.
  if (!app.alive(target)) {
    if (!app.stop_escaped(target).empty()) {
      return abandon(app, target,
                     "slot " + name +
                         ": the start command exited at once; a start command must stay in the foreground "
                         "(use exec): what it left on port " +
                         std::to_string(port_of(app.deploy(), target)) + " was stopped; slot " +
                         or_none(from) + " stays live");
    }
    return abandon(app, target,
                   "slot " + name + " exited, yet port " + std::to_string(port_of(app.deploy(), target)) +
                       " answered its health checks: another process holds the port; slot " + or_none(from) +
                       " stays live");
  }
  // Who holds the port now is what verify watches; a stranger there is found before traffic moves.
  const auto owners = listeners_now(port_of(app.deploy(), target));
  if (auto stranger = stranger_on(app, target, owners.owners))
    return abandon(app, target,
                   "slot " + name + ": " + *stranger + "; slot " + or_none(from) + " stays live");
  // Marks where the switch starts, so the cutover can be timed from the run log (bench/switch).
  app.log("slot " + name + " healthy after " + std::to_string(health.attempts) +
          (health.attempts == 1 ? " probe" : " probes"));
  if (rollout && from) {
    if (auto refused = run_canary(app, target, *from, cancel)) return *refused;
  } else if (rollout) {
    app.log("canary: nothing is live to compare slot " + name +
            " with (the first deploy): it takes all the traffic");
  }
  return switch_and_finish(app, target, from, owners);
}

// Starts `slot` from its release when it does not run (and health-checks it), then points the
// proxy at it and records it live: the end of `deploy switch` and bootup.
DeployOutcome bring_up_and_switch(App& app, Slot slot, const CancelToken& cancel) {
  const std::string name = to_string(slot);
  const auto& wanted = app.state.slots[slot];
  if (!app.alive(slot)) {
    if (auto started = app.start(slot); !started)
      return failed("start: " + started.error().message, app.state.live);
    const auto health = app.wait_healthy(slot, cancel);
    if (!health.healthy) {
      app.stop(slot);
      const auto unsaved = save_after_failure(app);
      auto outcome =
          failed("slot " + name + " never became healthy: " + health.last_reason + unsaved, app.state.live);
      outcome.cancelled = health.cancelled;
      return outcome;
    }
  } else if (const auto probe = app.probe(slot); !probe.healthy) {
    return failed("slot " + name + " runs but is not healthy: " + probe.reason, app.state.live);
  }
  if (auto switched = app.point_proxy_at(slot); !switched)
    return failed(switched.error().message, app.state.live);
  if (app.state.live != slot) {
    app.state.previous = app.state.live;
    app.state.live = slot;
  }
  mark_live(app.state, slot, util::utc_now());
  if (auto saved = app.save(); !saved) return failed(saved.error().message, slot);
  app.log("slot " + name + " (" + short_sha(wanted.sha) + ") is live");
  return {true, false, "", slot};
}

DeployOutcome switch_locked(const pipeline::Deploy& deploy, const DeploySite& site, Slot slot,
                            const CancelToken& cancel, const DeployLog& log) {
  if (auto reconciled = reconcile_locked(deploy, site, log); !reconciled)
    return failed(reconciled.error().message, std::nullopt);
  App app(deploy, site, log);
  if (auto loaded = app.load(); !loaded) return failed(loaded.error().message, std::nullopt);
  if (app.state.slots[slot].release.empty())
    return failed("slot " + std::string(to_string(slot)) + " has never been deployed", app.state.live);
  return bring_up_and_switch(app, slot, cancel);
}

// A release for a person: "3f2a9c1d0e4b (run 12, live 2026-...Z to 2026-...Z)".
std::string describe_release(const LiveRelease& release) {
  return short_sha(release.sha) + " (run " + release.run_id + ", live " +
         (release.live_since.empty() ? std::string("before the history began")
                                     : "from " + release.live_since) +
         (release.live_until.empty() ? std::string(", live now") : " until " + release.live_until) + ")";
}

// The kept release, once live, that `to` names: a run id, or a commit (7 or more of its first
// hex digits); the newest such entry.
std::optional<LiveRelease> find_live_release(const AppState& state, const std::string& to) {
  for (auto entry = state.history.rbegin(); entry != state.history.rend(); ++entry) {
    std::error_code missing;
    if (!fs::is_directory(entry->release, missing)) continue;
    if (entry->run_id == to || (to.size() >= 7 && entry->sha.starts_with(to))) return *entry;
  }
  return std::nullopt;
}

std::string kept_releases(const AppState& state) {
  std::string list;
  for (const auto& entry : state.history) {
    std::error_code missing;
    if (!fs::is_directory(entry.release, missing)) continue;
    list += (list.empty() ? "" : ", ") + short_sha(entry.sha) + " (run " + entry.run_id + ")";
  }
  return list.empty() ? "none" : list;
}

// Which release a rollback goes to, decided from the state as it is under the lock; the
// reason when none.
util::Result<LiveRelease> rollback_target(const AppState& state, const std::string& app,
                                          const std::string& to) {
  const auto live = state.live ? state.slots.find(*state.live) : state.slots.end();
  const std::string current = live != state.slots.end() ? live->second.release : "";
  if (to.empty()) {
    if (auto target = last_live_before_current(state)) return *target;
    return util::fail("no release of " + app + " other than the live one (" +
                      (live == state.slots.end() ? std::string("none") : short_sha(live->second.sha)) +
                      ") was ever live and is still kept: there is nothing to roll back to");
  }
  const auto target = find_live_release(state, to);
  if (!target) {
    return util::fail("no kept release of " + app + " with run or commit '" + to +
                      "' was ever live (only a release that passed a deploy's verify, or was switched to, "
                      "can be rolled back to); kept and once live: " +
                      kept_releases(state));
  }
  if (target->release == current)
    return util::fail("release " + describe_release(*target) + " is the live one already");
  return *target;
}

DeployOutcome roll_back_locked(const pipeline::Deploy& deploy, const DeploySite& site, const std::string& to,
                               const ReleaseSetupOf& setup_of, const CancelToken& cancel,
                               const DeployLog& log) {
  if (auto reconciled = reconcile_locked(deploy, site, log); !reconciled)
    return failed(reconciled.error().message, std::nullopt);
  auto state = load_app_state(app_dir(site.data_dir, deploy.app));
  if (!state) return failed(state.error().message, std::nullopt);
  const auto target = rollback_target(state.value(), deploy.app, to);
  if (!target) return failed(target.error().message, state.value().live);
  log("rolling back " + deploy.app + " to " + describe_release(target.value()));
  const auto setup = setup_of(target.value());
  if (!setup) return failed(setup.error().message, state.value().live);
  App app(setup.value().deploy, setup.value().site, log);
  if (auto loaded = app.load(); !loaded) return failed(loaded.error().message, std::nullopt);
  const std::optional<Slot> from = app.state.live;
  std::optional<Slot> holder;
  for (const Slot slot : kSlots) {
    if (slot != from && app.state.slots[slot].release == target.value().release) holder = slot;
  }
  // Its own slot, else (that slot was reused) the idle one, started again from its release folder.
  const Slot slot = holder ? *holder : from ? other(*from) : Slot::blue;
  // Journalled as a deploy of that release is: a crash is reconciled the same way.
  app.state.journal =
      Journal{target.value().run_id, target.value().sha, slot, from, Phase::prepare, util::utc_now()};
  if (auto entered = app.enter(Phase::start); !entered) {
    app.state.journal.reset();
    return failed(journal_failure(Phase::start, entered.error()), from);
  }
  if (!holder) {
    app.stop(slot);
    if (const int port = port_of(app.deploy(), slot); port_taken(port)) {
      return abandon(
          app, slot,
          "port " + std::to_string(port) + " of slot " + to_string(slot) +
              " is in use by a process turnout did not start: free it or give the slot another port");
    }
    auto& fresh = app.state.slots[slot];
    fresh.sha = target.value().sha;
    fresh.release = target.value().release;
    fresh.run_id = target.value().run_id;
    fresh.pipeline_file = target.value().pipeline_file;
  }
  return start_and_switch(app, slot, from, cancel);
}

// A run's deploy of the loaded app, under its lock; `app.record` takes what it did.
DeployOutcome deploy_loaded(App& app, const DeployInput& input, const CancelToken& cancel) {
  const pipeline::Deploy& deploy = app.deploy();
  const std::optional<Slot> from = app.state.live;
  const Slot target = from ? other(*from) : Slot::blue;
  const std::string name = to_string(target);
  app.state.journal = Journal{input.run_id, input.sha, target, from, Phase::prepare, util::utc_now()};
  DeployRecord& record = *app.record;
  record.run_id = input.run_id;
  record.sha = input.sha;
  record.target = target;
  record.from = from;
  record.started_at = app.state.journal->started_at;
  record.phases.push_back({Phase::prepare, record.started_at});
  app.log("deploying " + short_sha(input.sha) + " to slot " + name + " (port " +
          std::to_string(port_of(deploy, target)) + ")" +
          (!from ? std::string(", the first deploy")
                 : std::string("; slot ") + to_string(*from) + " stays live until the switch"));
  if (auto saved = app.save(); !saved) return failed(saved.error().message, from);

  auto release = make_release(input.workspace, (fs::path(app.dir()) / "releases").string(),
                              short_sha(input.sha) + "-" + input.run_id);
  if (!release) return abandon(app, target, "release: " + release.error().message);
  if (auto entered = app.enter(Phase::start); !entered)
    return abandon(app, target, journal_failure(Phase::start, entered.error()));
  app.stop(target);  // the idle slot may still run an older version kept for rollback
  if (const int port = port_of(deploy, target); port_taken(port)) {
    return abandon(
        app, target,
        "port " + std::to_string(port) + " of slot " + name +
            " is in use by a process turnout did not start: free it or give the slot another port; slot " +
            or_none(from) + " stays live");
  }
  auto& slot = app.state.slots[target];
  slot.sha = input.sha;
  slot.release = release.value();
  slot.run_id = input.run_id;
  slot.pipeline_file = (fs::path(release.value()) / input.pipeline_file).string();
  return start_and_switch(app, target, from, cancel, deploy.canary.has_value());
}

}  // namespace

DeployOutcome deploy_blue_green(const pipeline::Deploy& deploy, const DeploySite& site,
                                const DeployInput& input, const CancelToken& cancel, const DeployLog& log) {
  // A run's deploy waits its turn: another run's deploy of the app (or a hand operation) ends
  // on its own, and this one was asked for by the pipeline, not by a person watching.
  const auto lock = wait_for_app(deploy, site, log);
  if (!lock) return failed(lock.error().message, live_of(app_dir(site.data_dir, deploy.app)));
  if (auto reconciled = reconcile_locked(deploy, site, log); !reconciled)
    return failed(reconciled.error().message, std::nullopt);
  App app(deploy, site, log);
  if (auto loaded = app.load(); !loaded) return failed(loaded.error().message, std::nullopt);
  DeployRecord record;
  app.record = &record;
  auto outcome = deploy_loaded(app, input, cancel);
  record.finished_at = util::utc_now();
  record.result = outcome.ok                       ? DeployResult::live
                  : outcome.cancelled              ? DeployResult::cancelled
                  : !record.rolled_back_at.empty() ? DeployResult::rolled_back
                                                   : DeployResult::failed;
  record.reason = outcome.reason;
  // The history is for people; a deploy's outcome does not depend on it.
  if (auto added = add_deploy(app.dir(), record); !added)
    log("cannot record the deploy in the app's history: " + added.error().message);
  return outcome;
}

util::Result<std::string> reconcile(const pipeline::Deploy& deploy, const DeploySite& site,
                                    const DeployLog& log) {
  const auto lock = wait_for_app(deploy, site, log);
  if (!lock) return lock.error();
  return reconcile_locked(deploy, site, log);
}

DeployOutcome switch_to_slot(const pipeline::Deploy& deploy, const DeploySite& site, Slot slot,
                             const CancelToken& cancel, const DeployLog& log) {
  auto lock = lock_for_hand(deploy, site);
  if (auto* refused = std::get_if<DeployOutcome>(&lock)) return *refused;
  return switch_locked(deploy, site, slot, cancel, log);
}

DeployOutcome roll_back_to(const pipeline::Deploy& deploy, const DeploySite& site, const std::string& to,
                           const ReleaseSetupOf& setup_of, const CancelToken& cancel, const DeployLog& log) {
  auto lock = lock_for_hand(deploy, site);
  if (auto* refused = std::get_if<DeployOutcome>(&lock)) return *refused;
  return roll_back_locked(deploy, site, to, setup_of, cancel, log);
}

DeployOutcome boot_live_slot(const pipeline::Deploy& deploy, const DeploySite& site,
                             const CancelToken& cancel, const DeployLog& log) {
  // After a reboot the live slot must come up even if something else has the app first.
  const auto lock = wait_for_app(deploy, site, log);
  if (!lock) return failed(lock.error().message, live_of(app_dir(site.data_dir, deploy.app)));
  if (auto reconciled = reconcile_locked(deploy, site, log); !reconciled)
    return failed(reconciled.error().message, std::nullopt);
  App app(deploy, site, log);
  if (auto loaded = app.load(); !loaded) return failed(loaded.error().message, std::nullopt);
  if (!app.state.live) return {true, false, "", std::nullopt};
  const Slot live = *app.state.live;
  // After a reboot the recorded process is gone. An outside supervisor's slot is known only by
  // its answers: one that does not answer is started again with its start command.
  if (!app.healthy(live)) {
    auto& slot = app.state.slots[live];
    slot.running = slot.process ? app.alive(live) : app.probe(live).healthy;
    if (auto saved = app.save(); !saved)
      return failed(saved.error().message, live);  // switch_locked reads it
  }
  return switch_locked(deploy, site, live, cancel, log);
}

}  // namespace turnout::steps::deploy
