#include "pipeline/loader.h"

#include <catch2/catch.hpp>

#include <string>

#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using turnout::pipeline::Concurrency;
using turnout::pipeline::Diagnostic;
using turnout::pipeline::load_file;
using turnout::pipeline::load_string;
using turnout::pipeline::LoadResult;
using turnout::pipeline::ProbeKind;
using turnout::util::Duration;

namespace {

const char kFile[] = ".turnout.yml";

LoadResult load(const std::string& yaml) { return load_string(yaml, kFile); }

// Every diagnostic on its own line, so a failing check shows what the loader said.
std::string describe(const LoadResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += error.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

// Loading `yaml` gives exactly one error, at line:column, whose message contains `text`.
void check_only_error(const std::string& yaml, int line, int column, const std::string& text) {
  const auto result = load(yaml);
  INFO(describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == kFile);
  CHECK(result.errors[0].line == line);
  CHECK(result.errors[0].column == column);
  CHECK_THAT(result.errors[0].message, Contains(text));
}

// Loading `yaml` gives, among others, an error at line:column whose message contains `text`.
void check_has_error(const std::string& yaml, int line, int column, const std::string& text) {
  const auto result = load(yaml);
  INFO(describe(result));
  bool found = false;
  for (const auto& error : result.errors) {
    found = found ||
            (error.line == line && error.column == column && error.message.find(text) != std::string::npos);
  }
  CHECK(found);
}

// The pipeline of DESIGN.md, "The pipeline file", as written there.
const char kDesignExample[] = R"(name: cafeteria
on:
  branches: [master, main]          # pushes to these trigger a run (webhook mode)
env:                                # for every step
  NODE_ENV: production
secrets: [NPM_TOKEN]                # names taken from the agent's environment/secret store, masked
concurrency: supersede              # supersede (default) | queue | cancel-in-progress
stages:
  - name: build
    steps:
      - name: install
        run: npm ci
      - run: npm run build
        timeout: 10m
  - name: test
    steps:
      - run: npm test
        env: { CI: "true" }
  - name: deploy
    when: { branches: [master] }
    deploy:
      strategy: blue-green
      app: cafeteria
      slots: { blue: 20201, green: 20202 }
      start: node dist/server.js --port "$PORT"   # long-running; the agent supervises it
      # stop: docker rm -f "app-$TURNOUT_SLOT"    # given: start/stop are commands for an
      #                                           # outside supervisor (docker, systemd)
      health: { path: /health, status: 200, interval: 1s, timeout: 2s, attempts: 30 }
      proxy:
        nginx:
          upstream_file: /etc/nginx/conf.d/cafeteria.upstream.conf
          reload: nginx -s reload
      drain: 5s                      # wait before stopping the old slot
      keep_previous: true            # keep it running for an instant rollback
      keep_releases: 5
)";

}  // namespace

TEST_CASE("loader reads the DESIGN.md example, every field", "[unit][pipeline]") {
  const auto result = load(kDesignExample);
  INFO(describe(result));
  REQUIRE(result.ok());
  const auto& pipeline = result.pipeline;
  CHECK(pipeline.file == kFile);
  CHECK(pipeline.name == "cafeteria");
  CHECK(pipeline.branches == std::vector<std::string>{"master", "main"});
  CHECK(pipeline.env == turnout::pipeline::EnvMap{{"NODE_ENV", "production"}});
  CHECK(pipeline.secrets == std::vector<std::string>{"NPM_TOKEN"});
  CHECK(pipeline.concurrency == Concurrency::supersede);
  REQUIRE(pipeline.stages.size() == 3);

  const auto& build = pipeline.stages[0];
  CHECK(build.name == "build");
  CHECK(build.position.line == 9);
  CHECK(build.position.column == 5);
  CHECK_FALSE(build.deploy.has_value());
  CHECK(build.env.empty());
  CHECK(build.when.branches.empty());
  CHECK_FALSE(build.continue_on_error);
  REQUIRE(build.steps.size() == 2);
  CHECK(build.steps[0].name == "install");
  CHECK(build.steps[0].run == "npm ci");
  CHECK_FALSE(build.steps[0].timeout.has_value());
  CHECK(build.steps[0].working_directory.empty());
  CHECK_FALSE(build.steps[0].continue_on_error);
  CHECK(build.steps[0].env.empty());
  CHECK(build.steps[0].position.line == 11);
  CHECK(build.steps[0].position.column == 9);
  CHECK(build.steps[1].name == "npm run build");
  CHECK(build.steps[1].run == "npm run build");
  CHECK(build.steps[1].timeout == Duration(10 * 60 * 1000));
  CHECK(build.steps[1].position.line == 13);

  const auto& test = pipeline.stages[1];
  CHECK(test.name == "test");
  REQUIRE(test.steps.size() == 1);
  CHECK(test.steps[0].name == "npm test");
  CHECK(test.steps[0].env == turnout::pipeline::EnvMap{{"CI", "true"}});

  const auto& deploy_stage = pipeline.stages[2];
  CHECK(deploy_stage.name == "deploy");
  CHECK(deploy_stage.steps.empty());
  CHECK(deploy_stage.when.branches == std::vector<std::string>{"master"});
  REQUIRE(deploy_stage.deploy.has_value());
  const auto& deploy = *deploy_stage.deploy;
  CHECK(deploy.strategy == "blue-green");
  CHECK(deploy.app == "cafeteria");
  CHECK(deploy.slots.blue == 20201);
  CHECK(deploy.slots.green == 20202);
  CHECK(deploy.start == R"(node dist/server.js --port "$PORT")");
  CHECK(deploy.stop.empty());
  CHECK(deploy.health.kind == ProbeKind::http);
  CHECK(deploy.health.path == "/health");
  CHECK(deploy.health.status == 200);
  CHECK(deploy.health.command.empty());
  CHECK(deploy.health.interval == Duration(1000));
  CHECK(deploy.health.timeout == Duration(2000));
  CHECK(deploy.health.attempts == 30);
  REQUIRE(deploy.proxy.nginx.has_value());
  CHECK_FALSE(deploy.proxy.command.has_value());
  CHECK(deploy.proxy.nginx->upstream_file == "/etc/nginx/conf.d/cafeteria.upstream.conf");
  CHECK(deploy.proxy.nginx->mode == turnout::pipeline::NginxMode::reload);  // an upstream_file chooses it
  CHECK(deploy.proxy.nginx->test == "nginx -t");
  CHECK(deploy.proxy.nginx->reload == "nginx -s reload");
  CHECK(deploy.drain == Duration(5000));
  CHECK(deploy.verify == Duration(10000));
  CHECK(deploy.keep_previous);
  CHECK(deploy.keep_releases == 5);
  CHECK(deploy.position.line == 22);
  CHECK(deploy.position.column == 7);
}

