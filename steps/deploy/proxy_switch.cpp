#include "steps/deploy/proxy_switch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "steps/cancel_token.h"
#include "steps/child_process.h"
#include "steps/deploy/nginx_flag.h"
#include "steps/deploy/short_command.h"
#include "steps/secret_masker.h"
#include "steps/shell_step.h"
#include "util/atomic_file.h"
#include "util/read_file.h"
#include "util/strings.h"

namespace turnout::steps::deploy {

namespace {

using util::Error;
using util::fail;
using util::Ok;
using util::Result;
using util::Status;

// A proxy command that hangs (a reload waiting on a lock, a load balancer's API not answering)
// must not hold the deploy forever; every proxy operation is quick when it works.
constexpr util::Duration kCommandTimeout = std::chrono::seconds(30);
constexpr mode_t kNewFileMode = 0644;  // nginx's master and workers must read it

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

/// `env` with PORT and TURNOUT_SLOT set to these values (replacing any the caller had).
std::vector<std::string> with_slot(std::vector<std::string> env, int port, Slot slot) {
  std::erase_if(env, [](const std::string& entry) {
    return entry.starts_with("PORT=") || entry.starts_with("TURNOUT_SLOT=");
  });
  env.push_back("PORT=" + std::to_string(port));
  env.push_back(std::string("TURNOUT_SLOT=") + to_string(slot));
  return env;
}

/// Runs a proxy command (fails only when it cannot start).
Result<CommandRun> run_proxy_command(const std::string& command, std::vector<std::string> env,
                                     const std::string& cwd) {
  return run_short_command({command, std::move(env), cwd, kCommandTimeout});
}

/// Runs a proxy command and fails unless it exits 0 (see deploy::run_checked).
Status run_checked(const std::string& what, const std::string& command, std::vector<std::string> env,
                   const std::string& cwd) {
  return deploy::run_checked(what, {command, std::move(env), cwd, kCommandTimeout});
}

bool valid_port(int port) { return port >= 1 && port <= 65535; }

/// Parses a whole string as a TCP port (1..65535).
std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || !valid_port(port)) return std::nullopt;
  return port;
}

Error out_of_range(int port) {
  return fail("cannot switch the proxy to port " + std::to_string(port) + ": a port is 1 to 65535",
              util::ErrorKind::invalid);
}

/// The port of one line of an upstream file: `server 127.0.0.1:PORT;` (nginx's spacing rules,
/// a trailing comment allowed). nullopt when the line is not of that form.
std::optional<int> server_line_port(std::string_view line) {
  std::istringstream words(std::string(line.substr(0, line.find('#'))));
  std::string keyword, address, rest;
  if (!(words >> keyword) || keyword != "server" || !(words >> address)) return std::nullopt;
  std::getline(words, rest);
  if (address.ends_with(';')) {
    address.pop_back();
  } else if (trim(rest) == ";") {
    rest.clear();
  } else {
    return std::nullopt;
  }
  if (!trim(rest).empty()) return std::nullopt;
  for (const std::string_view host : {"127.0.0.1:", "localhost:", "[::1]:"}) {
    if (address.starts_with(host)) return parse_port(std::string_view(address).substr(host.size()));
  }
  return std::nullopt;
}

/// The port an upstream file's content points at: nullopt when it has no server line; an
/// error for any other line, or for server lines naming different ports.
Result<std::optional<int>> parse_upstream(const std::string& file, const std::string& content) {
  std::optional<int> port;
  std::istringstream lines(content);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto found = server_line_port(text);
    const std::string where = file + ":" + std::to_string(number) + ": ";
    if (!found) {
      return fail(where + "expected `server 127.0.0.1:PORT;`, found `" + clipped_line(text) +
                  "`; write that line by hand or switch again");
    }
    if (port && *port != *found) {
      return fail(where + "a second server line, for port " + std::to_string(*found) + " besides " +
                  std::to_string(*port) + "; turnout writes one, switch again to fix it");
    }
    port = found;
  }
  return port;
}

/// The nginx backend: owns `upstream_file`, whose whole content is the live server line.
class NginxSwitch final : public ProxySwitch {
 public:
  NginxSwitch(pipeline::NginxProxy config, ProxyEnv env) : config_(std::move(config)), env_(std::move(env)) {}

  Status switch_to(int port, Slot slot) override {
    if (!valid_port(port)) return out_of_range(port);
    const auto previous = read_upstream();
    if (!previous) return previous.error();
    const std::string content = "server 127.0.0.1:" + std::to_string(port) + ";\n";
    const auto written = util::write_file_atomically(config_.upstream_file, content, mode_of_previous());
    if (!written) return written.error();

    const auto env = with_slot(env_.env, port, slot);
    if (const auto tested = run_checked("nginx test", config_.test, env, env_.cwd); !tested) {
      return fail(tested.error().message + "; " + restore(previous.value()));
    }
    if (const auto reloaded = run_checked("nginx reload", config_.reload, env, env_.cwd); !reloaded) {
      return fail(reloaded.error().message + "; " + restore_and_reload(previous.value(), env));
    }
    return Ok{};
  }

