#include "agent/report/report_http.h"

namespace turnout::agent {

util::Result<HttpReply> post_json(const HttpPost& post) {
  util::ClientRequest request;
  request.url = post.url;
  request.headers = post.headers;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = post.body;
  request.timeout = post.timeout;
  request.trust.ca_file = post.ca_file;
  auto reply = util::send_request(request);
  if (!reply) return util::fail("POST " + post.url + ": " + reply.error().message, reply.error().kind);
  return reply;
}

}  // namespace turnout::agent
