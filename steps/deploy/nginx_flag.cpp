#include "steps/deploy/nginx_flag.h"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>

#include "steps/deploy/feed_line.h"
#include "steps/deploy/short_command.h"
#include "util/atomic_file.h"
#include "util/http_client.h"
#include "util/listen_probe.h"
#include "util/process_identity.h"
#include "util/process_tree.h"
#include "util/read_file.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using util::fail;
using util::Ok;
using util::Result;
using util::Status;

// A test or reload that hangs must not hold the deploy forever (as in mode reload).
constexpr util::Duration kCommandTimeout = std::chrono::seconds(30);
// How long nginx gets to answer with the new slot: a flag flip shows on the next request; a
// reload needs its new workers up, well under a second on a loaded machine.
constexpr auto kCutoverDeadline = std::chrono::seconds(10);
constexpr auto kCheckTimeout = std::chrono::seconds(1);
constexpr auto kCheckInterval = std::chrono::milliseconds(2);
// After a reload, when nginx's processes cannot be seen (another pid namespace), the new include
// counts as serving once this many answers in a row came from it.
constexpr int kAnswersAfterReload = 5;
constexpr int kKeepalive = 16;
// nginx closes its idle connections to a slot after this: a slot that traffic left has none
// soon after, which ends the deploy's drain early.
constexpr std::chrono::seconds kKeepaliveTimeout(2);

std::string upstream(const FlagLayout& layout, Slot slot) {
  return "turnout_" + layout.app + "_" + to_string(slot);
}

std::string flag_file(const std::string& dir) { return (fs::path(dir) / "green.live").string(); }
std::string weights_dir(const std::string& dir) { return (fs::path(dir) / "weights").string(); }
std::string weight_link(const std::string& dir) { return (fs::path(dir) / "weights" / "current").string(); }
// A weight's folder under weights/: "green-10".
std::string weight_name(TrafficWeight weight) {
  return std::string(to_string(weight.slot)) + "-" + std::to_string(weight.percent);
}