  Result<std::optional<int>> current() const override {
    const auto content = read_upstream();
    if (!content) return content.error();
    if (!content.value()) return std::optional<int>();
    return parse_upstream(config_.upstream_file, *content.value());
  }

  std::string describe() const override { return "nginx (" + config_.upstream_file + ")"; }

 private:
  /// The file's content, nullopt when there is none.
  Result<std::optional<std::string>> read_upstream() const {
    auto content = util::read_whole_file(config_.upstream_file);
    if (content) return std::optional<std::string>(std::move(content).value());
    if (content.error().kind == util::ErrorKind::not_found) return std::optional<std::string>();
    return fail("cannot read the upstream file " + config_.upstream_file + ": " + content.error().message);
  }

  // An operator's tighter (or looser) permissions outlive each rewrite.
  mode_t mode_of_previous() const {
    struct stat info {};
    if (::stat(config_.upstream_file.c_str(), &info) != 0) return kNewFileMode;
    return info.st_mode & 07777;
  }

  /// Puts `previous` back (or removes the file when there was none); says what it did.
  std::string restore(const std::optional<std::string>& previous) {
    if (!previous) {
      if (::unlink(config_.upstream_file.c_str()) == 0 || errno == ENOENT) {
        return "removed " + config_.upstream_file + " again (there was none before)";
      }
      return "could not remove " + config_.upstream_file +
             " (there was none before): " + std::strerror(errno) + "; remove it by hand";
    }
    const auto restored = util::write_file_atomically(config_.upstream_file, *previous, mode_of_previous());
    if (!restored) return "could not put the previous upstream file back: " + restored.error().message;
    return "put the previous " + config_.upstream_file + " back";
  }

  /// After a failed reload: restore, then reload again, since nginx may have half-applied it.
  std::string restore_and_reload(const std::optional<std::string>& previous,
                                 const std::vector<std::string>& env) {
    const std::string restored = restore(previous);
    const auto reloaded = run_checked("reloading it", config_.reload, env, env_.cwd);
    if (!reloaded) return restored + ", but " + reloaded.error().message;
    return restored + " and reloaded nginx with it";
  }

  pipeline::NginxProxy config_;
  ProxyEnv env_;
};

/// The command backend: a user's `switch` and `current` commands.
class CommandSwitch final : public ProxySwitch {
 public:
  CommandSwitch(pipeline::CommandProxy config, ProxyEnv env)
      : config_(std::move(config)), env_(std::move(env)) {}

  Status switch_to(int port, Slot slot) override {
    if (!valid_port(port)) return out_of_range(port);
    return run_checked("proxy switch command", config_.switch_command, with_slot(env_.env, port, slot),
                       env_.cwd);
  }

  Result<std::optional<int>> current() const override {
    const auto run = run_proxy_command(config_.current_command, env_.env, env_.cwd);
    const std::string label = "proxy current command (`" + one_line(config_.current_command) + "`)";
    if (!run) return fail(label + " could not start: " + run.error().message);
    if (!run.value().succeeded) return fail(label + " failed" + ending_and_output(run.value()));
    const std::string printed = trim(run.value().out);
    if (printed.empty()) return std::optional<int>();
    if (const auto port = parse_port(printed)) return std::optional<int>(*port);
    return fail(label + " printed `" + clipped_line(one_line(printed)) +
                "`, not a port (it must print the live port, or nothing when there is none)");
  }

  std::string describe() const override { return "command"; }

 private:
  pipeline::CommandProxy config_;
  ProxyEnv env_;
};

}  // namespace

Status ProxySwitch::set_weight(Slot, int) {
  return fail(describe() + " cannot split traffic between slots: a canary needs nginx in mode flag");
}

std::unique_ptr<ProxySwitch> make_proxy_switch(const pipeline::Deploy& deploy, ProxyEnv env) {
  const pipeline::Proxy& config = deploy.proxy;
  if (config.nginx && config.nginx->mode == pipeline::NginxMode::flag)
    return make_flag_switch(deploy, std::move(env));
  if (config.nginx) return std::make_unique<NginxSwitch>(*config.nginx, std::move(env));
  if (config.command) return std::make_unique<CommandSwitch>(*config.command, std::move(env));
  // The loader refuses a proxy without a backend, so this is a bug in the caller.
  throw std::invalid_argument("make_proxy_switch: the proxy has neither `nginx` nor `command`");
}

}  // namespace turnout::steps::deploy
