// OpenSSL contexts built from the configuration: the listener's (listen.tls) and one per
// cluster for its backend connections (clusters.NAME.tls). Built again at every reload,
// so renewed certificate files take effect then. A context is shared by the worker
// threads (OpenSSL's SSL_CTX is safe for that once configured).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "config/config.hpp"

namespace shardgate::net {

using tls_context_ptr = std::shared_ptr<boost::asio::ssl::context>;

// Null with `error` set (naming the file and OpenSSL's reason) when a file does not load.
tls_context_ptr make_server_tls(const config::listen_tls_config& tls, std::string& error);
// Null for mode disabled (and no error).
tls_context_ptr make_backend_tls(const config::backend_tls_config& tls, std::string& error);

// Every context one configuration needs, and what its files held (a reload whose YAML is
// unchanged still applies renewed certificates: `files` differs then).
struct tls_set {
  tls_context_ptr listener;               // null: listen.tls not set
  std::vector<tls_context_ptr> clusters;  // by cluster index; null: tls.mode disabled
  std::string files;                      // the contents of every file read
};
// Null with `error` ("clusters.NAME.tls.ca /path: reason") when a file does not load.
std::shared_ptr<const tls_set> make_tls_set(const config::config& cfg, std::string& error);

}  // namespace shardgate::net
