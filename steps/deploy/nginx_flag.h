#pragma once
// The nginx backend's default mode (ARCHITECTURE.md, "Reload-free switching"): per app, two
// generated includes in one folder and a flag file there. `http.conf` (http context) holds both
// slots as named upstreams with keep-alive, and a loopback-only check server; `location.conf`
// (inside the site's `location`) picks the slot per request by whether `green.live` exists. A
// switch is one atomic file operation (rename or unlink) that every worker sees on its next
// request; nginx is tested and reloaded only when an include itself changes (first deploy,
// changed ports, the feed turned on or off). A switch returns once nginx's own check server
// answers with the new slot. With `feed: true` the includes also send each request of the app
// to turnout's traffic feed (feed_line.h): a `log_format` in http.conf (then 0640: it holds the
// feed's key) and an `access_log syslog:` in location.conf.
//
// A canary's weights (`strategy: canary`): http.conf puts each request in one of 100 buckets by
// its sticky key (`split_clients` over a cookie turnout_APP that nginx sets on a first visit, the
// client's address, or the request's id); location.conf sends a request to the canary slot when
// `weights/current/SLOT/BUCKET` exists. `weights/current` is a symlink to a folder `SLOT-W`
// holding the files of buckets 0..W-1 and a file `weight` ("SLOT W"), which the check server
// serves through the same link: a weight change is one rename of the link (no reload), and it
// returns once nginx answers with the new weight. A switch removes the link: all traffic then
// goes where the flag says.

#include <memory>
#include <optional>
#include <string>

#include "pipeline/pipeline.h"
#include "steps/deploy/feed_endpoint.h"
#include "steps/deploy/proxy_switch.h"
#include "steps/deploy/slot.h"

namespace turnout::steps::deploy {

/// What the includes of one app are made of.
struct FlagLayout {
  std::string app;                           ///< the app's name (names its upstreams and check location)
  std::string dir;                           ///< folder of http.conf, location.conf and green.live
  int blue = 0;                              ///< the blue slot's port
  int green = 0;                             ///< the green slot's port
  int check_port = 0;                        ///< nginx's loopback check listener
  std::optional<FeedEndpoint> feed{};        ///< set: nginx sends each request of the app there
  std::optional<pipeline::Sticky> canary{};  ///< set: the includes split traffic by weight, by this key
};

/// The name `app` takes inside nginx's variables and the canary's cookie: letters and digits as
/// they are, `_` as `__`, `-` as `_d`, `.` as `_p` (nginx's variable names allow no other
/// character, and two apps never share one).
std::string nginx_name(const std::string& app);

/// The cookie that keeps a client on one version during a canary of `app` (`sticky: cookie`).
std::string canary_cookie(const std::string& app);

/// The http-context include: `upstream turnout_APP_blue/green` (keepalive) and a server on
/// 127.0.0.1:check_port whose `/turnout/APP` answers "SLOT GENERATION" as the selector decides
/// (and with a feed, its `log_format`).
std::string flag_http_include(const FlagLayout& layout);

/// The location-context include: the selector and `proxy_pass http://turnout_APP_$turnout_slot`
/// (and with a feed, its `access_log`).
std::string flag_location_include(const FlagLayout& layout);

/// A short stamp of the includes' content: the check server answers it, so that an answer from
/// a worker still running an older include is not taken for the new one.
std::string flag_generation(const FlagLayout& layout);

/// The check port an existing http.conf listens on (nullopt: no file, or no such line).
std::optional<int> check_port_of(const std::string& http_include);

/// The flag backend for `deploy` (whose proxy is nginx in mode flag); `data_dir` gives the
/// default folder DATA/nginx/APP.
std::unique_ptr<ProxySwitch> make_flag_switch(const pipeline::Deploy& deploy, ProxyEnv env);

}  // namespace turnout::steps::deploy