TEST_CASE("loader fills defaults and reads the less common keys", "[unit][pipeline]") {
  const auto result = load(R"(name: minimal
stages:
  - name: build
    continue_on_error: true
    env: { LEVEL: 3, DEBUG: false, RATIO: 1.50, EMPTY: "" }
    steps:
      - run: |

          ./configure --prefix=/usr
          make
        working_directory: src/app
        continue_on_error: yes
  - name: ship
    deploy:
      app: web.api_2
      slots: { blue: 1, green: 65535 }
      start: docker run -d -p "$PORT:80" web
      stop: docker rm -f web
      health: { tcp: true, interval: 250ms, attempts: 3 }
      proxy:
        command: { switch: ./switch.sh, current: ./current.sh }
      verify: 1m
      keep_previous: false
      keep_releases: 2
)");
  INFO(describe(result));
  REQUIRE(result.ok());
  const auto& pipeline = result.pipeline;
  CHECK(pipeline.concurrency == Concurrency::supersede);
  CHECK(pipeline.branches.empty());
  CHECK(pipeline.env.empty());
  CHECK(pipeline.secrets.empty());
  REQUIRE(pipeline.stages.size() == 2);

  const auto& build = pipeline.stages[0];
  CHECK(build.continue_on_error);
  CHECK(build.env ==
        turnout::pipeline::EnvMap{{"LEVEL", "3"}, {"DEBUG", "false"}, {"RATIO", "1.50"}, {"EMPTY", ""}});
  REQUIRE(build.steps.size() == 1);
  CHECK(build.steps[0].name == "./configure --prefix=/usr");
  CHECK(build.steps[0].working_directory == "src/app");
  CHECK(build.steps[0].continue_on_error);

  const auto& deploy = *pipeline.stages[1].deploy;
  CHECK(deploy.app == "web.api_2");
  CHECK(deploy.slots.blue == 1);
  CHECK(deploy.slots.green == 65535);
  CHECK(deploy.stop == "docker rm -f web");
  CHECK(deploy.health.kind == ProbeKind::tcp);
  CHECK_FALSE(deploy.health.status.has_value());
  CHECK(deploy.health.interval == Duration(250));
  CHECK(deploy.health.timeout == Duration(2000));
  CHECK(deploy.health.attempts == 3);
  CHECK_FALSE(deploy.proxy.nginx.has_value());
  REQUIRE(deploy.proxy.command.has_value());
  CHECK(deploy.proxy.command->switch_command == "./switch.sh");
  CHECK(deploy.proxy.command->current_command == "./current.sh");
  CHECK(deploy.drain == Duration(5000));
  CHECK(deploy.verify == Duration(60 * 1000));
  CHECK_FALSE(deploy.keep_previous);
  CHECK(deploy.keep_releases == 2);
}

TEST_CASE("loader reads nginx's mode flag as the default, and its keys", "[unit][pipeline]") {
  const auto yaml = [](const std::string& nginx) {
    return "name: x\nstages:\n  - name: d\n    deploy:\n      app: a\n      slots: {blue: 1, green: 2}\n"
           "      start: s\n      proxy: {nginx: " +
           nginx + "}\n";
  };
  const auto plain = load(yaml("{}"));
  INFO(describe(plain));
  REQUIRE(plain.ok());
  const auto& nginx = *plain.pipeline.stages[0].deploy->proxy.nginx;
  CHECK(nginx.mode == turnout::pipeline::NginxMode::flag);
  CHECK(nginx.dir.empty());
  CHECK(nginx.check_port == 0);
  CHECK(nginx.test == "nginx -t");
  CHECK_FALSE(nginx.feed);  // the traffic feed is asked for, never assumed
  const auto fed = load(yaml("{feed: true}"));
  REQUIRE(fed.ok());
  CHECK(fed.pipeline.stages[0].deploy->proxy.nginx->feed);
  const auto given = load(yaml("{mode: flag, dir: /srv/nginx/a, check_port: 8099, reload: r}"));
  INFO(describe(given));
  REQUIRE(given.ok());
  const auto& chosen = *given.pipeline.stages[0].deploy->proxy.nginx;
  CHECK(chosen.dir == "/srv/nginx/a");
  CHECK(chosen.check_port == 8099);
  CHECK(chosen.reload == "r");
  const auto reload = load(yaml("{mode: reload, upstream_file: /u}"));
  REQUIRE(reload.ok());
  CHECK(reload.pipeline.stages[0].deploy->proxy.nginx->mode == turnout::pipeline::NginxMode::reload);
}

namespace {

// A deploy with the traffic feed on (or `proxy` as given) and `verify` as given, on line 9.
std::string verify_yaml(const std::string& verify, const std::string& proxy = "{nginx: {feed: true}}") {
  return "name: x\nstages:\n  - name: ship\n    deploy:\n      app: a\n      slots: {blue: 1, green: 2}\n"
         "      start: s\n      proxy: " +
         proxy + "\n      verify: " + verify + "\n";
}

}  // namespace

