// login_rate: how many logins per second a MySQL server (or ShardGate) completes, measured
// with MariaDB Connector/C, so that the client's own cost stays small against the server's.
// Each of T threads connects (TCP, optionally TLS, handshake, authentication), closes
// (COM_QUIT) and starts again. Benchmark use only (benchmarks/logins.py).
//
//   login_rate --port P --user U --password PW [--threads T] [--seconds S] [--tls]
//              [--ca FILE] [--plugin mysql_native_password|caching_sha2_password]
//              [--distinct N]
//
// --distinct N: log in as users U0 .. U(N-1), each exactly once (the threads take the next
//   name from a shared counter), instead of looping for S seconds: the way to measure a
//   caching_sha2_password full authentication, which ShardGate caches per user.
// --plugin: the client's default authentication plugin (MYSQL_DEFAULT_AUTH), the one whose
//   response goes into the first login packet.
// --tls: TLS required (MYSQL_OPT_SSL_ENFORCE); --ca also verifies the server's certificate
//   against FILE and its name (127.0.0.1).
//
// Prints one line: logins=N errors=E seconds=S logins_per_s=R client_cpu_us_per_login=C
// tls_cipher=NAME (the cipher of the first login, "none" without TLS); the first error's
// message goes to stderr. Exit code 1 when any login failed.
#include <mysql.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// mysql/client_plugin.h's value (that header does not compile on its own in Debian 12's
// libmariadb-dev: it includes a private header).
constexpr int authentication_plugin = 2;

struct options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string user;
  std::string password;
  int threads = 4;
  double seconds = 10;
  bool tls = false;
  std::string ca;
  std::string plugin;
  long distinct = 0;  // 0: loop for `seconds`
};

struct totals {
  std::atomic<long> logins{0};
  std::atomic<long> errors{0};
  std::atomic<long> next_user{0};
  std::mutex mutex;  // guards the two strings below
  std::string first_error;
  std::string cipher;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: login_rate --port P --user U --password PW [--host H] [--threads T]\n"
               "       [--seconds S] [--tls] [--ca FILE] [--plugin NAME] [--distinct N]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--host") {
      o.host = value();
    } else if (a == "--port") {
      o.port = static_cast<unsigned>(std::stoul(value()));
    } else if (a == "--user") {
      o.user = value();
    } else if (a == "--password") {
      o.password = value();
    } else if (a == "--threads") {
      o.threads = std::stoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--tls") {
      o.tls = true;
    } else if (a == "--ca") {
      o.ca = value();
    } else if (a == "--plugin") {
      o.plugin = value();
    } else if (a == "--distinct") {
      o.distinct = std::stol(value());
    } else {
      usage();
    }
  }
  if (!o.port || o.user.empty() || o.threads < 1) usage();
  return o;
}

// One login and logout. Returns false (and records the first error) when it failed.
bool login_once(const options& o, const std::string& user, totals& t) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return false;
  const unsigned timeout = 10;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  if (!o.plugin.empty()) mysql_options(m, MYSQL_DEFAULT_AUTH, o.plugin.c_str());
  if (o.tls) {
    const my_bool on = 1;
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    if (!o.ca.empty()) {
      mysql_options(m, MYSQL_OPT_SSL_CA, o.ca.c_str());
      mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
  }
  const bool ok = mysql_real_connect(m, o.host.c_str(), user.c_str(), o.password.c_str(), nullptr,
                                     o.port, nullptr, 0) != nullptr;
  {
    std::lock_guard lock(t.mutex);
    if (!ok && t.first_error.empty()) t.first_error = user + ": " + mysql_error(m);
    if (ok && t.cipher.empty()) {
      const char* c = mysql_get_ssl_cipher(m);
      t.cipher = c ? c : "none";
    }
  }
  mysql_close(m);
  return ok;
}

void worker(const options& o, totals& t, std::chrono::steady_clock::time_point deadline) {
  mysql_thread_init();
  for (;;) {
    std::string user = o.user;
    if (o.distinct) {
      const long i = t.next_user.fetch_add(1);
      if (i >= o.distinct) break;
      user += std::to_string(i);
    } else if (std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    (login_once(o, user, t) ? t.logins : t.errors).fetch_add(1);
  }
  mysql_thread_end();
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  if (mysql_library_init(0, nullptr, nullptr)) {
    std::fprintf(stderr, "mysql_library_init failed\n");
    return 2;
  }
  // Load caching_sha2_password's client plugin (a shared object) before the threads start:
  // Connector/C loads it at first use, and two threads doing that at once make one of the
  // logins fail ("could not be loaded: it is already loaded").
  if (MYSQL* m = mysql_init(nullptr)) {
    if (!mysql_client_find_plugin(m, "caching_sha2_password", authentication_plugin))
      std::fprintf(stderr, "caching_sha2_password client plugin: %s\n", mysql_error(m));
    mysql_close(m);
  }
  totals t;
  const double cpu0 = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> pool;
  for (int i = 0; i < o.threads; ++i)
    pool.emplace_back(worker, std::cref(o), std::ref(t), deadline);
  for (auto& th : pool) th.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu0;
  const long n = t.logins.load();
  std::printf(
      "logins=%ld errors=%ld seconds=%.3f logins_per_s=%.1f client_cpu_us_per_login=%.1f "
      "tls_cipher=%s\n",
      n, t.errors.load(), elapsed, n / elapsed, n ? cpu * 1e6 / n : 0.0,
      t.cipher.empty() ? "none" : t.cipher.c_str());
  if (!t.first_error.empty()) std::fprintf(stderr, "first error: %s\n", t.first_error.c_str());
  mysql_library_end();
  return t.errors.load() ? 1 : 0;
}
