#include "agent/report/report_http.h"
#include "util/strings.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>
#include <memory>

namespace turnout::agent {

namespace {

// An answer's body says why a request failed; more than this is not worth keeping.
constexpr std::size_t kMaxBody = 64 * 1024;

// Verifies the server's chain against the trusted CAs and its name against the URL's host
// (Poco's extended verification); the system's store unless the caller names a file.
Poco::Net::Context::Ptr client_context(const std::string& ca_file) {
  Poco::Net::Context::Params params;
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = ca_file.empty();
  params.caLocation = ca_file;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

std::unique_ptr<Poco::Net::HTTPClientSession> session_for(const Poco::URI& uri, const std::string& ca_file) {
  if (uri.getScheme() == "https") {
    return std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                           client_context(ca_file));
  }
  return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
}

// The request target as the URL spells it: Poco::URI decodes the path, and would send GitLab's
// `group%2Fproject` as `group/project`, another endpoint.
std::string request_target(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return "/";
  return url.substr(path, url.find('#', path) - path);
}

HttpReply read_reply(Poco::Net::HTTPClientSession& session) {
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpReply reply;
  reply.status = static_cast<int>(response.getStatus());
  for (const auto& [name, value] : response) reply.headers[util::ascii_lower(name)] = value;
  char buffer[4096];
  while (reply.body.size() < kMaxBody && in.read(buffer, sizeof buffer).gcount() > 0)
    reply.body.append(buffer, static_cast<std::size_t>(in.gcount()));
  return reply;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

util::Result<HttpReply> post_json(const HttpPost& post) {
  try {
    const Poco::URI uri(post.url);
    auto session = session_for(uri, post.ca_file);
    const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(post.timeout).count();
    session->setTimeout(Poco::Timespan(timeout));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, request_target(post.url),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : post.headers) request.set(name, value);
    request.setContentType("application/json");
    request.setContentLength64(static_cast<Poco::Int64>(post.body.size()));
    session->sendRequest(request) << post.body;
    return read_reply(*session);
  } catch (const Poco::Exception& error) {
    return util::fail("POST " + post.url + ": " + error.displayText(), util::ErrorKind::unavailable);
  } catch (const std::exception& error) {
    return util::fail("POST " + post.url + ": " + error.what(), util::ErrorKind::unavailable);
  }
}

}  // namespace turnout::agent