TEST_CASE("loader reads verify as a duration or a mapping that judges real traffic", "[unit][pipeline]") {
  const auto plain = load(verify_yaml("30s"));
  INFO(describe(plain));
  REQUIRE(plain.ok());
  CHECK(plain.pipeline.stages[0].deploy->verify == Duration(30000));
  CHECK_FALSE(plain.pipeline.stages[0].deploy->verify_traffic);

  const auto watched = load(verify_yaml("{for: 45s, max_error_rate: 1.5%, min_requests: 50}"));
  INFO(describe(watched));
  REQUIRE(watched.ok());
  const auto& deploy = *watched.pipeline.stages[0].deploy;
  CHECK(deploy.verify == Duration(45000));
  REQUIRE(deploy.verify_traffic);
  CHECK(deploy.verify_traffic->max_error_rate == Approx(0.015));
  CHECK(deploy.verify_traffic->min_requests == 50);

  // min_requests has a default; `for` keeps verify's.
  const auto defaults = load(verify_yaml("{max_error_rate: 0%}"));
  INFO(describe(defaults));
  REQUIRE(defaults.ok());
  CHECK(defaults.pipeline.stages[0].deploy->verify == Duration(10000));
  REQUIRE(defaults.pipeline.stages[0].deploy->verify_traffic);
  CHECK(defaults.pipeline.stages[0].deploy->verify_traffic->max_error_rate == 0.0);
  CHECK(defaults.pipeline.stages[0].deploy->verify_traffic->min_requests == 20);

  // The mapping without a rate is the duration form.
  const auto probes = load(verify_yaml("{for: 1m}"));
  REQUIRE(probes.ok());
  CHECK(probes.pipeline.stages[0].deploy->verify == Duration(60000));
  CHECK_FALSE(probes.pipeline.stages[0].deploy->verify_traffic);
}

TEST_CASE("loader checks verify's mapping", "[unit][pipeline]") {
  SECTION("a rate without %") {
    check_only_error(verify_yaml("{for: 30s, max_error_rate: 0.01}"), 9, 42,
                     "`deploy.verify` of stage 'ship': `max_error_rate` must be a percentage such as 1% "
                     "(got '0.01'): add the % sign");
  }
  SECTION("a rate over 100%") {
    check_only_error(verify_yaml("{max_error_rate: 150%}"), 9, 32,
                     "`max_error_rate` must be between 0% and 100% (got 150%)");
  }
  SECTION("a rate that is no number") {
    check_only_error(verify_yaml("{max_error_rate: a few%}"), 9, 32,
                     "`max_error_rate` must be a percentage such as 1% (got 'a few%')");
  }
  SECTION("an unknown key") {
    check_only_error(verify_yaml("{for: 30s, max_eror_rate: 1%}"), 9, 26,
                     "unknown key 'max_eror_rate' in `deploy.verify` of stage 'ship' (did you mean "
                     "'max_error_rate'?)");
  }
  SECTION("min_requests without a rate, or not a positive number") {
    check_only_error(verify_yaml("{for: 30s, min_requests: 10}"), 9, 26,
                     "`min_requests` applies only with `max_error_rate`");
    check_only_error(verify_yaml("{max_error_rate: 1%, min_requests: 0}"), 9, 50, "`min_requests`");
  }
  SECTION("a bad duration in for") {
    check_has_error(verify_yaml("{for: soon, max_error_rate: 1%}"), 9, 21, "soon");
  }
  SECTION("a rate without the feed") {
    check_only_error(verify_yaml("{max_error_rate: 1%}", "{nginx: {}}"), 9, 16,
                     "`deploy.verify` of stage 'ship': `max_error_rate` judges the traffic nginx's feed "
                     "reports, and this app has none: turn the feed on with `feed: true` under "
                     "`proxy.nginx`");
    check_only_error(verify_yaml("{max_error_rate: 1%}", "{command: {switch: s, current: c}}"), 9, 16,
                     "(the feed needs the nginx proxy in mode flag)");
  }
}

TEST_CASE("loader reads every concurrency and the health defaults", "[unit][pipeline]") {
  const auto yaml = [](const std::string& concurrency, const std::string& health) {
    return "name: x\nconcurrency: " + concurrency +
           "\nstages:\n  - name: d\n    deploy:\n      app: a\n      slots: {blue: 1, green: 2}\n"
           "      start: s\n      proxy: {nginx: {upstream_file: /u, test: t, reload: r}}\n" +
           health;
  };
  auto result = load(yaml("queue", ""));
  INFO(describe(result));
  REQUIRE(result.ok());
  CHECK(result.pipeline.concurrency == Concurrency::queue);
  const auto& health = result.pipeline.stages[0].deploy->health;
  CHECK(health.kind == ProbeKind::http);
  CHECK(health.path == "/");
  CHECK_FALSE(health.status.has_value());
  CHECK(result.pipeline.stages[0].deploy->proxy.nginx->test == "t");
  CHECK(result.pipeline.stages[0].deploy->proxy.nginx->reload == "r");

  result = load(yaml("cancel-in-progress", "      health: {command: curl -fsS localhost:$PORT}\n"));
  INFO(describe(result));
  REQUIRE(result.ok());
  CHECK(result.pipeline.concurrency == Concurrency::cancel_in_progress);
  CHECK(result.pipeline.stages[0].deploy->health.kind == ProbeKind::command);
  CHECK(result.pipeline.stages[0].deploy->health.command == "curl -fsS localhost:$PORT");
}

TEST_CASE("loader derives a step's name from the first line of run", "[unit][pipeline]") {
  const std::string long_line(70, 'a');
  const std::string accents = std::string(59, 'x') + "\xC3\xA9\xC3\xA9";  // 59 + "éé": 61 characters
  const auto result = load(
      "name: x\nstages:\n  - name: s\n    steps:\n      - run: \"   echo hi  \\n  ls\"\n"
      "      - run: " +
      long_line + "\n      - run: " + accents + "\n");
  INFO(describe(result));
  REQUIRE(result.ok());
  const auto& steps = result.pipeline.stages[0].steps;
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].name == "echo hi");
  CHECK(steps[1].name == std::string(60, 'a'));
  CHECK(steps[2].name == std::string(59, 'x') + "\xC3\xA9");
}

