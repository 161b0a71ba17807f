#pragma once
// The pipeline model: plain data, loaded from `.turnout.yml` by pipeline/loader.h.
// Nothing here runs anything; steps/ does.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/resources.h"
#include "util/duration.h"

namespace turnout::pipeline {

using util::Duration;

/// Environment variables in name order; later layers override earlier ones when merged.
using EnvMap = std::map<std::string, std::string>;

/// Where a model element was written in the pipeline file, 1-based (0 = unknown).
struct Position {
  int line = 0;    ///< 1-based line
  int column = 0;  ///< 1-based column
};

/// `when:` of a stage: conditions under which it runs.
struct When {
  std::vector<std::string> branches;  ///< glob patterns; empty = any branch
};

/// One shell step: `bash --noprofile --norc -eo pipefail -c run`.
struct Step {
  std::string name;                 ///< given, or derived from the first line of `run`
  std::string run;                  ///< the script
  EnvMap env;                       ///< step-level env (highest precedence)
  std::optional<Duration> timeout;  ///< none = no limit
  std::string working_directory;    ///< relative to the workspace; "" = the workspace
  bool continue_on_error = false;   ///< a failure is reported but does not fail the stage
  Resources resources;              ///< `resources:` of the step (over the stage's)
  Position position;                ///< of the step's mapping
};

/// How a health probe reaches the new slot.
enum class ProbeKind { http, tcp, command };

/// `health:` of a deploy.
struct HealthCheck {
  ProbeKind kind = ProbeKind::http;    ///< http when `path` is used, `tcp: true`, or `command`
  std::string path = "/";              ///< http: the request path
  std::optional<int> status;           ///< http: expected status; none = any 2xx
  std::string command;                 ///< command: exit 0 = healthy
  Duration interval = Duration(1000);  ///< between attempts
  Duration timeout = Duration(2000);   ///< per attempt
  int attempts = 30;                   ///< before giving up
};

/// How the nginx backend moves traffic.
enum class NginxMode {
  flag,    ///< both slots are upstreams; a flag file picks one per request; no reload per switch
  reload,  ///< `upstream_file` holds the live slot; each switch tests and reloads nginx
};

/// `proxy.nginx:` turnout owns its include files and reloads nginx only after testing them.
struct NginxProxy {
  NginxMode mode = NginxMode::flag;        ///< `mode:`, flag unless `reload` is asked for
  std::string upstream_file;               ///< reload: include file holding the live `server` line
  std::string dir;                         ///< flag: folder of the includes and flag; "" = DATA/nginx/APP
  int check_port = 0;                      ///< flag: nginx's loopback check port; 0 = chosen once, kept
  bool feed = false;                       ///< flag: nginx sends each request to turnout's traffic feed
  std::string test = "nginx -t";           ///< must succeed before reload
  std::string reload = "nginx -s reload";  ///< applies the new file
};

/// `proxy.command:` a user's commands for any other proxy or load balancer.
struct CommandProxy {
  std::string switch_command;   ///< `switch:` gets PORT and TURNOUT_SLOT
  std::string current_command;  ///< `current:` prints the live port
};

/// `proxy:` exactly one backend is set.
struct Proxy {
  std::optional<NginxProxy> nginx;      ///< nginx backend
  std::optional<CommandProxy> command;  ///< command backend
};

/// The two slots of a blue-green app.
struct Slots {
  int blue = 0;   ///< port of the blue slot
  int green = 0;  ///< port of the green slot
};

/// How a canary's requests are split so that a client stays on one version.
enum class Sticky {
  cookie,  ///< a cookie turnout_APP (set by nginx on a first visit) picks the bucket
  ip,      ///< the client's address picks it
  none,    ///< each request on its own
};

/// One step of a canary: the canary slot's share of traffic, held for a while.
struct CanaryStep {
  int weight = 0;                   ///< percent, 1..100
  Duration hold = Duration(60000);  ///< how long traffic stays at `weight` before the analysis
  Position position;                ///< of the step's mapping
};

/// `analysis:` of a canary: what the canary's traffic must look like against the live slot's.
struct CanaryAnalysis {
  std::optional<double> max_error_rate;     ///< the canary's 5xx share may not exceed it (0..1)
  std::optional<double> max_latency_ratio;  ///< nor its p95 latency this times the live slot's
  std::optional<int> min_requests;          ///< fewer canary requests than this fail the step
  std::optional<Duration> window;           ///< the end of each hold judged; none = the whole hold
};

/// `strategy: canary`: the weights in turn, then 100%.
struct Canary {
  std::vector<CanaryStep> steps;   ///< increasing weights
  CanaryAnalysis analysis;         ///< none of its thresholds: probes only
  Sticky sticky = Sticky::cookie;  ///< how a client keeps its version
};

/// The spelling of a Sticky value in the pipeline file.
const char* to_string(Sticky sticky);

/// `verify: {max_error_rate}`: after the switch, the new slot's real traffic (the nginx traffic
/// feed's) is judged besides the probes.
struct TrafficCheck {
  double max_error_rate = 0;  ///< the share of 5xx (0..1) since the switch above which traffic goes back
  int min_requests = 20;      ///< requests since the switch before the share is judged
};

/// `deploy:` of a stage (strategy blue-green, or canary).
struct Deploy {
  std::string strategy = "blue-green";  ///< blue-green, or canary (then `canary` is set)
  std::string app;                      ///< name, used for <data>/apps/<app>
  Slots slots;                          ///< ports
  std::string start;                    ///< starts the slot (long-running unless `stop` is given)
  std::string stop;                     ///< stops a slot run by an outside supervisor; "" = agent-supervised
  HealthCheck health;                   ///< when the new slot counts as ready
  Proxy proxy;                          ///< how traffic is switched
  Duration drain = Duration(5000);      ///< wait before stopping the old slot
  Duration verify = Duration(10000);    ///< keep probing the new slot after the switch
  std::optional<TrafficCheck> verify_traffic;  ///< `verify:` as a mapping with max_error_rate
  bool keep_previous = true;                   ///< keep the old slot running for an instant rollback
  int keep_releases = 5;                       ///< release directories kept, never the live or previous
  std::optional<Canary> canary;                ///< `strategy: canary`'s steps, analysis and stickiness
  Position position;                           ///< of the deploy mapping
};

/// One stage: either shell steps or a deploy.
struct Stage {
  std::string name;                ///< unique in the pipeline
  std::vector<Step> steps;         ///< empty when `deploy` is set
  std::optional<Deploy> deploy;    ///< the blue-green deploy of this stage
  EnvMap env;                      ///< stage-level env
  When when;                       ///< run conditions
  bool continue_on_error = false;  ///< a failure does not stop the run
  Resources resources;             ///< `resources:` of the stage's steps (over the pipeline's)
  Position position;               ///< of the stage's mapping
};

/// `concurrency:` what a newer push does to runs of the same branch.
enum class Concurrency { supersede, queue, cancel_in_progress };

/// The spelling of a Concurrency value in the pipeline file.
const char* to_string(Concurrency concurrency);
/// The Concurrency spelled `text` in a pipeline file; nullopt for anything else.
std::optional<Concurrency> parse_concurrency(std::string_view text);

/// A whole `.turnout.yml`, validated.
struct Pipeline {
  std::string file;                                  ///< the path it was loaded from, for messages
  std::string name;                                  ///< `name:`
  std::vector<std::string> branches;                 ///< `on.branches` (webhook mode); empty = any
  EnvMap env;                                        ///< pipeline-level env
  std::vector<std::string> secrets;                  ///< names of secrets to take from turnout's environment
  Concurrency concurrency = Concurrency::supersede;  ///< see Concurrency
  std::vector<Stage> stages;                         ///< in order
  Resources resources;                               ///< `resources:` of every step (over the defaults)
};

}  // namespace turnout::pipeline
