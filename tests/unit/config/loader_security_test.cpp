// Config loader: TLS (listen, clusters), authentication (auth, password_sha256,
// require_tls), where passwords come from (password_env, password_file) and login
// throttling (failed_logins, connect_errors) - happy paths and every error with its
// file:line:column.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "protocol/native_password.hpp"

namespace shardgate::config {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSha256 = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";
constexpr const char* kSha256Rounds =
    "$5$rounds=10000$saltsalt$RUsnTSO2Cw.gkRW/RZSmG6BCeuh1a6eDbZfnX4oz1c5";
const std::string kHash43 = "0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";

// A directory holding the files the configurations name (PEM contents do not matter to
// the loader: it checks that they can be read), and the config file's path in it.
class config_dir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg-loader-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* f : {"ca.pem", "cert.pem", "key.pem", "priv.pem", "pub.pem"})
      write(f, "-----BEGIN X-----\n");
    write("pw.txt", "s3cret\n");
    write("crlf.txt", "two\r\n");
    write("two-lines.txt", "pw\n\n");
    fs::create_directory(dir_ + "/sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  std::string source() const { return dir_ + "/shardgate.yaml"; }

  std::shared_ptr<const config> ok(const std::string& text) {
    auto r = load_string(text, source());
    if (auto* e = std::get_if<load_error>(&r)) {
      ADD_FAILURE() << "unexpected error: " << e->to_string();
      return nullptr;
    }
    return std::get<std::shared_ptr<const config>>(r);
  }

  // `parts` must all appear in the message; "DIR" in a part stands for the directory.
  void error(const std::string& name, const std::string& text, int line, int column,
             std::vector<std::string> parts) {
    SCOPED_TRACE(name);
    auto r = load_string(text, source());
    const auto* e = std::get_if<load_error>(&r);
    ASSERT_NE(e, nullptr) << "loaded without error";
    EXPECT_EQ(e->file, source());
    EXPECT_EQ(e->line, line) << e->to_string();
    EXPECT_EQ(e->column, column) << e->to_string();
    for (auto part : parts) {
      if (auto at = part.find("DIR"); at != std::string::npos) part.replace(at, 3, dir_);
      EXPECT_NE(e->message.find(part), std::string::npos)
          << "'" << part << "' not in: " << e->message;
    }
    EXPECT_EQ(e->to_string(), source() + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                  ": " + e->message);
  }

  std::string dir_;
};

// Cluster keys from line 6 (indent 4).
std::string cluster_doc(const std::string& extra) {
  return "users: [{name: app, password: app}]\nclusters:\n  main:\n    writer: 127.0.0.1:3306\n"
         "    user: app\n" +
         extra + "default_cluster: main\n";
}
// User keys from line 3 (indent 4); `top` after everything.
std::string user_doc(const std::string& extra, const std::string& top = "") {
  return "users:\n  - name: app\n" + extra +
         "clusters: {main: {writer: '127.0.0.1:3306', user: app}}\ndefault_cluster: main\n" + top;
}
// Listen keys from line 5 (indent 2).
std::string listen_doc(const std::string& extra) {
  return "users: [{name: app, password: app}]\n"
         "clusters: {main: {writer: '127.0.0.1:3306', user: app}}\ndefault_cluster: main\n"
         "listen:\n" +
         extra;
}

TEST_F(config_dir, defaults) {
  auto cfg = ok(listen_doc("  port: 6033\n"));
  ASSERT_TRUE(cfg);
  const listen_config& l = cfg->listen;
  EXPECT_FALSE(l.tls.enabled());
  EXPECT_EQ(l.tls.min_version, "TLSv1.2");
  EXPECT_FALSE(l.require_secure_transport);
  EXPECT_EQ(l.rsa_private_key, "");
  EXPECT_EQ(l.rsa_public_key, "");
  EXPECT_EQ(cfg->users[0].auth, auth_plugin::mysql_native_password);
  EXPECT_FALSE(cfg->users[0].require_tls);
  EXPECT_EQ(cfg->users[0].password_sha256, "");
  EXPECT_EQ(cfg->clusters[0].tls.mode, backend_tls_mode::disabled);
  EXPECT_EQ(cfg->clusters[0].password, "");
}

