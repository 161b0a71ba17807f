#pragma once
// Whether a TCP address can be listened on, asked before a server creates anything else: a
// port in use then costs nothing but one line.

#include <string>

#include "util/result.h"

namespace turnout::util {

/// Binds and listens on `host`:`port` (a numeric address or a name), then lets go at once.
/// Fails with the system's reason (address in use, not available, permission denied).
Status probe_listen(const std::string& host, int port);

/// A TCP port of 127.0.0.1 that nothing listens on now (the kernel's choice), for a listener a
/// config will name; fails with the system's reason.
Result<int> free_loopback_port();

}  // namespace turnout::util