TEST_CASE("loader reports unknown keys with a suggestion", "[unit][pipeline]") {
  SECTION("in a stage") {
    const char* yaml = R"(name: x
stages:
  - name: build
    stpes:
      - run: make
)";
    // One mistake, one message: no "stage 'build' has no steps" beside the typo.
    check_only_error(yaml, 4, 5, "unknown key 'stpes' in stage 'build' (did you mean 'steps'?)");
    CHECK_THAT(load(yaml).errors[0].message,
               Equals("unknown key 'stpes' in stage 'build' (did you mean 'steps'?)"));
  }
  SECTION("at the top level, without a second error for the missing key") {
    check_only_error("nmae: x\nstages: [{name: a, steps: [{run: b}]}]\n", 1, 1,
                     "unknown key 'nmae' in the pipeline (did you mean 'name'?)");
  }
  SECTION("typos of two keys are two messages, and nothing about the stage lacking steps") {
    const auto result = load("name: x\nstages:\n  - name: a\n    stepz: [{run: b}]\n    wehn: {}\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 2);
    CHECK_THAT(result.errors[0].message, Contains("'stepz' in stage 'a' (did you mean 'steps'?)"));
    CHECK_THAT(result.errors[1].message, Contains("'wehn' in stage 'a' (did you mean 'when'?)"));
  }
  SECTION("an unknown key that suggests nothing leaves the missing key reported") {
    const auto result = load("name: x\nstages:\n  - title: a\n    steps: [{run: b}]\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 2);
    CHECK_THAT(result.errors[0].message, Equals("unknown key 'title' in stage 1"));
    CHECK_THAT(result.errors[1].message, Equals("stage 1 is missing 'name'"));
    CHECK(result.errors[1].line == 3);
    CHECK(result.errors[1].column == 5);
  }
  SECTION("a misspelt proxy backend") {
    check_only_error(R"(name: x
stages:
  - name: ship
    deploy:
      app: a
      slots: {blue: 1, green: 2}
      start: s
      proxy: {ngninx: {upstream_file: /u}}
)",
                     8, 15, "unknown key 'ngninx' in `deploy.proxy` of stage 'ship' (did you mean 'nginx'?)");
  }
  SECTION("without a close one, no suggestion") {
    check_only_error("name: x\ncolour: red\nstages: [{name: a, steps: [{run: b}]}]\n", 2, 1,
                     "unknown key 'colour' in the pipeline");
    CHECK_THAT(load("name: x\ncolour: red\nstages: [{name: a, steps: [{run: b}]}]\n").errors[0].message,
               !Contains("did you mean"));
  }
  SECTION("in a step") {
    check_only_error(R"(name: x
stages:
  - name: build
    steps:
      - run: make
        timout: 5m
)",
                     6, 9, "unknown key 'timout' in step 1 of stage 'build' (did you mean 'timeout'?)");
  }
  SECTION("in deploy, health, proxy and nginx") {
    const char* yaml = R"(name: x
stages:
  - name: ship
    deploy:
      app: a
      slots: {blue: 1, green: 2}
      start: s
      keep_release: 3
      health: {paht: /up}
      proxy:
        ngnix: {}
        nginx: {upstream_file: /u, realod: r}
)";
    check_has_error(yaml, 8, 7,
                    "unknown key 'keep_release' in `deploy` of stage 'ship' (did you mean 'keep_releases'?)");
    check_has_error(yaml, 9, 16,
                    "unknown key 'paht' in `deploy.health` of stage 'ship' (did you mean 'path'?)");
    check_has_error(yaml, 11, 9,
                    "unknown key 'ngnix' in `deploy.proxy` of stage 'ship' (did you mean 'nginx'?)");
    check_has_error(yaml, 12, 36,
                    "unknown key 'realod' in `deploy.proxy.nginx` of stage 'ship' (did you mean 'reload'?)");
    CHECK(load(yaml).errors.size() == 4);
  }
  SECTION("in on and when") {
    const char* yaml = R"(name: x
on: {branchs: [main]}
stages:
  - name: a
    when: {branch: main}
    steps: [{run: b}]
)";
    check_has_error(yaml, 2, 6, "unknown key 'branchs' in `on` (did you mean 'branches'?)");
    check_has_error(yaml, 5, 12, "unknown key 'branch' in `when` of stage 'a' (did you mean 'branches'?)");
  }
}

