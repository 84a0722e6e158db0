// With http_curl_stream.cc, the only files that see CURL*. libcurl is linked in (statically in
// release builds: see cmake/Dependencies.cmake), so nothing is loaded from the host at run time.
#include "http_curl.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "multus/http_transport.h"

namespace multus {
namespace {

using curl::Set;

// OpenSSL must never read the host's openssl.cnf: it can name engines or providers to load
// with dlopen, which a static binary cannot do safely, and a node's crypto policy is not the
// apiserver's. Done once, before curl's own initialisation would load the config.
// No clean-up at exit either: the kernel frees the process' memory, while OpenSSL's own
// teardown of its algorithm tables cost 0.8 M instructions and a few syscalls per call.
bool InitCurl() {
  static const bool ok =
      OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr) == 1 &&
      curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

// Where distributions keep their CA bundle (used when the kubeconfig names no CA): Debian and
// Ubuntu, RHEL and Fedora, openSUSE, Alpine and others.
const char* SystemCaBundle() {
  static constexpr std::array<const char*, 4> kPaths = {
      "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
      "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"};
  for (const char* path : kPaths) {
    if (access(path, R_OK) == 0) return path;
  }
  return nullptr;
}

// Pods and NADs are bounded by etcd's 1.5 MB request limit; a body far beyond it is refused
// (returning less than given makes libcurl abort the transfer).
size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  constexpr size_t kMaxBodyBytes = 16 << 20;
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > kMaxBodyBytes) return 0;
  body->append(data, size * count);
  return size * count;
}

size_t CaptureRetryAfter(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string head = line.substr(0, kName.size());
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head == kName) {
      std::string value = line.substr(kName.size());
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
        value.erase(0, 1);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.pop_back();
      *static_cast<std::string*>(user) = value;
    }
  }
  return size * count;
}

// "https://host:port" -> host:port, for CURLOPT_CONNECT_TO with tls-server-name.
std::string HostPort(const std::string& server) {
  size_t start = server.find("://");
  std::string rest = start == std::string::npos ? server : server.substr(start + 3);
  size_t slash = rest.find('/');
  rest = rest.substr(0, slash);
  bool has_port = rest.rfind(':') != std::string::npos && rest.back() != ']';
  return has_port ? rest : rest + ":443";
}

// CURLSH needs a lock per kind of shared data when handles run on several threads.
struct ShareLocks {
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes;
};

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<ShareLocks*>(user)->mutexes[data].lock();
}

void UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<ShareLocks*>(user)->mutexes[data].unlock();
}

// A new watch connection then resolves nothing and resumes the TLS session of the others.
CURLSH* MakeShare(ShareLocks* locks) {
  CURLSH* share = curl_share_init();
  if (share == nullptr) return nullptr;
  curl_share_setopt(share, CURLSHOPT_LOCKFUNC, LockShare);
  curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, UnlockShare);
  curl_share_setopt(share, CURLSHOPT_USERDATA, locks);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return share;
}

void SetBaseUrl(curl::Site& site) {
  site.base_url = site.config.server;
  while (!site.base_url.empty() && site.base_url.back() == '/') site.base_url.pop_back();
  if (site.config.tls_server_name.empty()) return;
  // Verify (and send SNI for) tls-server-name while connecting to the real server.
  std::string real = HostPort(site.config.server);
  std::string port = real.substr(real.rfind(':') + 1);
  std::string rule = site.config.tls_server_name + ":" + port + ":" + real;
  site.connect_to = curl_slist_append(nullptr, rule.c_str());
  site.base_url = "https://" + site.config.tls_server_name + ":" + port;
}

// Easy handles for Send, each keeping its warm connection. A request takes an idle one, or
// makes one while there are fewer than `max_handles`: the plugin allows only one, which its
// events' thread and its status write take in turn; multus-daemon, writing network-status for
// many pods at once, does not queue them all behind one connection (50 parallel ADDs timed out
// that way). New handles resume TLS sessions through the share.
class HandlePool {
 public:
  HandlePool(const curl::Site& site, size_t max_handles) : site_(site), max_handles_(max_handles) {}
  ~HandlePool() {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }

  // Waits until `deadline` at most for a handle to be free (the plugin's one connection may
  // be busy with an event): a request's timeout covers its wait too.
  Result<CURL*> Acquire(std::chrono::steady_clock::time_point deadline) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!returned_.wait_until(lock, deadline,
                                [this] { return !idle_.empty() || made_ < max_handles_; })) {
        return Status::TryAgainLater("every connection to the apiserver stayed busy");
      }
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
      ++made_;
    }
    CURL* handle = curl_easy_init();
    Status configured = handle == nullptr ? Status::IoFailure("curl_easy_init failed")
                                          : curl::Configure(handle, site_);
    if (configured.ok()) return handle;
    if (handle != nullptr) curl_easy_cleanup(handle);
    std::lock_guard<std::mutex> lock(mutex_);
    --made_;
    returned_.notify_one();
    return configured;
  }

  void Release(CURL* handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(handle);
    returned_.notify_one();
  }

 private:
  const curl::Site& site_;
  const size_t max_handles_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<CURL*> idle_;
  size_t made_ = 0;
};

class CurlTransport : public HttpTransport {
 public:
  CurlTransport(KubeConfig config, size_t max_connections) {
    site_.config = std::move(config);
    SetBaseUrl(site_);
    handles_.emplace(site_, std::max<size_t>(max_connections, 1));
  }
  ~CurlTransport() override {
    handles_.reset();  // before the share they use
    if (site_.share != nullptr) curl_share_cleanup(site_.share);
    if (site_.connect_to != nullptr) curl_slist_free_all(site_.connect_to);
  }