TEST_F(config_dir, everything_set) {
  ::setenv("SG_TEST_SEC_PW", "from-env", 1);
  auto cfg = ok(R"(listen:
  tls: {cert: cert.pem, key: key.pem, ca: ca.pem, min_version: TLSv1.3, ciphers: 'HIGH:!aNULL'}
  require_secure_transport: true
  rsa_private_key: priv.pem
  rsa_public_key: )" +
                dir_ + R"(/pub.pem
  failed_logins: {threshold: 5, min_delay_ms: 500, max_delay_ms: 4000, window_s: 300}
  connect_errors: {max_errors: 10, window_s: 30, block_s: 120}
users:
  - name: app
    password_file: pw.txt
    require_tls: true
  - name: sha
    auth: caching_sha2_password
    password_sha256: ")" +
                kSha256 +
                R"("
  - name: rounds
    auth: caching_sha2_password
    password_sha256: ")" +
                kSha256Rounds + R"("
  - name: sha_clear
    auth: caching_sha2_password
    password_env: SG_TEST_SEC_PW
  - name: native
    auth: mysql_native_password
    password_file: two-lines.txt
clusters:
  a:
    writer: 127.0.0.1:3306
    user: app
    password_file: crlf.txt
    tls: {mode: verify_identity, ca: ca.pem, cert: cert.pem, key: key.pem}
  b:
    writer: 127.0.0.1:3307
    user: app
    password_env: SG_TEST_SEC_PW
    tls: {mode: preferred}
default_cluster: a
)");
  ::unsetenv("SG_TEST_SEC_PW");
  ASSERT_TRUE(cfg);
  const listen_config& l = cfg->listen;
  EXPECT_TRUE(l.tls.enabled());
  EXPECT_EQ(l.tls.cert, dir_ + "/cert.pem");
  EXPECT_EQ(l.tls.key, dir_ + "/key.pem");
  EXPECT_EQ(l.tls.ca, dir_ + "/ca.pem");
  EXPECT_EQ(l.tls.min_version, "TLSv1.3");
  EXPECT_EQ(l.tls.ciphers, "HIGH:!aNULL");
  EXPECT_TRUE(l.require_secure_transport);
  EXPECT_EQ(l.rsa_private_key, dir_ + "/priv.pem");
  EXPECT_EQ(l.rsa_public_key, dir_ + "/pub.pem");  // absolute already
  EXPECT_EQ(l.failed_logins.threshold, 5u);
  EXPECT_EQ(l.failed_logins.min_delay_ms, 500u);
  EXPECT_EQ(l.failed_logins.max_delay_ms, 4000u);
  EXPECT_EQ(l.failed_logins.window_s, 300u);
  EXPECT_EQ(l.connect_errors.max_errors, 10u);
  EXPECT_EQ(l.connect_errors.window_s, 30u);
  EXPECT_EQ(l.connect_errors.block_s, 120u);

  ASSERT_EQ(cfg->users.size(), 5u);
  const user_config& app = cfg->users[0];
  EXPECT_EQ(app.password_stage2, protocol::native_password_stage2("s3cret"));  // newline dropped
  EXPECT_TRUE(app.require_tls);
  EXPECT_EQ(app.auth, auth_plugin::mysql_native_password);
  const user_config& sha = cfg->users[1];
  EXPECT_EQ(sha.auth, auth_plugin::caching_sha2_password);
  EXPECT_EQ(sha.password_sha256, kSha256);
  EXPECT_FALSE(sha.password_stage2);
  EXPECT_EQ(cfg->users[2].password_sha256, kSha256Rounds);
  EXPECT_EQ(cfg->users[3].password_stage2, protocol::native_password_stage2("from-env"));
  EXPECT_EQ(cfg->users[3].password_sha256, "");
  // Only one line end goes.
  EXPECT_EQ(cfg->users[4].password_stage2, protocol::native_password_stage2("pw\n"));

  const cluster_config& a = cfg->clusters[0];
  EXPECT_EQ(a.password, "two");  // "\r\n" is one line end
  EXPECT_EQ(a.tls.mode, backend_tls_mode::verify_identity);
  EXPECT_EQ(a.tls.ca, dir_ + "/ca.pem");
  EXPECT_EQ(a.tls.cert, dir_ + "/cert.pem");
  EXPECT_EQ(a.tls.key, dir_ + "/key.pem");
  EXPECT_EQ(cfg->clusters[1].password, "from-env");
  EXPECT_EQ(cfg->clusters[1].tls.mode, backend_tls_mode::preferred);
  EXPECT_EQ(cfg->clusters[1].tls.ca, "");
}