// The weight a folder name says, or nullopt for anything else.
std::optional<TrafficWeight> parse_weight_name(const std::string& name) {
  const auto dash = name.find('-');
  if (dash == std::string::npos) return std::nullopt;
  const auto slot = parse_slot(name.substr(0, dash));
  const std::string digits = name.substr(dash + 1);
  if (!slot || digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int percent = std::stoi(digits);
  if (percent < 1 || percent > 100) return std::nullopt;
  return TrafficWeight{*slot, percent};
}
std::string http_file(const std::string& dir) { return (fs::path(dir) / "http.conf").string(); }
std::string location_file(const std::string& dir) { return (fs::path(dir) / "location.conf").string(); }

// The two lines that pick the slot: the same in the site's location and in the check server,
// so that what the check answers is what a request gets.
std::string selector(const FlagLayout& layout, const std::string& indent) {
  return indent + "set $turnout_slot blue;\n" + indent + "if (-f \"" + flag_file(layout.dir) +
         "\") { set $turnout_slot green; }\n";
}

// The canary's buckets: the sticky key (and, for the cookie, the cookie to set on a first visit),
// then 100 buckets of 1% each.
std::string split_text(const FlagLayout& layout) {
  const std::string name = nginx_name(layout.app);
  const std::string cookie = canary_cookie(layout.app);
  std::string text =
      "# The canary's split (strategy: canary): each request's bucket, 0 to 99, from its sticky key;\n"
      "# location.conf sends the buckets weights/current holds to the canary slot.\n";
  std::string key = "$request_id";
  if (*layout.canary == pipeline::Sticky::ip) key = "$remote_addr";
  if (*layout.canary == pipeline::Sticky::cookie) {
    key = "$turnout_" + name + "_key";
    text += "map $cookie_" + cookie + " " + key + " {\n    \"\" $request_id;\n    default $cookie_" + cookie +
            ";\n}\n# A first visit gets the cookie that keeps it in its bucket.\nmap $cookie_" + cookie +
            " $turnout_" + name + "_cookie {\n    \"\" \"" + cookie +
            "=$request_id; Path=/; HttpOnly; SameSite=Lax\";\n    default \"\";\n}\n";
  }
  text += "split_clients \"" + key + "\" $turnout_" + name + "_bucket {\n";
  for (int bucket = 0; bucket < 99; ++bucket) text += "    1% " + std::to_string(bucket) + ";\n";
  return text + "    * 99;\n}\n";
}

// The check server's answer to "what weight": the weight file through the same link the
// location's tests follow (404 when there is no split).
std::string weight_check(const FlagLayout& layout) {
  if (!layout.canary) return "";
  return "    location = /turnout/" + layout.app + "/weight {\n        alias " +
         (fs::path(weight_link(layout.dir)) / "weight").string() +
         ";\n        default_type text/plain;\n    }\n";
}

std::string http_text(const FlagLayout& layout, const std::string& generation) {
  std::string text = "# Written by turnout for app " + layout.app +
                     " (deploy.proxy.nginx, mode flag); rewritten when the slots' ports change.\n"
                     "# Include it in nginx's http block; do not edit it.\n";
  for (const Slot slot : kSlots) {
    const int port = slot == Slot::blue ? layout.blue : layout.green;
    text += "upstream " + upstream(layout, slot) + " {\n    server 127.0.0.1:" + std::to_string(port) +
            ";\n    keepalive " + std::to_string(kKeepalive) + ";\n    keepalive_timeout " +
            std::to_string(kKeepaliveTimeout.count()) + "s;\n}\n";
  }
  if (layout.feed) {
    text +=
        "# Each request of the app goes to turnout's traffic feed as one syslog datagram (loopback UDP:\n"
        "# nginx never waits on turnout). The key marks the lines as this include's.\n" +
        feed_log_format(layout.app, layout.feed->key);
  }
  if (layout.canary) text += split_text(layout);
  return text +
         "# turnout asks nginx here which slot a request goes to (loopback only).\n"
         "server {\n    listen 127.0.0.1:" +
         std::to_string(layout.check_port) +
         ";\n    access_log off;\n    open_file_cache off;\n    location = /turnout/" + layout.app + " {\n" +
         selector(layout, "        ") +
         "        default_type text/plain;\n        return 200 \"$turnout_slot " + generation +
         " $pid\\n\";\n    }\n" + weight_check(layout) + "    location / { return 404; }\n}\n";
}

// The feed's access_log in the location. nginx uses the access_log lines of the innermost level
// that has any, so the site's own log (set at server or http level) no longer sees these
// requests: the comment says how to keep it.
std::string feed_lines(const FlagLayout& layout) {
  if (!layout.feed) return "";
  return "# Each request to turnout's traffic feed (see http.conf). To keep logging this location to a file\n"
         "# as well, put your own access_log line beside the include: nginx then writes to both.\n" +
         feed_access_log(layout.app, layout.feed->port);
}

// http.conf holds the feed's key when the feed is on: readable by its owner and group (nginx's
// master reads its configuration as root), not by every local user who could forge lines with it.
mode_t include_mode(const std::string& text) {
  return text.find("log_format ") != std::string::npos ? 0640 : 0644;
}

// The canary's lines of the location: a request whose bucket the weight folder holds goes to that
// folder's slot; a first visit gets the sticky cookie.
std::string weight_lines(const FlagLayout& layout) {
  if (!layout.canary) return "";
  const std::string bucket = "$turnout_" + nginx_name(layout.app) + "_bucket";
  std::string text =
      "# A canary (weights/current beside this file) takes the requests whose bucket it holds.\n";
  for (const Slot slot : kSlots) {
    text += "if (-f \"" + (fs::path(weight_link(layout.dir)) / to_string(slot)).string() + "/" + bucket +
            "\") { set $turnout_slot " + to_string(slot) + "; }\n";
  }
  if (*layout.canary == pipeline::Sticky::cookie) {
    text +=
        "# The cookie that keeps a client on its version; it replaces add_header lines of the server\n"
        "# level here (nginx's rule): repeat those beside the include.\n"
        "add_header Set-Cookie $turnout_" +
        nginx_name(layout.app) + "_cookie always;\n";
  }
  return text;
}

std::string location_text(const FlagLayout& layout) {
  return "# Written by turnout for app " + layout.app +
         ": include it inside the site's `location` (which then has no proxy_pass or open_file_cache of\n"
         "# its own). green.live beside this file sends requests to the green slot, its absence to blue;\n"
         "# open_file_cache off makes every request see it at once.\n"
         "open_file_cache off;\n" +
         selector(layout, "") + weight_lines(layout) + "proxy_pass http://turnout_" + layout.app +
         "_$turnout_slot;\n"
         "proxy_http_version 1.1;\n"
         "proxy_set_header Connection \"\";\n" +
         feed_lines(layout);
}

std::optional<std::string> read_if_there(const std::string& path) {
  auto content = util::read_whole_file(path);
  if (!content) return std::nullopt;
  return std::move(content).value();
}

bool exists(const std::string& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

// One question to nginx's check server: its status and the first line of its answer, or why none.
Result<std::pair<int, std::string>> ask_check_server(const FlagLayout& layout, const std::string& path) {
  util::ClientRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(layout.check_port) + path;
  request.headers.emplace_back("Connection", "close");
  request.timeout = kCheckTimeout;
  auto reply = util::send_request(request);
  if (!reply) return reply.error();
  const std::string& body = reply.value().body;
  return std::pair{reply.value().status, body.substr(0, body.find('\n'))};
}

// Which slot nginx's check server says a request goes to: its whole answer ("green 1a2b3c4d"),
// or why none.
Result<std::string> ask_nginx(const FlagLayout& layout) {
  auto answer = ask_check_server(layout, "/turnout/" + layout.app);
  if (!answer) return answer.error();
  if (answer.value().first != 200)
    return fail("HTTP " + std::to_string(answer.value().first) + " (not turnout's check location)");
  return answer.value().second;
}

// The weight nginx's check server reports: "green 10", or "" when it has none (404).
Result<std::string> ask_weight(const FlagLayout& layout) {
  auto answer = ask_check_server(layout, "/turnout/" + layout.app + "/weight");
  if (!answer) return answer.error();
  if (answer.value().first == 404) return std::string();
  if (answer.value().first != 200)
    return fail("HTTP " + std::to_string(answer.value().first) + " (not turnout's check location)");
  return answer.value().second;
}

// The text the weight file holds, and the check server answers.
std::string weight_text(TrafficWeight weight) {
  return std::string(to_string(weight.slot)) + " " + std::to_string(weight.percent);
}

// Makes weights/SLOT-W (the bucket files 0..W-1 under SLOT/, and `weight`) unless it is there:
// built under a temporary name and renamed into place, so a link never points at half of one.
Status make_weight_folder(const std::string& dir, TrafficWeight weight) {
  const fs::path weights = weights_dir(dir);
  const fs::path folder = weights / weight_name(weight);
  std::error_code error;
  if (fs::is_directory(folder / to_string(weight.slot), error)) return Ok{};
  const fs::path building = weights / ("." + weight_name(weight) + "." + std::to_string(::getpid()));
  fs::remove_all(building, error);
  fs::create_directories(building / to_string(weight.slot), error);
  if (error) return fail("cannot create " + building.string() + ": " + error.message());
  // Empty files that only need to exist: the folder's rename below is what makes them count.
  for (int bucket = 0; bucket < weight.percent; ++bucket) {
    const auto file = (building / to_string(weight.slot) / std::to_string(bucket)).string();
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail("cannot create " + file + ": " + std::strerror(errno));
    ::close(fd);
  }
  if (auto made =
          util::write_file_atomically((building / "weight").string(), weight_text(weight) + "\n", 0644);
      !made)
    return made.error();
  // nginx's workers (another user) follow the link into these on every request.
  fs::permissions(
      weights,
      fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec,
      fs::perm_options::add, error);
  for (const auto& path : {building, building / to_string(weight.slot)}) {
    fs::permissions(path,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    error);
  }
  if (::rename(building.c_str(), folder.c_str()) != 0) {
    const int why = errno;
    fs::remove_all(building, error);
    // Another deploy's process made it meanwhile: the same content.
    if (why != EEXIST && why != ENOTEMPTY)
      return fail("cannot rename " + building.string() + " to " + folder.string() + ": " +
                  std::strerror(why));
  }
  return Ok{};
}

// The link weights/current made to point at `target` (a folder name beside it) in one rename,
// or removed when `target` is empty.
Status point_weight_link(const std::string& dir, const std::string& target) {
  const std::string link = weight_link(dir);
  if (target.empty()) {
    if (::unlink(link.c_str()) == 0 || errno == ENOENT) return Ok{};
    return fail("cannot remove " + link + ": " + std::strerror(errno));
  }
  const std::string fresh =
      (fs::path(weights_dir(dir)) / (".current." + std::to_string(::getpid()))).string();
  ::unlink(fresh.c_str());
  if (::symlink(target.c_str(), fresh.c_str()) != 0)
    return fail("cannot create the link " + fresh + ": " + std::strerror(errno));
  if (::rename(fresh.c_str(), link.c_str()) != 0) {
    const int why = errno;
    ::unlink(fresh.c_str());
    return fail("cannot rename " + fresh + " to " + link + ": " + std::strerror(why));
  }
  return Ok{};
}

// What weights/current points at ("green-10"), "" when there is no link.
std::string weight_link_target(const std::string& dir) {
  std::error_code error;
  const auto target = fs::read_symlink(weight_link(dir), error);
  return error ? std::string() : target.string();
}

/// The flag backend of one app.
class FlagSwitch final : public ProxySwitch {
 public:
  FlagSwitch(const pipeline::Deploy& deploy, ProxyEnv env)
      : config_(*deploy.proxy.nginx), env_(std::move(env)) {
    layout_.app = deploy.app;
    layout_.dir =
        config_.dir.empty() ? (fs::path(env_.data_dir) / "nginx" / deploy.app).string() : config_.dir;
    layout_.blue = deploy.slots.blue;
    layout_.green = deploy.slots.green;
    if (deploy.canary) layout_.canary = deploy.canary->sticky;
  }

  Status switch_to(int port, Slot slot) override {
    if (port != port_of(slot))
      return fail("cannot switch app " + layout_.app + " to port " + std::to_string(port) + ": slot " +
                  to_string(slot) + " has port " + std::to_string(port_of(slot)));
    if (auto chosen = choose_check_port(); !chosen) return chosen.error();
    if (auto fed = choose_feed(); !fed) return fed.error();
    const Files before = read_files();
    const std::string http = flag_http_include(layout_);
    const std::string location = flag_location_include(layout_);
    const bool changed = before.http != http || before.location != location;
    std::optional<std::uint64_t> reloaded_at;  // in ticks: the workers older than this are retiring
    std::error_code error;
    fs::create_directories(layout_.dir, error);
    if (error) return fail("cannot create " + layout_.dir + ": " + error.message());
    // nginx's workers (another user) test the flag on every request: they must pass the folder,
    // whatever umask made it. Best effort: a folder of another owner is as that owner set it.
    fs::permissions(
        layout_.dir,
        fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec,
        fs::perm_options::add, error);
    if (auto set = set_flag(slot); !set) return set.error();
    // A switch sends all the traffic to one slot: a canary's split ends with it.
    if (auto unsplit = point_weight_link(layout_.dir, ""); !unsplit) return unsplit.error();
    if (changed) {
      reloaded_at = next_tick();
      if (auto applied = apply_includes(before, http, location, slot); !applied) return applied.error();
    }
    if (auto routed = wait_for_nginx(slot, reloaded_at); !routed) {
      return fail(routed.error().message + "; " + undo(before, changed, slot));
    }
    return Ok{};
  }

  Result<std::optional<int>> current() const override {
    if (!exists(location_file(layout_.dir))) return std::optional<int>();
    return std::optional<int>(port_of(exists(flag_file(layout_.dir)) ? Slot::green : Slot::blue));
  }

  std::string describe() const override { return "nginx (" + layout_.dir + ", no reload per switch)"; }

  Status set_weight(Slot slot, int percent) override {
    if (!layout_.canary)
      return fail("the nginx includes of app " + layout_.app +
                  " split no traffic: its deploy is not `strategy: canary`");
    if (percent < 0 || percent > 100)
      return fail("a weight is 0 to 100%, not " + std::to_string(percent) + "%");
    if (auto chosen = choose_check_port(); !chosen) return chosen.error();
    if (auto fed = choose_feed(); !fed) return fed.error();
    if (read_if_there(http_file(layout_.dir)) != flag_http_include(layout_))
      return fail(http_file(layout_.dir) +
                  " does not split traffic yet: a weight follows a switch, which writes it");
    const std::string before = weight_link_target(layout_.dir);
    const TrafficWeight weight{slot, percent};
    std::string target;
    if (percent > 0) {
      if (auto made = make_weight_folder(layout_.dir, weight); !made) return made.error();
      target = weight_name(weight);
    }
    if (auto pointed = point_weight_link(layout_.dir, target); !pointed) return pointed.error();
    const std::string wanted = percent == 0 ? "" : weight_text(weight);
    if (auto seen = wait_for_weight(wanted); !seen) {
      // Taking a canary's share away is never undone: it is what a failed step asks for.
      if (percent == 0) return seen.error();
      const auto back = point_weight_link(layout_.dir, before);
      return fail(seen.error().message +
                  (back ? "; the weight is back at " + (before.empty() ? std::string("none") : before)
                        : "; putting the weight back failed: " + back.error().message));
    }
    return Ok{};
  }

  std::optional<TrafficWeight> weight() const override {
    return parse_weight_name(weight_link_target(layout_.dir));
  }

 private:
  struct Files {
    std::optional<std::string> http;
    std::optional<std::string> location;
    bool green = false;
  };

  int port_of(Slot slot) const { return slot == Slot::blue ? layout_.blue : layout_.green; }

  Files read_files() const {
    return {read_if_there(http_file(layout_.dir)), read_if_there(location_file(layout_.dir)),
            exists(flag_file(layout_.dir))};
  }

  // The configured port, else the one the include already names, else a free one from now on.
  Status choose_check_port() {
    if (config_.check_port != 0) {
      layout_.check_port = config_.check_port;
      return Ok{};
    }
    if (const auto http = read_if_there(http_file(layout_.dir))) {
      if (const auto kept = check_port_of(*http)) {
        layout_.check_port = *kept;
        return Ok{};
      }
    }
    const auto port = util::free_loopback_port();
    if (!port) return port.error();
    layout_.check_port = port.value();
    return Ok{};
  }

  // The data folder's feed endpoint when the pipeline asks for the feed (nothing otherwise).
  Status choose_feed() {
    layout_.feed.reset();
    if (!config_.feed) return Ok{};
    auto endpoint = feed_endpoint(env_.data_dir);
    if (!endpoint) return fail("the traffic feed (`feed: true`): " + endpoint.error().message);
    layout_.feed = std::move(endpoint.value());
    return Ok{};
  }

  // One atomic file operation: green.live renamed into place, or unlinked for blue.
  Status set_flag(Slot slot) const {
    const auto flag = flag_file(layout_.dir);
    if (slot == Slot::green) return util::write_file_atomically(flag, "", 0644);
    if (::unlink(flag.c_str()) == 0 || errno == ENOENT) return Ok{};
    return fail("cannot remove " + flag + ": " + std::strerror(errno));
  }

  Status run(const std::string& what, const std::string& command) const {
    return run_checked(what, {command, env_.env, env_.cwd, kCommandTimeout});
  }

  Status apply_includes(const Files& before, const std::string& http, const std::string& location,
                        Slot slot) {
    for (const auto& [path, text] :
         {std::pair{http_file(layout_.dir), http}, {location_file(layout_.dir), location}}) {
      if (auto written = util::write_file_atomically(path, text, include_mode(text)); !written)
        return fail(written.error().message + "; " + restore(before, slot));
    }
    if (auto tested = run("nginx test", config_.test); !tested)
      return fail(tested.error().message + "; " + restore(before, slot));
    if (auto reloaded = run("nginx reload", config_.reload); !reloaded)
      return fail(reloaded.error().message + "; " + restore(before, slot) + reload_again());
    return Ok{};
  }

  // Puts one file back as it was (removed when there was none); what went wrong, or "".
  static std::string put_back(const std::string& path, const std::optional<std::string>& text) {
    if (text) {
      const auto written = util::write_file_atomically(path, *text, include_mode(*text));
      return written ? "" : written.error().message;
    }
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) return "";
    return "cannot remove " + path + ": " + std::strerror(errno);
  }

  // The includes and the flag as they were before this switch; says what it did.
  std::string restore(const Files& before, Slot slot) const {
    std::string problems;
    for (const auto& [path, text] :
         {std::pair{http_file(layout_.dir), before.http}, {location_file(layout_.dir), before.location}}) {
      const auto problem = put_back(path, text);
      if (!problem.empty()) problems += "; " + problem;
    }
    if (before.green != (slot == Slot::green)) {
      if (auto back = set_flag(before.green ? Slot::green : Slot::blue); !back)
        problems += "; " + back.error().message;
    }
    if (!problems.empty()) return "putting the previous includes back failed" + problems;
    return "put the previous includes and flag of " + layout_.dir + " back";
  }

  std::string reload_again() const {
    const auto reloaded = run("reloading it", config_.reload);
    return reloaded ? " and reloaded nginx with them" : ", but " + reloaded.error().message;
  }

  std::string undo(const Files& before, bool changed, Slot slot) const {
    if (!changed) {
      if (auto back = set_flag(before.green ? Slot::green : Slot::blue); !back)
        return "putting the flag back failed: " + back.error().message;
      return std::string("the flag is back on slot ") + (before.green ? "green" : "blue");
    }
    return restore(before, slot) + reload_again();
  }

  // The next clock tick, once it has begun: every process started before this call has a start
  // time below it, every one started after it (the reload's new workers) one at or above it.
  static std::uint64_t next_tick() {
    const std::uint64_t now = util::ticks_since_boot();
    while (util::ticks_since_boot() <= now) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return now + 1;
  }

  // Asks nginx's check server until it answers with `slot` and the include's generation, or the
  // deadline passes. After a reload (`reloaded_at`), until also the workers older than it have
  // stopped accepting connections: nginx's title says "worker process is shutting down" once a
  // retiring worker closed its listening sockets, and a new connection can then reach only the
  // new workers.
  Status wait_for_nginx(Slot slot, std::optional<std::uint64_t> reloaded_at) const {
    const std::string wanted = std::string(to_string(slot)) + " " + flag_generation(layout_) + " ";
    const auto deadline = Clock::now() + kCutoverDeadline;
    std::string last;
    for (int in_a_row = 0;;) {
      const auto answer = ask_nginx(layout_);
      if (answer && answer.value().starts_with(wanted)) {
        if (!reloaded_at) return Ok{};
        const pid_t worker = std::atoi(answer.value().c_str() + wanted.size());
        const auto retired = old_workers_retired(worker, *reloaded_at);
        if (retired ? *retired : ++in_a_row >= kAnswersAfterReload) return Ok{};
        if (retired) last = "answered, but workers of nginx from before the reload still accept connections";
      } else {
        in_a_row = 0;
        last = answer ? "answered `" + answer.value() + "`" : "did not answer: " + answer.error().message;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(kCheckInterval);
    }
    return fail("nginx does not route app " + layout_.app + " to slot " + to_string(slot) + " " +
                std::to_string(std::chrono::seconds(kCutoverDeadline).count()) +
                " s after the switch: its check server http://127.0.0.1:" +
                std::to_string(layout_.check_port) + "/turnout/" + layout_.app + " " + last + " (wanted `" +
                wanted + "PID`); is " + http_file(layout_.dir) +
                " included in nginx's http block, and can nginx's workers read " + layout_.dir + "?");
  }

  // Asks nginx's check server until it reports `wanted` as the weight ("" for none).
  Status wait_for_weight(const std::string& wanted) const {
    const auto deadline = Clock::now() + kCutoverDeadline;
    std::string last;
    for (;;) {
      const auto answer = ask_weight(layout_);
      if (answer && answer.value() == wanted) return Ok{};
      last = answer ? "answered `" + answer.value() + "`" : "did not answer: " + answer.error().message;
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(kCheckInterval);
    }
    return fail(
        "nginx does not report app " + layout_.app + "'s weight as `" + (wanted.empty() ? "none" : wanted) +
        "` " + std::to_string(std::chrono::seconds(kCutoverDeadline).count()) +
        " s after the change: its check server http://127.0.0.1:" + std::to_string(layout_.check_port) +
        "/turnout/" + layout_.app + "/weight " + last + "; can nginx's workers read " +
        weights_dir(layout_.dir) + "?");
  }

  // Whether every worker of `worker`'s master that started before `since` is retiring (or gone);
  // nullopt when `worker` is not an nginx worker this process can see.
  static std::optional<bool> old_workers_retired(pid_t worker, std::uint64_t since) {
    if (util::command_line(worker).find("nginx: worker process") == std::string::npos) return std::nullopt;
    const auto master = util::parent_of(worker);
    if (!master) return std::nullopt;
    for (const pid_t child : util::children_of(*master)) {
      const std::string title = util::command_line(child);
      if (title.find("worker process") == std::string::npos ||
          title.find("shutting down") != std::string::npos)
        continue;
      const auto identity = util::identify(child);
      if (identity && identity->start_time < since) return false;
    }
    return true;
  }

  pipeline::NginxProxy config_;
  ProxyEnv env_;
  FlagLayout layout_;
};

}  // namespace

std::string nginx_name(const std::string& app) {
  std::string name;
  for (const char c : app) {
    if (c == '_') {
      name += "__";
    } else if (c == '-') {
      name += "_d";
    } else if (c == '.') {
      name += "_p";
    } else {
      name += c;
    }
  }
  return name;
}

std::string canary_cookie(const std::string& app) { return "turnout_" + nginx_name(app); }

std::string flag_generation(const FlagLayout& layout) {
  // FNV-1a over both includes without the stamp: any change of port, folder or format changes it.
  std::uint32_t hash = 2166136261u;
  for (const char c : http_text(layout, "") + location_text(layout)) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  char text[9];
  std::snprintf(text, sizeof text, "%08x", hash);
  return text;
}

std::string flag_http_include(const FlagLayout& layout) { return http_text(layout, flag_generation(layout)); }

std::string flag_location_include(const FlagLayout& layout) { return location_text(layout); }

std::optional<int> check_port_of(const std::string& http_include) {
  static const std::regex kListen(R"(\n\s*listen 127\.0\.0\.1:(\d{1,5});)");
  std::smatch match;
  if (!std::regex_search(http_include, match, kListen)) return std::nullopt;
  const int port = std::stoi(match[1].str());
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

std::unique_ptr<ProxySwitch> make_flag_switch(const pipeline::Deploy& deploy, ProxyEnv env) {
  return std::make_unique<FlagSwitch>(deploy, std::move(env));
}

}  // namespace turnout::steps::deploy
