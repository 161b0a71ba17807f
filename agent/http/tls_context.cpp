#include "agent/http/tls_context.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace turnout::agent {

namespace {

// TLS 1.2 ciphers OpenSSL rates HIGH, none without server authentication, none built on MD5.
// TLS 1.3 suites are configured apart by OpenSSL, and all of them are strong.
constexpr const char* kCiphers = "HIGH:!aNULL:!MD5";

// OpenSSL's reason for the latest failure ("no start line", "key values mismatch"); the error
// queue is emptied, so the next check starts clean.
std::string openssl_reason() {
  std::string reason = "unknown OpenSSL error";
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    if (const char* text = ERR_reason_error_string(code)) reason = text;
  }
  return reason;
}

// OpenSSL would otherwise ask for a passphrase on the terminal, which a service cannot answer.
int no_passphrase(char*, int, int, void*) { return 0; }

// The commonest slip, a wrong path, told in the system's words rather than OpenSSL's.
util::Status readable(const std::string& what, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return util::fail("tls: cannot read " + what + " " + path + ": " + std::strerror(errno));
  ::close(fd);
  return util::Ok{};
}

using PrivateKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// Parsed apart from the context, so that "not a key" and "not this certificate's key" are told
// apart: OpenSSL reports both from SSL_CTX_use_PrivateKey_file.
util::Result<PrivateKey> read_key(const std::string& path) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "r"), BIO_free);
  PrivateKey key(file ? PEM_read_bio_PrivateKey(file.get(), nullptr, no_passphrase, nullptr) : nullptr,
                 EVP_PKEY_free);
  if (!key) {
    return util::fail("tls: key " + path + " is not a PEM private key without a passphrase (" +
                      openssl_reason() + ")");
  }
  return key;
}

util::Status load(SSL_CTX* context, const TlsFiles& files) {
  if (auto cert = readable("certificate", files.cert); !cert) return cert;
  if (auto key = readable("key", files.key); !key) return key;
  if (SSL_CTX_use_certificate_chain_file(context, files.cert.c_str()) != 1) {
    return util::fail("tls: certificate " + files.cert + " is not a PEM certificate (" + openssl_reason() +
                      ")");
  }
  auto key = read_key(files.key);
  if (!key) return key.error();
  // A key of another type than the certificate's is accepted here and caught by the check.
  if (SSL_CTX_use_PrivateKey(context, key.value().get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
    return util::fail("tls: key " + files.key + " does not belong to certificate " + files.cert + " (" +
                      openssl_reason() + ")");
  }
  return util::Ok{};
}

}  // namespace

util::Result<ServerTlsContext> server_tls_context(const TlsFiles& files) {
  ERR_clear_error();
  // TLS_server_method: any version OpenSSL offers, limited just below to 1.2 and newer.
  ServerTlsContext context(SSL_CTX_new(TLS_server_method()));
  if (!context || SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(context.get(), kCiphers) != 1) {
    return util::fail("tls: cannot set up TLS: " + openssl_reason());
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);  // no client certificates asked for
  // The server's order of ciphers wins (as Poco's preferServerCiphers() did); the DHE ciphers get
  // OpenSSL's own finite-field parameters, sized to the key (Poco's 2048-bit ones before).
  SSL_CTX_set_options(context.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_dh_auto(context.get(), 1);
  if (auto loaded = load(context.get(), files); !loaded) return loaded.error();
  return context;
}

}  // namespace turnout::agent
