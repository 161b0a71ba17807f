// The server's log lines, written through the formatter `turnout serve` uses into a string.
#include "agent/serve/server_logging.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

using namespace turnout::agent;

namespace {

// What `message` becomes as one log line in `format`.
std::string logged(LogFormat format, const std::string& message) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  logger.set_formatter(server_log_formatter(format));
  logger.warn("webhook {}: signature missing: rejected", message);
  return out.str();
}

}  // namespace

TEST_CASE("server log: a client's control characters are escaped in text and JSON lines", "[unit][serve]") {
  const std::string evil("id\x1b[2J\a\0\nforged info line", 25);
  const auto text = logged(LogFormat::text, evil);
  CHECK_THAT(text,
             Catch::EndsWith(" warning webhook id\\x1b[2J\\x07\\x00\\nforged info line: signature missing: "
                             "rejected\n"));
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  const auto json = logged(LogFormat::json, evil);
  CHECK_THAT(json, Catch::Contains(R"("message":"webhook id\u001b[2J\u0007\u0000\nforged info line)"));
  CHECK(std::count(json.begin(), json.end(), '\n') == 1);
  CHECK_THAT(logged(LogFormat::text, "d-1"),
             Catch::EndsWith(" warning webhook d-1: signature missing: rejected\n"));
}
