#include "agent/http/tls_context.h"

#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include "tests/support/self_signed_cert.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using namespace turnout::test;

namespace {

std::string error_of(const TlsFiles& files) {
  const auto context = server_tls_context(files);
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().message.find('\n') == std::string::npos);
  return context.error().message;
}

}  // namespace

TEST_CASE("tls context: a certificate and its own key make a server context", "[integration][tls]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const auto context = server_tls_context({cert.cert.string(), cert.key.string()});
  INFO((context ? "" : context.error().message));
  REQUIRE(context.ok());
  SSL_CTX* openssl = context.value().get();
  CHECK(SSL_CTX_get0_certificate(openssl) != nullptr);
  CHECK(SSL_CTX_get0_privatekey(openssl) != nullptr);
  CHECK(SSL_CTX_get_min_proto_version(openssl) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_verify_mode(openssl) == SSL_VERIFY_NONE);
}

TEST_CASE("tls context: each unusable file is named", "[integration][tls]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const auto other = make_self_signed_cert(dir.path(), "other");
  const std::string missing = (dir / "missing.crt").string();

  CHECK(error_of({missing, cert.key.string()}) ==
        "tls: cannot read certificate " + missing + ": No such file or directory");
  CHECK(error_of({cert.cert.string(), missing}) ==
        "tls: cannot read key " + missing + ": No such file or directory");

  const auto text = dir.write("notes.txt", "not a certificate\n");
  CHECK_THAT(error_of({text.string(), cert.key.string()}),
             Catch::StartsWith("tls: certificate " + text.string() + " is not a PEM certificate ("));
  // A certificate where the key should be is a common slip with two files side by side.
  CHECK_THAT(error_of({cert.cert.string(), cert.cert.string()}),
             Catch::StartsWith("tls: key " + cert.cert.string() + " is not a PEM private key"));
  CHECK_THAT(error_of({cert.cert.string(), other.key.string()}),
             Catch::StartsWith("tls: key " + other.key.string() + " does not belong to certificate " +
                               cert.cert.string()));
}