TEST_F(config_dir, paths_from_a_relative_config_path_are_absolute) {
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  auto r =
      load_string("users: [{name: app, password_file: ../" + fs::path(dir_).filename().string() +
                      "/pw.txt}]\nclusters: {main: {writer: '127.0.0.1:3306', user: app, "
                      "tls: {mode: verify_ca, ca: ca.pem}}}\ndefault_cluster: main\n",
                  "shardgate.yaml");
  fs::current_path(cwd);
  const auto* cfg = std::get_if<std::shared_ptr<const config>>(&r);
  ASSERT_NE(cfg, nullptr) << std::get<load_error>(r).to_string();
  EXPECT_EQ((*cfg)->clusters[0].tls.ca, dir_ + "/ca.pem");
  EXPECT_EQ((*cfg)->users[0].password_stage2, protocol::native_password_stage2("s3cret"));
}

TEST_F(config_dir, names_of_the_new_enums) {
  EXPECT_STREQ(backend_tls_mode_name(backend_tls_mode::disabled), "disabled");
  EXPECT_STREQ(backend_tls_mode_name(backend_tls_mode::preferred), "preferred");
  EXPECT_STREQ(backend_tls_mode_name(backend_tls_mode::required), "required");
  EXPECT_STREQ(backend_tls_mode_name(backend_tls_mode::verify_ca), "verify_ca");
  EXPECT_STREQ(backend_tls_mode_name(backend_tls_mode::verify_identity), "verify_identity");
  EXPECT_STREQ(auth_plugin_name(auth_plugin::mysql_native_password), "mysql_native_password");
  EXPECT_STREQ(auth_plugin_name(auth_plugin::caching_sha2_password), "caching_sha2_password");
}

TEST_F(config_dir, cluster_tls_and_password_errors) {
  error("unknown tls key", cluster_doc("    tls: {mode: required, sni: x}\n"), 6, 27,
        {"unknown key 'sni' in clusters.main.tls", "allowed: mode, ca, cert, key"});
  error("no mode", cluster_doc("    tls: {ca: ca.pem}\n"), 6, 10,
        {"clusters.main.tls: mode is required (disabled, preferred, required, verify_ca, "
         "verify_identity)"});
  error("bad mode", cluster_doc("    tls: {mode: sometimes}\n"), 6, 17,
        {"clusters.main.tls.mode: 'sometimes' is not one of disabled, preferred, required, "
         "verify_ca, verify_identity"});
  error("verify without ca", cluster_doc("    tls: {mode: verify_ca}\n"), 6, 17,
        {"clusters.main.tls.mode verify_ca needs ca"});
  error("cert without key", cluster_doc("    tls: {mode: required, cert: cert.pem}\n"), 6, 33,
        {"clusters.main.tls.cert needs key"});
  error("key without cert", cluster_doc("    tls: {mode: required, key: key.pem}\n"), 6, 32,
        {"clusters.main.tls.key needs cert"});
  error("ca missing", cluster_doc("    tls: {mode: verify_identity, ca: missing.pem}\n"), 6, 38,
        {"clusters.main.tls.ca: cannot read DIR/missing.pem: No such file or directory"});
  error("ca a directory", cluster_doc("    tls: {mode: required, ca: sub}\n"), 6, 31,
        {"clusters.main.tls.ca: DIR/sub is a directory, not a file"});
  error("tls not a mapping", cluster_doc("    tls: required\n"), 6, 10,
        {"clusters.main.tls must be a mapping"});
  error("password and password_file", cluster_doc("    password: x\n    password_file: pw.txt\n"),
        7, 20,
        {"clusters.main: give only one of password, password_env, password_file (password is "
         "given already)"});
  error("password_env and password", cluster_doc("    password_env: X\n    password: y\n"), 7, 15,
        {"(password_env is given already)"});
  error("password_file missing", cluster_doc("    password_file: missing.txt\n"), 6, 20,
        {"clusters.main: password_file: cannot read DIR/missing.txt"});
  error("password_hash on a cluster",
        cluster_doc("    password_hash: \"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n"), 6, 5,
        {"unknown key 'password_hash' in clusters.main"});
}