TEST_CASE("loader reports missing required keys at the mapping that lacks them", "[unit][pipeline]") {
  SECTION("pipeline name and stages") {
    const auto result = load("# a comment\non: {branches: [main]}\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 2);
    CHECK(result.errors[0].line == 2);
    CHECK(result.errors[0].column == 1);
    CHECK_THAT(result.errors[0].message, Equals("the pipeline is missing 'name'"));
    CHECK_THAT(result.errors[1].message, Equals("the pipeline is missing 'stages'"));
  }
  SECTION("a step's run") {
    check_only_error(R"(name: x
stages:
  - name: build
    steps:
      - run: make
      - name: test
        timeout: 1m
)",
                     6, 9, "stage 'build': step 2 is missing 'run'");
  }
  SECTION("a stage's name") {
    check_only_error("name: x\nstages:\n  - name: a\n    steps: [{run: b}]\n  - steps: [{run: c}]\n", 5, 5,
                     "stage 2 is missing 'name'");
  }
  SECTION("deploy's app, slots, start and proxy") {
    const auto result = load("name: x\nstages:\n  - name: d\n    deploy:\n      keep_releases: 3\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 4);
    for (const auto& error : result.errors) {
      CHECK(error.line == 5);
      CHECK(error.column == 7);
    }
    CHECK_THAT(result.errors[0].message, Equals("stage 'd': `deploy` is missing 'app'"));
    CHECK_THAT(result.errors[3].message, Equals("stage 'd': `deploy` is missing 'proxy'"));
  }
  SECTION("a slot, nginx's upstream_file and the command proxy's current") {
    const char* base =
        "name: x\nstages:\n  - name: d\n    deploy:\n      app: a\n      start: s\n"
        "      slots: {blue: 1}\n";
    check_only_error(std::string(base) + "      proxy: {command: {switch: s, current: c}}\n", 7, 14,
                     "stage 'd': `deploy.slots` is missing 'green'");
    check_has_error(std::string(base) + "      proxy: {nginx: {mode: reload, reload: r}}\n", 8, 22,
                    "stage 'd': `deploy.proxy.nginx` is missing 'upstream_file'");
    check_has_error(std::string(base) + "      proxy: {command: {switch: s}}\n", 8, 24,
                    "stage 'd': `deploy.proxy.command` is missing 'current'");
  }
}

TEST_CASE("loader insists that run is a string", "[unit][pipeline]") {
  const auto yaml = [](const std::string& run) {
    return "name: x\nstages:\n  - name: build\n    steps:\n      - run: " + run + "\n";
  };
  SECTION("a mapping") { check_only_error(yaml("{ cmd: make }"), 5, 14, "`run` must be a string"); }
  SECTION("a list") { check_only_error(yaml("[make, test]"), 5, 14, "`run` must be a string"); }
  SECTION("a number") {
    check_only_error(yaml("42"), 5, 14, "step 1 of stage 'build': `run` must be a string");
  }
  SECTION("nothing, pointing at the key") { check_only_error(yaml(""), 5, 9, "`run` must be a string"); }
  SECTION("empty") { check_only_error(yaml("''"), 5, 14, "`run` must not be empty"); }
  SECTION("a quoted number is a string") { CHECK(load(yaml("'42'")).ok()); }
}

TEST_CASE("loader reports repeated names and keys at the second one", "[unit][pipeline]") {
  SECTION("stage names") {
    check_only_error(R"(name: x
stages:
  - name: build
    steps: [{run: make}]
  - name: test
    steps: [{run: make test}]
  - name: test
    steps: [{run: make check}]
)",
                     7, 5, "duplicate stage name 'test' (first at line 5)");
  }
  SECTION("step names, given") {
    check_only_error(R"(name: x
stages:
  - name: build
    steps:
      - name: compile
        run: make
      - run: make install
        name: compile
)",
                     8, 9, "stage 'build': duplicate step name 'compile' (first at line 5)");
  }
  SECTION("step names, derived from run") {
    check_only_error(
        R"(name: x
stages:
  - name: test
    steps:
      - run: make
      - run: make
)",
        6, 9, "duplicate step name 'make' (first at line 5) (named after its `run`; give it a `name`)");
  }
  SECTION("a key repeated in one mapping") {
    check_only_error(R"(name: x
stages:
  - name: build
    steps:
      - run: make
        timeout: 1m
        timeout: 2m
)",
                     7, 9, "duplicate key 'timeout' in step 1 of stage 'build' (first at line 6)");
  }
  SECTION("secrets") {
    check_only_error("name: x\nsecrets: [A, B, A]\nstages: [{name: a, steps: [{run: b}]}]\n", 2, 17,
                     "duplicate secret 'A' (first at line 2)");
  }
}

TEST_CASE("loader checks that a stage has steps or a deploy", "[unit][pipeline]") {
  SECTION("neither") {
    check_only_error("name: x\nstages:\n  - name: lint\n    env: {A: b}\n", 3, 5,
                     "stage 'lint' has no steps");
  }
  SECTION("an empty list of steps") {
    check_only_error("name: x\nstages:\n  - name: lint\n    steps: []\n", 4, 12, "stage 'lint' has no steps");
  }
  SECTION("both") {
    check_has_error(R"(name: x
stages:
  - name: mixed
    steps: [{run: make}]
    deploy:
      app: a
      slots: {blue: 1, green: 2}
      start: s
      proxy: {command: {switch: s, current: c}}
)",
                    5, 5, "stage 'mixed': a stage has either `steps` or `deploy`, not both");
  }
  SECTION("no stages at all") {
    check_only_error("name: x\nstages: []\n", 2, 9, "`stages` must not be empty");
    check_only_error("name: x\nstages: build\n", 2, 9, "`stages` must be a list");
    check_only_error("name: x\nstages:\n  - build\n", 3, 5, "stage 1 must be a mapping");
  }
}

TEST_CASE("loader checks env and secret names", "[unit][pipeline]") {
  SECTION("reserved prefix") {
    check_only_error("name: x\nenv:\n  TURNOUT_SHA: abc\nstages: [{name: a, steps: [{run: b}]}]\n", 3, 3,
                     "env name 'TURNOUT_SHA' is reserved for turnout");
  }
  SECTION("not an identifier, in a step") {
    check_only_error(R"(name: x
stages:
  - name: a
    steps:
      - run: b
        env: { MY-VAR: 1 }
)",
                     6, 16, "step 1 of stage 'a': env name 'MY-VAR' is not a valid name");
  }
  SECTION("a value that is a list") {
    check_only_error("name: x\nstages:\n  - name: a\n    env: {A: [1]}\n    steps: [{run: b}]\n", 4, 14,
                     "stage 'a': env 'A' must be a string, number or boolean");
  }
  SECTION("a variable without a value") {
    check_only_error("name: x\nenv:\n  A:\nstages: [{name: a, steps: [{run: b}]}]\n", 3, 3,
                     "env 'A' has no value");
  }
  SECTION("secrets") {
    check_only_error("name: x\nsecrets: [OK_1, 1BAD]\nstages: [{name: a, steps: [{run: b}]}]\n", 2, 17,
                     "secret name '1BAD' is not a valid name");
    check_only_error("name: x\nsecrets: [TURNOUT_TOKEN]\nstages: [{name: a, steps: [{run: b}]}]\n", 2, 11,
                     "secret name 'TURNOUT_TOKEN' is reserved for turnout");
  }
  SECTION("an empty env is allowed") {
    const auto result = load("name: x\nenv:\nstages: [{name: a, steps: [{run: b}]}]\n");
    INFO(describe(result));
    CHECK(result.ok());
  }
}

