#pragma once
// TLS material for tests, made fresh by the openssl CLI: nothing secret is checked in, and
// nothing expires in the repository.

#include <Poco/Net/Context.h>

#include <filesystem>
#include <string>

namespace turnout::test {

/// A self-signed certificate for `localhost` and 127.0.0.1, with its private key.
struct SelfSignedCert {
  std::filesystem::path cert;  ///< PEM certificate; also the only CA a test client trusts
  std::filesystem::path key;   ///< PEM private key, no passphrase
};

/// Writes `<name>.crt` and `<name>.key` into `dir` with `openssl req -x509`. Throws
/// std::runtime_error with openssl's output when it fails.
SelfSignedCert make_self_signed_cert(const std::filesystem::path& dir, const std::string& name = "server");

/// A client context that trusts `ca` alone and verifies the server's certificate chain and name
/// (Poco's strict mode): what a careful HTTPS client does.
Poco::Net::Context::Ptr client_context_trusting(const std::filesystem::path& ca);

}  // namespace turnout::test
