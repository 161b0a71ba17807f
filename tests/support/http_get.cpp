#include "tests/support/http_get.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace turnout::test {

std::string http_get_body(int port, const std::string& path, int* status) {
  if (status != nullptr) *status = 0;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    if (status != nullptr) *status = static_cast<int>(response.getStatus());
    return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK ? body : "";
  } catch (const Poco::Exception&) {
    return "";
  }
}

}  // namespace turnout::test