TEST_F(config_dir, user_auth_errors) {
  const std::string native = "\"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"";
  error("bad auth", user_doc("    auth: sha1\n"), 3, 11,
        {"user 'app': auth 'sha1' is not one of mysql_native_password, caching_sha2_password"});
  error("sha256 for a native user",
        user_doc("    password_sha256: \"" + std::string(kSha256) + "\"\n"), 3, 22,
        {"user 'app': password_sha256 needs auth: caching_sha2_password"});
  const std::string sha2 = "    auth: caching_sha2_password\n    password_sha256: ";
  error("short hash", user_doc(sha2 + "\"$5$salt$short\"\n"), 4, 22,
        {"password_sha256 needs a hash of 43 characters of ./0-9A-Za-z", "$5$[rounds=N$]salt$hash",
         "openssl passwd -5"});
  error("not sha-256", user_doc(sha2 + "\"$6$salt$" + kHash43 + "\"\n"), 4, 22,
        {"password_sha256 does not start with $5$"});
  error("long salt", user_doc(sha2 + "\"$5$12345678901234567$" + kHash43 + "\"\n"), 4, 22,
        {"password_sha256 has a salt over 16 characters"});
  error("few rounds", user_doc(sha2 + "\"$5$rounds=999$salt$" + kHash43 + "\"\n"), 4, 22,
        {"rounds=N must be a number from 1000 to 999999999"});
  error("rounds not a number", user_doc(sha2 + "\"$5$rounds=x$salt$" + kHash43 + "\"\n"), 4, 22,
        {"rounds=N must be a number"});
  error("no hash part", user_doc(sha2 + "\"$5$abcdef\"\n"), 4, 22,
        {"has no '$' between the salt and the hash"});
  error("bad hash characters", user_doc(sha2 + "\"$5$salt$" + kHash43.substr(1) + "!\"\n"), 4, 22,
        {"needs a hash of 43 characters"});
  error("hash and sha256",
        user_doc("    auth: caching_sha2_password\n    password_hash: " + native +
                 "\n    password_sha256: \"" + kSha256 + "\"\n"),
        5, 22, {"(password_hash is given already)"});
  error("password_file and password_env",
        user_doc("    password_file: pw.txt\n    password_env: X\n"), 4, 19,
        {"user 'app': give only one of password, password_env, password_file, password_hash, "
         "password_sha256 (password_file is given already)"});
  error("password_file missing", user_doc("    password_file: missing.txt\n"), 3, 20,
        {"user 'app': password_file: cannot read DIR/missing.txt"});
  error("password_file a directory", user_doc("    password_file: sub\n"), 3, 20,
        {"DIR/sub is a directory"});
  error("require_tls without listen.tls", user_doc("    password: app\n    require_tls: true\n"), 4,
        18, {"user 'app': require_tls needs listen.tls (cert and key)"});
  error("require_tls not a bool", user_doc("    password: app\n    require_tls: maybe\n"), 4, 18,
        {"require_tls must be true or false"});
  error("unknown user key", user_doc("    password: app\n    plugin: x\n"), 4, 5,
        {"unknown key 'plugin' in a users entry", "auth", "password_sha256", "password_file",
         "require_tls"});
  // require_tls with listen.tls (listen comes later in the file: it is read first).
  ASSERT_TRUE(ok(user_doc("    password: app\n    require_tls: true\n",
                          "listen: {tls: {cert: cert.pem, key: key.pem}}\n")));
}

