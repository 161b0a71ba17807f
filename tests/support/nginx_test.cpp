#include "tests/support/nginx.h"

#include <catch2/catch.hpp>

#include "tests/support/command.h"

namespace turnout::test {
namespace {

std::string answer_fragment(int port, const std::string& body) {
  return "server { listen 127.0.0.1:" + std::to_string(port) + "; location / { return 200 '" + body +
         "'; } }";
}

std::string get(const std::string& url) {
  // bash's /dev/tcp keeps the test free of an HTTP client dependency.
  const std::string port = url.substr(url.rfind(':') + 1);
  const auto result =
      run_command({"bash", "-c",
                   "exec 3<>/dev/tcp/127.0.0.1/" + port +
                       " && printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3 && cat <&3 | tail -n 1"});
  return result.out;
}

}  // namespace

TEST_CASE("nginx starts on a free port, reloads and stops", "[integration][nginx]") {
  int port = 0;
  {
    NginxServer nginx([](int port) { return answer_fragment(port, "blue"); });
    port = nginx.port();
    CHECK(port > 0);
    CHECK(port_accepts(port));
    CHECK(get(nginx.base_url()) == "blue\n");

    nginx.reload([](int port) { return answer_fragment(port, "green"); });
    CHECK(nginx.port() == port);
    CHECK(get(nginx.base_url()) == "green\n");

    CHECK_THROWS_WITH(nginx.reload([](int) { return std::string("this is not nginx config"); }),
                      Catch::Contains("nginx -t rejected the config"));
    CHECK(get(nginx.base_url()) == "green\n");  // the old config keeps running
  }
  CHECK_FALSE(port_accepts(port));
}

TEST_CASE("nginx reports its own error when it cannot start", "[integration][nginx]") {
  CHECK_THROWS_WITH(NginxServer([](int) { return std::string("server { listen nonsense; }"); }),
                    Catch::Contains("nginx did not start"));
}

}  // namespace turnout::test
