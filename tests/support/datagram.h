#pragma once
// Sending a UDP datagram to a loopback port, as a local program (nginx, or a forger) would.

#include <string>

namespace turnout::test {

/// Sends `text` as one datagram to 127.0.0.1:`port` from a new socket; false when it could not.
bool send_datagram(int port, const std::string& text);

}  // namespace turnout::test