TEST_CASE("loader checks step values", "[unit][pipeline]") {
  const auto yaml = [](const std::string& line) {
    return "name: x\nstages:\n  - name: build\n    steps:\n      - run: make\n        " + line + "\n";
  };
  SECTION("a bad duration") {
    check_only_error(
        yaml("timeout: 10 sec"), 6, 18,
        "step 1 of stage 'build': bad duration '10 sec' for 'timeout' (use e.g. 500ms, 10s, 5m, 1h)");
  }
  SECTION("a zero timeout") {
    check_only_error(yaml("timeout: 0s"), 6, 18, "`timeout` must be longer than 0");
  }
  SECTION("an absolute working directory") {
    check_only_error(yaml("working_directory: /etc"), 6, 28, "`working_directory` must be relative");
  }
  SECTION("a working directory that climbs out") {
    check_only_error(yaml("working_directory: src/../../etc"), 6, 28, "`working_directory` must stay inside");
    CHECK(load(yaml("working_directory: ./a..b/c")).ok());
  }
  SECTION("continue_on_error that is not a boolean") {
    check_only_error(yaml("continue_on_error: maybe"), 6, 28,
                     "`continue_on_error` must be true or false (got 'maybe')");
  }
}

TEST_CASE("loader checks top-level values", "[unit][pipeline]") {
  const char* stages = "stages: [{name: a, steps: [{run: b}]}]\n";
  SECTION("concurrency") {
    check_only_error(std::string("name: x\nconcurrency: sometimes\n") + stages, 2, 14,
                     "unknown concurrency 'sometimes' (expected supersede, queue, cancel-in-progress)");
  }
  SECTION("on must be a mapping of branches") {
    check_only_error(std::string("name: x\non: push\n") + stages, 2, 5, "`on` must be a mapping");
    check_only_error(std::string("name: x\non: {branches: main}\n") + stages, 2, 16,
                     "`branches` must be a list");
  }
  SECTION("name must be a string") {
    check_only_error(std::string("name: [a]\n") + stages, 1, 7, "`name` must be a string");
  }
}

