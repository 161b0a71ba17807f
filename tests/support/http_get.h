#pragma once
// One plain GET to a loopback port, for tests that watch what a server answers.

#include <string>

namespace turnout::test {

/// GET http://127.0.0.1:`port``path` on a new connection (10 s timeout): the body of a 200, ""
/// for any other status or a failed request. `status` (when given) gets the status, 0 when none.
std::string http_get_body(int port, const std::string& path = "/", int* status = nullptr);

}  // namespace turnout::test
