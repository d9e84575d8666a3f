#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <iterator>

namespace shardgate::net {

namespace asio_ssl = boost::asio::ssl;

namespace {

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

// Applies one step; on failure sets `error` to "<what> <file>: <reason>".
bool step(std::string& error, const std::string& what, const std::string& file,
          const boost::system::error_code& ec) {
  if (!ec) return true;
  error = what + " " + file + ": " + openssl_reason(ec);
  return false;
}

}  // namespace

tls_context_ptr make_server_tls(const config::listen_tls_config& tls, std::string& error) {
  auto ctx = std::make_shared<asio_ssl::context>(asio_ssl::context::tls_server);
  boost::system::error_code ec;
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native,
                                tls.min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  // No renegotiation, no compression, server's cipher order (as MySQL's own setup).
  SSL_CTX_set_options(
      native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(native, tls.ciphers.c_str()) != 1) {
    error = "listen.tls.ciphers '" + tls.ciphers + "': no cipher OpenSSL knows";
    ERR_clear_error();
    return nullptr;
  }
  ctx->use_certificate_chain_file(tls.cert, ec);
  if (!step(error, "listen.tls.cert", tls.cert, ec)) return nullptr;
  ctx->use_private_key_file(tls.key, asio_ssl::context::pem, ec);
  if (!step(error, "listen.tls.key", tls.key, ec)) return nullptr;
  if (SSL_CTX_check_private_key(native) != 1) {
    error = "listen.tls.key " + tls.key + " does not match listen.tls.cert " + tls.cert;
    ERR_clear_error();
    return nullptr;
  }
  if (!tls.ca.empty()) {
    ctx->load_verify_file(tls.ca, ec);
    if (!step(error, "listen.tls.ca", tls.ca, ec)) return nullptr;
    // Clients must present a certificate signed by `ca` (as MySQL's REQUIRE X509).
    ctx->set_verify_mode(asio_ssl::verify_peer | asio_ssl::verify_fail_if_no_peer_cert);
  }
  // No server-side session cache (each context would keep its own); tickets still work.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

tls_context_ptr make_backend_tls(const config::backend_tls_config& tls, std::string& error) {
  if (tls.mode == config::backend_tls_mode::disabled) return nullptr;
  auto ctx = std::make_shared<asio_ssl::context>(asio_ssl::context::tls_client);
  boost::system::error_code ec;
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (!tls.ca.empty()) {
    ctx->load_verify_file(tls.ca, ec);
    if (!step(error, "tls.ca", tls.ca, ec)) return nullptr;
  }
  if (!tls.cert.empty()) {
    ctx->use_certificate_chain_file(tls.cert, ec);
    if (!step(error, "tls.cert", tls.cert, ec)) return nullptr;
    ctx->use_private_key_file(tls.key, asio_ssl::context::pem, ec);
    if (!step(error, "tls.key", tls.key, ec)) return nullptr;
  }
  const bool verify = tls.mode == config::backend_tls_mode::verify_ca ||
                      tls.mode == config::backend_tls_mode::verify_identity;
  ctx->set_verify_mode(verify ? asio_ssl::verify_peer : asio_ssl::verify_none);
  return ctx;
}

namespace {
void append_file(std::string& out, const std::string& path) {
  if (path.empty()) return;
  std::ifstream in(path, std::ios::binary);
  out += path;
  out.push_back('\0');
  out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  out.push_back('\0');
}
}  // namespace

std::shared_ptr<const tls_set> make_tls_set(const config::config& cfg, std::string& error) {
  auto set = std::make_shared<tls_set>();
  const auto& lt = cfg.listen.tls;
  if (lt.enabled()) {
    set->listener = make_server_tls(lt, error);
    if (!set->listener) return nullptr;
    append_file(set->files, lt.cert);
    append_file(set->files, lt.key);
    append_file(set->files, lt.ca);
  }
  for (const auto& c : cfg.clusters) {
    set->clusters.push_back(make_backend_tls(c.tls, error));
    if (!error.empty()) {
      error = "clusters." + c.name + "." + error;
      return nullptr;
    }
    append_file(set->files, c.tls.ca);
    append_file(set->files, c.tls.cert);
    append_file(set->files, c.tls.key);
  }
  return set;
}

}  // namespace shardgate::net