TEST_CASE("loader checks deploy values", "[unit][pipeline]") {
  const auto yaml = [](const std::string& slots, const std::string& extra) {
    return "name: x\nstages:\n  - name: ship\n    deploy:\n      app: web\n      slots: " + slots +
           "\n      start: ./serve\n      proxy: {command: {switch: s, current: c}}\n" + extra;
  };
  const std::string slots = "{blue: 8001, green: 8002}";
  SECTION("a port out of range") {
    check_only_error(yaml("{blue: 8001, green: 70000}", ""), 6, 34, "port 70000 out of range 1..65535");
    check_only_error(yaml("{blue: 0, green: 8002}", ""), 6, 21, "port 0 out of range 1..65535");
  }
  SECTION("a port that is not a number") {
    check_only_error(yaml("{blue: http, green: 8002}", ""), 6, 21,
                     "`blue` must be a whole number (got 'http')");
  }
  SECTION("equal slots") {
    check_only_error(yaml("{blue: 8080, green: 8080}", ""), 6, 34,
                     "`slots` blue and green must differ (both 8080)");
  }
  SECTION("strategy") {
    check_only_error(yaml(slots, "      strategy: rolling\n"), 9, 17,
                     "unknown strategy 'rolling' (expected blue-green, the default, or canary)");
  }
  SECTION("app name") {
    const auto result =
        load("name: x\nstages:\n  - name: ship\n    deploy:\n      app: My App\n      slots: " + slots +
             "\n      start: s\n      proxy: {command: {switch: s, current: c}}\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 5);
    CHECK(result.errors[0].column == 12);
    CHECK_THAT(result.errors[0].message, Contains("`app` 'My App' must be lowercase letters"));
  }
  SECTION("start must be a string") {
    const auto result =
        load("name: x\nstages:\n  - name: ship\n    deploy:\n      app: a\n      slots: " + slots +
             "\n      start: {cmd: x}\n      proxy: {command: {switch: s, current: c}}\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 7);
    CHECK(result.errors[0].column == 14);
    CHECK_THAT(result.errors[0].message, Equals("`deploy` of stage 'ship': `start` must be a string"));
  }
  SECTION("durations and counts") {
    check_only_error(yaml(slots, "      drain: soon\n"), 9, 14, "bad duration 'soon' for 'drain'");
    check_only_error(yaml(slots, "      keep_releases: 1\n"), 9, 22,
                     "`keep_releases` must be at least 2 (got 1)");
    check_only_error(yaml(slots, "      keep_previous: 2\n"), 9, 22, "`keep_previous` must be true or false");
  }
  SECTION("health") {
    check_only_error(yaml(slots, "      health: {path: health}\n"), 9, 22,
                     "`path` must start with '/' (got 'health')");
    check_only_error(yaml(slots, "      health: {status: 700}\n"), 9, 24,
                     "`status` 700 out of range 100..599");
    check_only_error(yaml(slots, "      health: {attempts: 0}\n"), 9, 26,
                     "`attempts` must be at least 1 (got 0)");
    check_only_error(yaml(slots, "      health: {timeout: 2 s}\n"), 9, 25,
                     "bad duration '2 s' for 'timeout'");
    check_only_error(
        yaml(slots, "      health: {path: /up, tcp: true}\n"), 9, 27,
        "`deploy.health` of stage 'ship': use only one of `path`, `tcp` and `command` (`path` is at line 9)");
    check_only_error(yaml(slots, "      health: {tcp: true, status: 200}\n"), 9, 27,
                     "`status` applies only to HTTP checks");
    CHECK(load(yaml(slots, "      health: {tcp: false, path: /up}\n")).ok());
    check_only_error(yaml(slots, "      health: /up\n"), 9, 15,
                     "`deploy` of stage 'ship': `health` must be a mapping");
  }
  SECTION("proxy") {
    const std::string base =
        "name: x\nstages:\n  - name: ship\n    deploy:\n      app: a\n      slots: {blue: 1, green: 2}\n"
        "      start: s\n";
    check_only_error(base + "      proxy: {}\n", 8, 14, "needs one of `nginx` or `command`");
    check_only_error(
        base + "      proxy:\n        nginx: {upstream_file: /u}\n        command: {switch: s, current: c}\n",
        10, 9, "use only one of `nginx` and `command`");
    check_only_error(base + "      proxy: {nginx: {upstream_file: nginx/up.conf}}\n", 8, 38,
                     "`upstream_file` must be an absolute path (got 'nginx/up.conf')");
  }
  SECTION("nginx's modes and their keys") {
    const std::string base =
        "name: x\nstages:\n  - name: ship\n    deploy:\n      app: a\n      slots: {blue: 1, green: 2}\n"
        "      start: s\n";
    check_only_error(
        base + "      proxy: {nginx: {mode: fast}}\n", 8, 29,
        "`deploy.proxy.nginx` of stage 'ship': unknown mode 'fast' (expected flag, the default: no "
        "reload per switch; or reload)");
    check_only_error(base + "      proxy: {nginx: {mode: flag, upstream_file: /u}}\n", 8, 35,
                     "`upstream_file` belongs to `mode: reload` (nginx reloaded at each switch); mode flag "
                     "writes its includes under `dir`");
    check_only_error(base + "      proxy: {nginx: {mode: reload, upstream_file: /u, dir: /d}}\n", 8, 56,
                     "`dir` applies only to mode flag, not reload");
    check_only_error(base + "      proxy: {nginx: {dir: nginx/web}}\n", 8, 28,
                     "`dir` must be an absolute path (got 'nginx/web')");
    check_only_error(
        base + "      proxy: {nginx: {dir: '/srv/my web'}}\n", 8, 28,
        "`dir` '/srv/my web' may hold only letters, digits and / . _ - + @ = , : (nginx reads it "
        "as written)");
    check_only_error(base + "      proxy: {nginx: {check_port: 70000}}\n", 8, 35,
                     "port 70000 out of range 1..65535");
    check_only_error(base + "      proxy: {nginx: {mode: reload, upstream_file: /u, feed: true}}\n", 8, 56,
                     "`feed` applies only to mode flag, not reload");
    check_only_error(base + "      proxy: {nginx: {feed: maybe}}\n", 8, 29,
                     "`feed` must be true or false (got 'maybe')");
  }
}

TEST_CASE("loader turns YAML syntax errors into one diagnostic at the parser's mark", "[unit][pipeline]") {
  const auto result = load("name: x\nstages: [a\nfoo: 2\n");
  INFO(describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 3);
  CHECK(result.errors[0].column == 4);
  CHECK_THAT(result.errors[0].message, Equals("YAML syntax error: end of sequence flow not found"));
  CHECK_FALSE(result.ok());
}

TEST_CASE("loader says a tab in the indentation is one, at the tab", "[unit][pipeline]") {
  SECTION("a list item") {
    check_only_error("name: x\nstages:\n\t- name: build\n", 3, 1, "YAML indents with spaces; found a tab");
  }
  SECTION("a key under a list item") {
    check_only_error("name: x\nstages:\n  - name: build\n\t  steps: []\n", 4, 1,
                     "YAML indents with spaces; found a tab");
  }
  SECTION("after spaces") {
    check_only_error("name: x\nstages:\n  - name: build\n    steps:\n    \t- run: x\n", 5, 5,
                     "YAML indents with spaces; found a tab");
  }
  SECTION("a tab inside a block scalar is its text") {
    const auto result = load(
        "name: x\nstages:\n  - name: b\n    steps:\n      - run: |\n          printf 'a\\n'\n          "
        "\tmake\n");
    INFO(describe(result));
    CHECK(result.ok());
  }
}

TEST_CASE("loader refuses a pipeline file over 1 MiB with one line", "[unit][pipeline]") {
  const std::string valid = "name: x\nstages:\n  - name: b\n    steps:\n      - run: echo hi\n";
  const std::string big = valid + "#" + std::string(turnout::pipeline::kMaxPipelineBytes - valid.size(), 'x');
  REQUIRE(big.size() == turnout::pipeline::kMaxPipelineBytes + 1);
  const auto result = load(big);
  INFO(describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].to_string() ==
        std::string(kFile) +
            ": the pipeline file is 1048577 bytes; turnout reads pipelines of at most 1 MiB");
  CHECK(load(big.substr(0, big.size() - 1)).ok());

  turnout::test::TempDir dir;
  const auto file = dir.write("big.yml", big);
  const auto from_file = turnout::pipeline::load_file(file.string());
  REQUIRE(from_file.errors.size() == 1);
  CHECK_THAT(from_file.errors[0].message, Contains("at most 1 MiB"));
}

TEST_CASE("loader caps what YAML aliases expand to", "[unit][pipeline]") {
  // Each level holds ten of the one before: the last expands to 100,000 scalars.
  std::string bomb = "name: x\nstages:\n  - name: b\n    steps:\n      - run: echo hi\n";
  bomb += "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int level = 1; level <= 5; ++level) {
    const std::string before = "*l" + std::to_string(level - 1);
    bomb += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [" + before;
    for (int i = 1; i < 10; ++i) bomb += ", " + before;
    bomb += "]\n";
  }
  const auto result = load(bomb);
  INFO(describe(result));
  REQUIRE_FALSE(result.errors.empty());
  CHECK_THAT(result.errors[0].message, Contains("YAML aliases expand to more than 100000 nodes"));
  CHECK(result.errors[0].line == 10);  // the alias of l4 that goes over

  // Aliases that repeat a little are fine.
  const auto small = load(
      "name: x\nenv: &common {A: \"1\"}\nstages:\n  - name: b\n    steps:\n      - run: echo hi\n        "
      "env: *common\n");
  INFO(describe(small));
  CHECK(small.ok());
}

TEST_CASE("loader rejects a file without a mapping at the top", "[unit][pipeline]") {
  SECTION("empty") { check_only_error("", 1, 1, "the pipeline file is empty"); }
  SECTION("only comments") { check_only_error("# nothing yet\n", 1, 1, "the pipeline file is empty"); }
  SECTION("a list") { check_only_error("- name: x\n", 1, 1, "the top level must be a mapping"); }
  SECTION("a scalar") { check_only_error("hello\n", 1, 1, "(found a single value)"); }
  SECTION("two documents") {
    check_only_error("name: x\nstages: [{name: a, steps: [{run: b}]}]\n---\nname: y\n", 4, 1,
                     "must hold one YAML document (found 2)");
  }
}

TEST_CASE("loader reports all errors at once, in file order", "[unit][pipeline]") {
  const auto result = load(R"(name: x
concurrency: sometimes
stages:
  - name: build
    stpes:
      - run: make
  - name: test
    steps:
      - run: make test
        timeout: 10 sec
)");
  INFO(describe(result));
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[0].line == 2);
  CHECK_THAT(result.errors[0].message, Contains("unknown concurrency 'sometimes'"));
  CHECK(result.errors[1].line == 5);
  CHECK_THAT(result.errors[1].message, Contains("unknown key 'stpes'"));
  CHECK(result.errors[2].line == 10);
  CHECK_THAT(result.errors[2].message, Contains("bad duration '10 sec' for 'timeout'"));
}