  // Makes the first handle now, so that a bad kubeconfig fails here, not at the first request.
  Status Init() {
    site_.share = MakeShare(&locks_);
    if (site_.share == nullptr) return Status::IoFailure("curl_share_init failed");
    ASSIGN_OR_RETURN(CURL * handle, handles_->Acquire(std::chrono::steady_clock::now()));
    handles_->Release(handle);
    return OkStatus();
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    using std::chrono::milliseconds;
    auto start = std::chrono::steady_clock::now();
    Result<CURL*> handle = handles_->Acquire(start + request.timeout);
    if (!handle.ok()) {
      return handle.status().Prefixed(request.method + " " + request.path + ": not sent");
    }
    // Given back even if Perform throws: the plugin has only this one.
    struct Lease {
      HandlePool& pool;
      CURL* handle;
      ~Lease() { pool.Release(handle); }
    } lease{*handles_, *handle};
    auto waited =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    return Perform(*handle, request, std::max(request.timeout - waited, milliseconds(1)));
  }

  Result<HttpResponse> Stream(const HttpRequest& request, const StreamControl& control,
                              const StreamSink& on_data) override {
    return curl::Stream(site_, request, control, on_data);
  }

 private:
  Result<HttpResponse> Perform(CURL* handle, const HttpRequest& request,
                               std::chrono::milliseconds timeout) {
    HttpResponse response;
    std::string url = site_.base_url + request.path;
    curl_slist* headers = curl::Headers(request);
    Set(handle, CURLOPT_URL, url.c_str());
    Set(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    Set(handle, CURLOPT_HTTPHEADER, headers);
    if (request.method == "GET") {
      Set(handle, CURLOPT_HTTPGET, 1L);
      Set(handle, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    } else {
      Set(handle, CURLOPT_POSTFIELDS, request.body.c_str());
      Set(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    Set(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    Set(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
    Set(handle, CURLOPT_WRITEFUNCTION, AppendBody);
    Set(handle, CURLOPT_WRITEDATA, &response.body);
    Set(handle, CURLOPT_HEADERFUNCTION, CaptureRetryAfter);
    Set(handle, CURLOPT_HEADERDATA, &response.retry_after);
    char error_text[CURL_ERROR_SIZE] = "";
    Set(handle, CURLOPT_ERRORBUFFER, error_text);
    CURLcode result = curl_easy_perform(handle);
    Set(handle, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    Set(handle, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    curl_slist_free_all(headers);
    if (result != CURLE_OK) return curl::Failure(site_, request, result, error_text);
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  curl::Site site_;
  ShareLocks locks_;
  std::optional<HandlePool> handles_;
};

}  // namespace

namespace curl {

Status Configure(CURL* handle, const Site& site) {
  const KubeConfig& config = site.config;
  Set(handle, CURLOPT_NOSIGNAL, 1L);
  Set(handle, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  Set(handle, CURLOPT_SSL_VERIFYPEER, config.insecure ? 0L : 1L);
  Set(handle, CURLOPT_SSL_VERIFYHOST, config.insecure ? 0L : 2L);
  Set(handle, CURLOPT_USERAGENT, "multus-cpp");
  if (site.share != nullptr) Set(handle, CURLOPT_SHARE, site.share);
  if (site.connect_to != nullptr) Set(handle, CURLOPT_CONNECT_TO, site.connect_to);
  if (!config.ca_pem.empty()) {
    curl_blob ca{const_cast<char*>(config.ca_pem.data()), config.ca_pem.size(), CURL_BLOB_COPY};
    if (curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) {
      return Status::InvalidConfig("kubeconfig: the certificate authority cannot be used");
    }
  } else if (const char* bundle = SystemCaBundle(); bundle != nullptr) {
    Set(handle, CURLOPT_CAINFO, bundle);
  }
  if (config.client_cert_pem.empty()) return OkStatus();
  curl_blob cert{const_cast<char*>(config.client_cert_pem.data()), config.client_cert_pem.size(),
                 CURL_BLOB_COPY};
  curl_blob key{const_cast<char*>(config.client_key_pem.data()), config.client_key_pem.size(),
                CURL_BLOB_COPY};
  Set(handle, CURLOPT_SSLCERTTYPE, "PEM");
  if (curl_easy_setopt(handle, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
      curl_easy_setopt(handle, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK) {
    return Status::InvalidConfig("kubeconfig: the client certificate cannot be used");
  }
  return OkStatus();
}

curl_slist* Headers(const HttpRequest& request) {
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!request.content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  }
  if (!request.bearer_token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + request.bearer_token).c_str());
  }
  return headers;
}

Result<HttpResponse> Failure(const Site& site, const HttpRequest& request, CURLcode result,
                             const char* error_text) {
  std::string reason = *error_text != '\0' ? error_text : curl_easy_strerror(result);
  std::string what = request.method + " " + request.path + ": " + reason;
  switch (result) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return HttpResponse{0, reason, ""};
    case CURLE_PEER_FAILED_VERIFICATION:
      return Status::InvalidConfig(
          what, "the apiserver's certificate is not trusted by the kubeconfig's CA");
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return Status::InvalidConfig(what,
                                   "the kubeconfig's client certificate, key or CA cannot be used");
    default:
      return Status::TryAgainLater(what,
                                   "the apiserver at " + site.config.server + " did not answer");
  }
}

}  // namespace curl

Result<std::unique_ptr<HttpTransport>> MakeCurlTransport(const KubeConfig& config,
                                                         size_t max_connections) {
  if (!InitCurl()) return Status::IoFailure("cannot initialise libcurl and OpenSSL");
  auto transport = std::make_unique<CurlTransport>(config, max_connections);
  RETURN_IF_ERROR(transport->Init());
  return std::unique_ptr<HttpTransport>(std::move(transport));
}

}  // namespace multus