TEST_F(config_dir, listen_tls_and_rsa_errors) {
  error("cert without key", listen_doc("  tls: {cert: cert.pem}\n"), 5, 15,
        {"listen.tls.cert needs key"});
  error("key without cert", listen_doc("  tls: {key: key.pem}\n"), 5, 14,
        {"listen.tls.key needs cert"});
  error("ca without cert", listen_doc("  tls: {ca: ca.pem}\n"), 5, 13,
        {"listen.tls.ca applies only with cert and key"});
  error("old version", listen_doc("  tls: {cert: cert.pem, key: key.pem, min_version: TLSv1.1}\n"),
        5, 52, {"listen.tls.min_version: 'TLSv1.1' is not one of TLSv1.2, TLSv1.3"});
  error("empty ciphers", listen_doc("  tls: {cert: cert.pem, key: key.pem, ciphers: ''}\n"), 5, 48,
        {"listen.tls.ciphers must not be empty"});
  error("cert missing", listen_doc("  tls: {cert: missing.pem, key: key.pem}\n"), 5, 15,
        {"listen.tls.cert: cannot read DIR/missing.pem"});
  error("key missing", listen_doc("  tls: {cert: cert.pem, key: missing.pem}\n"), 5, 30,
        {"listen.tls.key: cannot read DIR/missing.pem"});
  error("unknown tls key", listen_doc("  tls: {cert: cert.pem, key: key.pem, version: x}\n"), 5, 39,
        {"unknown key 'version' in listen.tls", "allowed: cert, key, ca, min_version, ciphers"});
  error("secure transport without tls", listen_doc("  require_secure_transport: true\n"), 5, 29,
        {"listen.require_secure_transport needs listen.tls (cert and key)"});
  error("secure transport not a bool", listen_doc("  require_secure_transport: yes please\n"), 5,
        29, {"listen.require_secure_transport must be true or false"});
  error("private key alone", listen_doc("  rsa_private_key: priv.pem\n"), 5, 20,
        {"listen.rsa_private_key needs listen.rsa_public_key"});
  error("public key alone", listen_doc("  rsa_public_key: pub.pem\n"), 5, 19,
        {"listen.rsa_public_key needs listen.rsa_private_key"});
  error("private key missing",
        listen_doc("  rsa_private_key: missing.pem\n  rsa_public_key: pub.pem\n"), 5, 20,
        {"listen.rsa_private_key: cannot read DIR/missing.pem"});
  error("empty path", listen_doc("  rsa_private_key: ''\n  rsa_public_key: pub.pem\n"), 5, 20,
        {"listen.rsa_private_key must not be empty"});
  // TLS without require_secure_transport, and an explicit false.
  auto cfg =
      ok(listen_doc("  tls: {cert: cert.pem, key: key.pem}\n"
                    "  require_secure_transport: false\n"));
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->listen.tls.enabled());
  EXPECT_FALSE(cfg->listen.require_secure_transport);
  EXPECT_EQ(cfg->listen.tls.ca, "");
}

TEST_F(config_dir, failed_logins_and_connect_errors_errors) {
  error("old max_failures", listen_doc("  failed_logins: {max_failures: 5}\n"), 5, 33,
        {"listen.failed_logins.max_failures was replaced",
         "threshold, min_delay_ms, max_delay_ms, window_s",
         "listen.connect_errors: max_errors, window_s, block_s"});
  error("old block_s", listen_doc("  failed_logins:\n    block_s: 60\n"), 6, 14,
        {"listen.failed_logins.block_s was replaced"});
  error("min over max", listen_doc("  failed_logins: {min_delay_ms: 3000, max_delay_ms: 2000}\n"),
        5, 53, {"listen.failed_logins: min_delay_ms (3000) must not exceed max_delay_ms (2000)"});
  error("min over the default max", listen_doc("  failed_logins: {min_delay_ms: 3000}\n"), 5, 33,
        {"min_delay_ms (3000) must not exceed max_delay_ms (2000)"});
  error("zero delay", listen_doc("  failed_logins: {min_delay_ms: 0}\n"), 5, 33,
        {"listen.failed_logins.min_delay_ms must be between 1 and 3600000"});
  error("threshold not a number", listen_doc("  failed_logins: {threshold: many}\n"), 5, 30,
        {"listen.failed_logins.threshold must be an integer"});
  error("unknown connect_errors key", listen_doc("  connect_errors: {max_errors: 5, block: 1}\n"),
        5, 35,
        {"unknown key 'block' in listen.connect_errors", "allowed: max_errors, window_s, block_s"});
  error("zero block", listen_doc("  connect_errors: {block_s: 0}\n"), 5, 29,
        {"listen.connect_errors.block_s must be between 1 and 604800"});
  error("zero window", listen_doc("  connect_errors: {window_s: 0}\n"), 5, 30,
        {"listen.connect_errors.window_s must be between 1 and 86400"});
  error("too many errors", listen_doc("  connect_errors: {max_errors: 2000000}\n"), 5, 32,
        {"listen.connect_errors.max_errors must be between 0 and 1000000"});
  auto cfg = ok(listen_doc("  connect_errors: {max_errors: 0}\n  failed_logins: {threshold: 0}\n"));
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->listen.connect_errors.max_errors, 0u);
  EXPECT_EQ(cfg->listen.failed_logins.threshold, 0u);
}

}  // namespace
}  // namespace shardgate::config