TEST_CASE("loader reports three distinct errors as three diagnostics", "[unit][pipeline]") {
  const auto result = load(R"(name: x
stages:
  - name: build
    steps:
      - run: make
        timeout: forever
      - name: lint
  - name: ship
    deploy:
      app: a
      slots: {blue: 8080, green: 8080}
      start: s
      proxy: {command: {switch: s, current: c}}
)");
  INFO(describe(result));
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[0].line == 6);
  CHECK(result.errors[1].line == 7);
  CHECK(result.errors[2].line == 11);
  CHECK_THAT(result.errors[0].message, Contains("bad duration 'forever'"));
  CHECK_THAT(result.errors[1].message, Contains("step 2 is missing 'run'"));
  CHECK_THAT(result.errors[2].message, Contains("must differ (both 8080)"));
}

TEST_CASE("Diagnostic prints as FILE:LINE:COLUMN: message", "[unit][pipeline]") {
  CHECK(Diagnostic{".turnout.yml", 14, 7, "unknown key 'stpes'"}.to_string() ==
        ".turnout.yml:14:7: unknown key 'stpes'");
  CHECK(Diagnostic{"ci/.turnout.yml", 0, 0, "cannot read pipeline file: Permission denied"}.to_string() ==
        "ci/.turnout.yml: cannot read pipeline file: Permission denied");
  const auto result = load("name: x\nstages: []\n");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].to_string() == ".turnout.yml:2:9: `stages` must not be empty");
}

TEST_CASE("load_file reads a file and names it in diagnostics", "[unit][pipeline]") {
  turnout::test::TempDir dir;
  SECTION("a valid file") {
    const auto path = dir.write(".turnout.yml", kDesignExample).string();
    const auto result = load_file(path);
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result.pipeline.file == path);
    CHECK(result.pipeline.stages.size() == 3);
  }
  SECTION("an invalid file") {
    const auto path = dir.write("bad.yml", "name: x\nstages: []\n").string();
    const auto result = load_file(path);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() == path + ":2:9: `stages` must not be empty");
  }
  SECTION("a missing file") {
    const auto path = (dir / "missing.yml").string();
    const auto result = load_file(path);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].file == path);
    CHECK(result.errors[0].line == 0);
    CHECK_THAT(result.errors[0].message, Equals("cannot read pipeline file: No such file or directory"));
    CHECK(result.errors[0].to_string() == path + ": cannot read pipeline file: No such file or directory");
  }
  SECTION("a directory") {
    const auto result = load_file(dir.path().string());
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 0);
    CHECK_THAT(result.errors[0].message, Equals("cannot read pipeline file: Is a directory"));
  }
}

TEST_CASE("loader reads resources at every level and checks each value", "[unit][pipeline][resources]") {
  const auto loaded = load(R"(name: r
resources: { nice: 12, memory: 2G }
stages:
  - name: build
    resources: { io: idle, cpu: 150%, pids: 512, cpu_class: normal }
    steps:
      - { run: make, resources: { memory: 512Mi, nice: 0 } }
)");
  INFO(describe(loaded));
  REQUIRE(loaded.ok());
  const auto& pipeline = loaded.pipeline;
  CHECK(pipeline.resources.nice == 12);
  CHECK(pipeline.resources.memory == 2ull << 30);
  const auto& stage = pipeline.stages[0];
  CHECK(stage.resources.io == turnout::pipeline::IoClass::idle);
  CHECK(stage.resources.cpu_percent == 150);
  CHECK(stage.resources.pids == 512);
  CHECK(stage.resources.cpu_class == turnout::pipeline::CpuClass::normal);
  CHECK_FALSE(pipeline.resources.cpu_class.has_value());
  const auto& step = stage.steps[0].resources;
  CHECK(step.memory == 512ull << 20);
  CHECK(step.nice == 0);
  const auto merged = step.within(stage.resources.within(pipeline.resources));
  CHECK(merged.nice == 0);
  CHECK(merged.memory == 512ull << 20);
  CHECK(merged.io == turnout::pipeline::IoClass::idle);
  CHECK(merged.cpu_class == turnout::pipeline::CpuClass::normal);
  const auto defaults = turnout::pipeline::Resources{}.within(turnout::pipeline::default_resources());
  CHECK(defaults.cpu_class == turnout::pipeline::CpuClass::idle);

  const std::string head =
      "name: r\nstages:\n  - name: b\n    steps:\n      - run: make\n        resources: ";
  check_only_error(head + "{ nice: 20 }\n", 6, 28, "nice");
  check_only_error(head + "{ io: ilde }\n", 6, 26, "unknown io 'ilde' (did you mean 'idle'?)");
  check_only_error(head + "{ cpu_class: idel }\n", 6, 33,
                   "unknown cpu_class 'idel' (did you mean 'idle'?) (expected idle or normal)");
  check_only_error(head + "{ memory: 2X }\n", 6, 30, "bad memory '2X' (a size such as 512M or 2G)");
  check_only_error(head + "{ memory: 10K }\n", 6, 30, "memory 10K is too small (at least 1M)");
  check_only_error(head + "{ cpu: 150 }\n", 6, 27, "bad cpu '150'");
  check_only_error(head + "{ pids: 0 }\n", 6, 28, "pids");
  check_only_error(head + "{ memroy: 1G }\n", 6, 22, "did you mean 'memory'");
  check_only_error(head + "12\n", 6, 20, "`resources` must be a mapping");
}
