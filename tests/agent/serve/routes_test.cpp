// GET /api/runs/{id}/log from a real `turnout serve` over loopback: served in bounded pieces,
// by offset or by Range, never through a link, and without the agent holding the log.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "agent/store/store.h"
#include "tests/support/agent_server.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

// A run recorded in the agent's store that no worker takes (not in its queue); its id.
std::int64_t recorded_run(AgentServer& server) {
  auto store = turnout::agent::Store::open(server.data().string());
  REQUIRE(store);
  const turnout::agent::NewRun run{
      "/srv/app.git", "refs/heads/main", "main", "abc123", "app", turnout::agent::Trigger::cli, std::nullopt};
  const auto id = store.value()->history.create_run(run);
  REQUIRE(id);
  return id.value();
}

fs::path log_of(AgentServer& server, std::int64_t id) {
  return server.data() / "runs" / std::to_string(id) / "log";
}

std::string log_path(std::int64_t id) { return "/api/runs/" + std::to_string(id) + "/log"; }

// An answer with its headers.
struct Got {
  int status = 0;
  std::string body;
  std::string content_range;
  std::string content_type;
};

Got get(const AgentServer& server, const std::string& path, const std::string& range = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Authorization", "Bearer " + server.local_token());
  if (!range.empty()) request.set("Range", range);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Got got{static_cast<int>(response.getStatus()), "", response.get("Content-Range", ""),
          response.getContentType()};
  Poco::StreamCopier::copyToString(in, got.body);
  return got;
}

std::string numbered_lines(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += "2026-12-02T08:00:00.000Z out line " + std::to_string(i) + "\n";
  return text;
}

// The agent's peak resident memory so far, in KiB (VmHWM of /proc/PID/status).
long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  FAIL("no VmHWM in /proc/" << pid << "/status");
  return 0;
}

}  // namespace

TEST_CASE("serve: a run's log is served in pieces, from an offset, that add up to the file",
          "[integration][serve][api]") {
  AgentServer server;
  const auto id = recorded_run(server);
  CHECK(get(server, log_path(id)).body.empty());  // no log yet

  // Several times the agent's piece of 64 KiB.
  const auto text = numbered_lines(8000);
  REQUIRE(text.size() > 4 * 64 * 1024);
  fs::create_directories(log_of(server, id).parent_path());
  std::ofstream(log_of(server, id), std::ios::binary) << text;
  const auto whole = get(server, log_path(id));
  CHECK(whole.status == 200);
  CHECK(whole.content_type == "text/plain; charset=utf-8");
  CHECK(whole.body == text);

  // A client following the log asks from where it got to.
  std::string followed;
  for (const std::size_t at : {std::size_t{0}, std::size_t{1000}, std::size_t{70000}, text.size() - 7}) {
    const auto rest = get(server, log_path(id) + "?offset=" + std::to_string(at));
    CHECK(rest.status == 200);
    CHECK(rest.body == text.substr(at));
  }
  std::ofstream(log_of(server, id), std::ios::binary | std::ios::app) << "more\n";
  CHECK(get(server, log_path(id) + "?offset=" + std::to_string(text.size())).body == "more\n");
  CHECK(get(server, log_path(id) + "?offset=99999999").body.empty());
}

TEST_CASE("serve: a Range of a run's log is a 206 with its Content-Range, outside it, a 416",
          "[integration][serve][api]") {
  AgentServer server;
  const auto id = recorded_run(server);
  const auto text = numbered_lines(4000);
  const auto size = std::to_string(text.size());
  fs::create_directories(log_of(server, id).parent_path());
  std::ofstream(log_of(server, id), std::ios::binary) << text;

  const auto part = get(server, log_path(id), "bytes=100000-150000");
  CHECK(part.status == 206);
  CHECK(part.content_range == "bytes 100000-150000/" + size);
  CHECK(part.body == text.substr(100000, 50001));

  const auto tail = get(server, log_path(id), "bytes=-10");
  CHECK(tail.status == 206);
  CHECK(tail.body == text.substr(text.size() - 10));
  CHECK(get(server, log_path(id), "bytes=5-").body == text.substr(5));
  CHECK(get(server, log_path(id), "bytes=0-99999999").body == text);

  const auto outside = get(server, log_path(id), "bytes=" + size + "-");
  CHECK(outside.status == 416);
  CHECK(outside.content_range == "bytes */" + size);
  CHECK_THAT(outside.body, Catch::Contains("outside the log of run " + std::to_string(id)));
  // Ranges this agent does not serve are ignored: the whole log.
  const auto several = get(server, log_path(id), "bytes=0-1,5-6");
  CHECK(several.status == 200);
  CHECK(several.body == text);
}

TEST_CASE("serve: a run's log that is a link is refused, and nothing of its target is read",
          "[integration][serve][api]") {
  AgentServer server;
  const auto id = recorded_run(server);
  const auto secret = server.dir.write("target.txt", "what the link points at");
  fs::create_directories(log_of(server, id).parent_path());
  fs::create_symlink(secret, log_of(server, id));
  const auto refused = get(server, log_path(id));
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, Catch::Contains("is not a regular file in its run's folder"));
  CHECK_THAT(refused.body, !Catch::Contains("what the link points at"));
  CHECK(get(server, log_path(id), "bytes=0-3").status == 403);
}

TEST_CASE("serve: a 2 GiB log is served without the agent holding it", "[integration][serve][api][slow]") {
  AgentServer server;
  const auto id = recorded_run(server);
  const std::int64_t size = 2048LL * 1024 * 1024;
  fs::create_directories(log_of(server, id).parent_path());
  {
    // Sparse: zeros but for a line at the start, the middle and the end.
    const int fd = ::open(log_of(server, id).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, size) == 0);
    for (const std::int64_t at : {std::int64_t{0}, size / 2 + 12345, size - 6})
      REQUIRE(::pwrite(fd, "mark\n", 5, at) == 5);
    ::close(fd);
  }
  // The agent has served a log once before it is measured.
  get(server, log_path(id), "bytes=0-4");
  const long before = peak_rss_kib(server.process->pid());

  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port));
  session.setTimeout(Poco::Timespan(120, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, log_path(id),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Authorization", "Bearer " + server.local_token());
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  REQUIRE(response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
  CHECK(response.getContentLength64() == size);
  std::int64_t received = 0;
  std::int64_t marked = 0;
  std::vector<char> buffer(1 << 20);
  const std::vector<char> zeros(buffer.size(), 0);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    if (std::memcmp(buffer.data(), zeros.data(), n) != 0)
      marked += std::count_if(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n),
                              [](char c) { return c != 0; });
    received += static_cast<std::int64_t>(n);
  }
  CHECK(received == size);
  CHECK(marked == 3 * 5);

  const long growth_kib = peak_rss_kib(server.process->pid()) - before;
  INFO("the agent's peak RSS grew by " << growth_kib << " KiB");
  CHECK(growth_kib < 16 * 1024);
}
