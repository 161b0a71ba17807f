#pragma once
// What turnout knows of one blue-green app, kept in `<data>/apps/<app>/state.json` and written
// atomically (invariant 6): which slot is live, what runs in each slot, and the journal of a
// deploy in progress, written before each phase so a crash at any point can be reconciled.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "steps/deploy/slot.h"
#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// The phases of a deploy, in order; each is journalled before it starts.
enum class Phase { prepare, start, health, canary, switch_traffic, verify, drain, stop_old, done };

/// `prepare`, `start`, `health`, `canary`, `switch`, `verify`, `drain`, `stop-old`, `done`.
const char* to_string(Phase phase);
/// The phase named `text`; nullopt for anything else.
std::optional<Phase> parse_phase(const std::string& text);

/// One slot of the app.
struct SlotState {
  int port = 0;  ///< its port
  std::optional<util::ProcessIdentity>
      process;                ///< agent-supervised: its process; none otherwise or when stopped
  bool running = false;       ///< started and not stopped (for outside supervisors too)
  std::string sha;            ///< the commit it runs
  std::string release;        ///< its release directory
  std::string pipeline_file;  ///< the pipeline it was deployed with (inside the release)
  std::string run_id;         ///< the run that deployed it
  std::string since;          ///< ISO-8601 UTC: when it was started
};

/// A deploy in progress: enough to finish or undo it after a crash.
struct Journal {
  std::string run_id;            ///< the deploying run
  std::string sha;               ///< the commit being deployed
  Slot target = Slot::blue;      ///< the slot being deployed to
  std::optional<Slot> from;      ///< the slot live when it began; none for a first deploy
  Phase phase = Phase::prepare;  ///< the phase started last
  std::string started_at;        ///< ISO-8601 UTC
  int canary_step = 0;           ///< phase canary: the step in progress, 1-based
  int canary_steps = 0;          ///< phase canary: how many steps there are (then 100%)
  int canary_weight = 0;         ///< phase canary: the target's share of the traffic in that step
};

/// A release that was live (ARCHITECTURE.md invariant 10): only these are rollback targets. One
/// becomes live when its deploy passed verify, or when a hand operation switched to it.
struct LiveRelease {
  std::string release;        ///< its release directory
  std::string sha;            ///< its commit
  std::string run_id;         ///< the run that deployed it
  std::string pipeline_file;  ///< the pipeline it was deployed with (inside the release)
  std::string live_since;     ///< ISO-8601 UTC: when traffic went to it
  std::string live_until;     ///< ISO-8601 UTC: when traffic left it; "" while live
};

/// The whole state of an app.
struct AppState {
  std::string app;                   ///< its name
  std::optional<Slot> live;          ///< the live slot; none before the first deploy
  std::optional<Slot> previous;      ///< the slot live before it; none when none
  std::map<Slot, SlotState> slots;   ///< each slot's state (state.json keys them by name)
  std::optional<Journal> journal;    ///< the unfinished deploy, if any
  std::vector<LiveRelease> history;  ///< the releases that were live, oldest first
};

/// Records that `slot`'s release is live from `now`: closes the entry live until now (when it
/// is another release) and adds one for it (unless it is the open entry already).
void mark_live(AppState& state, Slot slot, const std::string& now);

/// The entry of the release live before the one live now (the last other release in history
/// whose folder still exists); nullopt when none.
std::optional<LiveRelease> last_live_before_current(const AppState& state);

/// Drops the history entries of releases whose folder no longer exists.
void forget_removed_releases(AppState& state);

/// `<data_dir>/apps/<app>`.
std::string app_dir(const std::string& data_dir, const std::string& app);

/// Reads `<app_dir>/state.json`; an app never deployed (no file) is an empty AppState named
/// after the folder. A file that is not a valid state is an error naming it: so is a slot name
/// other than blue or green anywhere in it (never taken for blue).
util::Result<AppState> load_app_state(const std::string& app_dir);

/// Writes `<app_dir>/state.json` atomically (creating the folder).
util::Status save_app_state(const std::string& app_dir, const AppState& state);

/// The names of every app with a state under `<data_dir>/apps`, sorted.
std::vector<std::string> list_apps(const std::string& data_dir);

}  // namespace turnout::steps::deploy
