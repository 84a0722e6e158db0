// The only file that sees CURL*. libcurl is linked in (statically in release builds: see
// cmake/Dependencies.cmake), so nothing is loaded from the host at run time.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <mutex>

#include "multus/http_transport.h"

namespace multus {
namespace {

// OpenSSL must never read the host's openssl.cnf: it can name engines or providers to load
// with dlopen, which a static binary cannot do safely, and a node's crypto policy is not the
// apiserver's. Done once, before curl's own initialisation would load the config.
bool InitCurl() {
  static const bool ok = OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) == 1 &&
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

class CurlTransport : public HttpTransport {
 public:
  CurlTransport(CURL* handle, KubeConfig config) : handle_(handle), config_(std::move(config)) {}
  ~CurlTransport() override {
    if (connect_to_ != nullptr) curl_slist_free_all(connect_to_);
    curl_easy_cleanup(handle_);
  }

  Status Configure() {
    Set(CURLOPT_NOSIGNAL, 1L);
    Set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    Set(CURLOPT_SSL_VERIFYPEER, config_.insecure ? 0L : 1L);
    Set(CURLOPT_SSL_VERIFYHOST, config_.insecure ? 0L : 2L);
    Set(CURLOPT_USERAGENT, "multus-cpp");
    if (!config_.ca_pem.empty()) {
      curl_blob ca{config_.ca_pem.data(), config_.ca_pem.size(), CURL_BLOB_COPY};
      if (curl_easy_setopt(handle_, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) {
        return Status::InvalidConfig("kubeconfig: the certificate authority cannot be used");
      }
    } else if (const char* bundle = SystemCaBundle(); bundle != nullptr) {
      Set(CURLOPT_CAINFO, bundle);
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob cert{config_.client_cert_pem.data(), config_.client_cert_pem.size(),
                     CURL_BLOB_COPY};
      curl_blob key{config_.client_key_pem.data(), config_.client_key_pem.size(), CURL_BLOB_COPY};
      Set(CURLOPT_SSLCERTTYPE, "PEM");
      if (curl_easy_setopt(handle_, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
          curl_easy_setopt(handle_, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK) {
        return Status::InvalidConfig("kubeconfig: the client certificate cannot be used");
      }
    }
    base_url_ = config_.server;
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    if (!config_.tls_server_name.empty()) {
      // Verify (and send SNI for) tls-server-name while connecting to the real server.
      std::string real = HostPort(config_.server);
      std::string port = real.substr(real.rfind(':') + 1);
      std::string rule = config_.tls_server_name + ":" + port + ":" + real;
      connect_to_ = curl_slist_append(nullptr, rule.c_str());
      Set(CURLOPT_CONNECT_TO, connect_to_);
      base_url_ = "https://" + config_.tls_server_name + ":" + port;
    }
    return OkStatus();
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    HttpResponse response;
    std::string url = base_url_ + request.path;
    curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
    if (!request.content_type.empty()) {
      headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
    }
    if (!request.bearer_token.empty()) {
      headers =
          curl_slist_append(headers, ("Authorization: Bearer " + request.bearer_token).c_str());
    }
    Set(CURLOPT_URL, url.c_str());
    Set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
    Set(CURLOPT_HTTPHEADER, headers);
    if (request.method == "GET") {
      Set(CURLOPT_HTTPGET, 1L);
      Set(CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    } else {
      Set(CURLOPT_POSTFIELDS, request.body.c_str());
      Set(CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    Set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    Set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
    Set(CURLOPT_WRITEFUNCTION, AppendBody);
    Set(CURLOPT_WRITEDATA, &response.body);
    Set(CURLOPT_HEADERFUNCTION, CaptureRetryAfter);
    Set(CURLOPT_HEADERDATA, &response.retry_after);
    char error_text[CURL_ERROR_SIZE] = "";
    Set(CURLOPT_ERRORBUFFER, error_text);
    CURLcode result = curl_easy_perform(handle_);
    Set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    Set(CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    curl_slist_free_all(headers);
    if (result != CURLE_OK) return Failure(request, result, error_text);
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  // A request that got no HTTP answer, classified for the retry loop and for the user.
  Result<HttpResponse> Failure(const HttpRequest& request, CURLcode result,
                               const char* error_text) const {
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
        return Status::InvalidConfig(
            what, "the kubeconfig's client certificate, key or CA cannot be used");
      default:
        return Status::TryAgainLater(what,
                                     "the apiserver at " + config_.server + " did not answer");
    }
  }

  template <typename T>
  void Set(CURLoption option, T value) {
    curl_easy_setopt(handle_, option, value);
  }

  CURL* handle_;
  KubeConfig config_;
  std::string base_url_;
  curl_slist* connect_to_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> MakeCurlTransport(const KubeConfig& config) {
  if (!InitCurl()) return Status::IoFailure("cannot initialise libcurl and OpenSSL");
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return Status::IoFailure("curl_easy_init failed");
  auto transport = std::make_unique<CurlTransport>(handle, config);
  RETURN_IF_ERROR(transport->Configure());
  return std::unique_ptr<HttpTransport>(std::move(transport));
}

}  // namespace multus
