#include "tests/support/self_signed_cert.h"

#include <stdexcept>

#include "tests/support/command.h"

namespace turnout::test {

SelfSignedCert make_self_signed_cert(const std::filesystem::path& dir, const std::string& name) {
  SelfSignedCert made{dir / (name + ".crt"), dir / (name + ".key")};
  // An EC key: made in milliseconds, where RSA takes a noticeable while under the sanitizers.
  const auto result = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                   "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                   "-keyout", made.key.string(), "-out", made.cert.string()});
  if (result.exit_code != 0) {
    throw std::runtime_error("openssl req failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.err);
  }
  return made;
}

Poco::Net::Context::Ptr client_context_trusting(const std::filesystem::path& ca) {
  Poco::Net::Context::Params params;
  params.caLocation = ca.string();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = false;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

}  // namespace turnout::test
