#include "agent/client/agent_client.h"

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>

namespace turnout::agent {

namespace {

constexpr int kTimeoutSeconds = 30;

// A TLS connection to the agent whose certificate is exactly the one in `ca_file`.
std::unique_ptr<Poco::Net::HTTPClientSession> pinned_session(const Poco::URI& uri,
                                                             const std::string& ca_file) {
  // Verification is ours (the pin below); OpenSSL's would reject the loopback host name.
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
  Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()), context);
  socket.completeHandshake();
  const Poco::Crypto::X509Certificate expected(ca_file);
  if (!socket.havePeerCertificate() || !socket.peerCertificate().equals(expected)) {
    throw Poco::Net::CertificateValidationException("the agent's certificate is not " + ca_file);
  }
  // The plain session class over the secure socket: HTTPSClientSession would reset the port of
  // this connected socket and throw.
  return std::make_unique<Poco::Net::HTTPClientSession>(socket);
}

std::unique_ptr<Poco::Net::HTTPClientSession> session_for(const AgentPresence& agent) {
  const Poco::URI uri(agent.url);
  if (uri.getScheme() == "https") return pinned_session(uri, agent.ca_file);
  return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
}

}  // namespace

util::Result<AgentAnswer> post_to_agent(const AgentPresence& agent, const std::string& path,
                                        const std::string& json) {
  try {
    auto session = session_for(agent);
    session->setTimeout(Poco::Timespan(kTimeoutSeconds, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + agent.token);
    request.setContentLength(static_cast<std::streamsize>(json.size()));
    if (!json.empty()) request.setContentType("application/json");
    session->sendRequest(request) << json;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    AgentAnswer answer{static_cast<int>(response.getStatus()), ""};
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
  } catch (const Poco::Exception& error) {
    return util::fail("the agent at " + agent.url + " (pid " + std::to_string(agent.process.pid) +
                          ") did not answer: " + error.displayText(),
                      util::ErrorKind::unavailable);
  }
}

}  // namespace turnout::agent
