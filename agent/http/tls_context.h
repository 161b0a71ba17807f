#pragma once
// The server side of TLS: a certificate and its private key, loaded and checked up front, so a
// wrong file stops the agent at start-up with a line naming it instead of failing every handshake.

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "util/result.h"

namespace turnout::agent {

/// The certificate and private key an HTTPS server presents, both PEM files.
struct TlsFiles {
  std::string cert;  ///< the certificate, then any intermediate certificates (a chain file)
  std::string key;   ///< the certificate's private key, not protected by a passphrase
};

/// Frees an OpenSSL context (the deleter of `ServerTlsContext`).
struct SslContextFree {
  /// SSL_CTX_free: drops this owner's reference.
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};

/// An OpenSSL context of our own; Asio's ssl::context adopts it with `release()`.
using ServerTlsContext = std::unique_ptr<SSL_CTX, SslContextFree>;

/// A server context: TLS 1.2 or newer, strong ciphers only, no client certificates asked for.
/// Fails with one line naming the file when the certificate or the key cannot be read or is not
/// PEM, or when the key does not belong to the certificate.
util::Result<ServerTlsContext> server_tls_context(const TlsFiles& files);

}  // namespace turnout::agent
