// The only file that sees CURL*. libcurl is dlopen'ed: linking it would add ~30 shared
// libraries (~10 ms) to every CNI call, including those that never talk to the API.
#include <dlfcn.h>

#include <curl/curl.h>

#include <cctype>
#include <mutex>

#include "multus/http_transport.h"

namespace multus {
namespace {

// The libcurl entry points we use, resolved once.
struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

template <typename T>
bool Resolve(void* lib, const char* name, T& fn) {
  fn = reinterpret_cast<T>(dlsym(lib, name));
  return fn != nullptr;
}

const CurlApi* LoadCurl() {
  static CurlApi api;
  static bool loaded = [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return false;
    bool ok = Resolve(lib, "curl_global_init", api.global_init) &&
              Resolve(lib, "curl_easy_init", api.easy_init) &&
              Resolve(lib, "curl_easy_setopt", api.easy_setopt) &&
              Resolve(lib, "curl_easy_perform", api.easy_perform) &&
              Resolve(lib, "curl_easy_getinfo", api.easy_getinfo) &&
              Resolve(lib, "curl_easy_cleanup", api.easy_cleanup) &&
              Resolve(lib, "curl_easy_strerror", api.easy_strerror) &&
              Resolve(lib, "curl_slist_append", api.slist_append) &&
              Resolve(lib, "curl_slist_free_all", api.slist_free_all);
    return ok && api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  }();
  return loaded ? &api : nullptr;
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
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
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
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
  CurlTransport(const CurlApi& api, CURL* handle, KubeConfig config)
      : api_(api), handle_(handle), config_(std::move(config)) {}
  ~CurlTransport() override {
    if (connect_to_ != nullptr) api_.slist_free_all(connect_to_);
    api_.easy_cleanup(handle_);
  }

  Status Configure() {
    Set(CURLOPT_NOSIGNAL, 1L);
    Set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    Set(CURLOPT_SSL_VERIFYPEER, config_.insecure ? 0L : 1L);
    Set(CURLOPT_SSL_VERIFYHOST, config_.insecure ? 0L : 2L);
    Set(CURLOPT_USERAGENT, "multus-cpp");
    if (!config_.ca_pem.empty()) {
      curl_blob ca{config_.ca_pem.data(), config_.ca_pem.size(), CURL_BLOB_COPY};
      if (api_.easy_setopt(handle_, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) {
        return Status(code::kInvalidConfig, "kubeconfig: the certificate authority cannot be used");
      }
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob cert{config_.client_cert_pem.data(), config_.client_cert_pem.size(), CURL_BLOB_COPY};
      curl_blob key{config_.client_key_pem.data(), config_.client_key_pem.size(), CURL_BLOB_COPY};
      Set(CURLOPT_SSLCERTTYPE, "PEM");
      if (api_.easy_setopt(handle_, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
          api_.easy_setopt(handle_, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK) {
        return Status(code::kInvalidConfig, "kubeconfig: the client certificate cannot be used");
      }
    }
    base_url_ = config_.server;
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    if (!config_.tls_server_name.empty()) {
      // Verify (and send SNI for) tls-server-name while connecting to the real server.
      std::string real = HostPort(config_.server);
      std::string port = real.substr(real.rfind(':') + 1);
      std::string rule = config_.tls_server_name + ":" + port + ":" + real;
      connect_to_ = api_.slist_append(nullptr, rule.c_str());
      Set(CURLOPT_CONNECT_TO, connect_to_);
      base_url_ = "https://" + config_.tls_server_name + ":" + port;
    }
    return OkStatus();
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    HttpResponse response;
    std::string url = base_url_ + request.path;
    curl_slist* headers = api_.slist_append(nullptr, "Accept: application/json");
    if (!request.content_type.empty()) {
      headers = api_.slist_append(headers, ("Content-Type: " + request.content_type).c_str());
    }
    if (!request.bearer_token.empty()) {
      headers = api_.slist_append(headers, ("Authorization: Bearer " + request.bearer_token).c_str());
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
    CURLcode result = api_.easy_perform(handle_);
    Set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    api_.slist_free_all(headers);
    if (result != CURLE_OK) {
      int status_code = result == CURLE_SSL_CACERT || result == CURLE_PEER_FAILED_VERIFICATION
                            ? code::kInvalidConfig
                            : code::kTryAgainLater;
      return Status(status_code,
                    request.method + " " + request.path + ": " + api_.easy_strerror(result),
                    status_code == code::kInvalidConfig
                        ? "the apiserver's certificate is not trusted by the kubeconfig's CA"
                        : "the apiserver at " + config_.server + " did not answer");
    }
    api_.easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  template <typename T>
  void Set(CURLoption option, T value) {
    api_.easy_setopt(handle_, option, value);
  }

  const CurlApi& api_;
  CURL* handle_;
  KubeConfig config_;
  std::string base_url_;
  curl_slist* connect_to_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> MakeCurlTransport(const KubeConfig& config) {
  const CurlApi* api = LoadCurl();
  if (api == nullptr) {
    return Status(code::kIoFailure, "cannot load libcurl.so.4",
                  "install libcurl4 on the node to use the Kubernetes API");
  }
  CURL* handle = api->easy_init();
  if (handle == nullptr) return Status(code::kIoFailure, "curl_easy_init failed");
  auto transport = std::make_unique<CurlTransport>(*api, handle, config);
  RETURN_IF_ERROR(transport->Configure());
  return std::unique_ptr<HttpTransport>(std::move(transport));
}

}  // namespace multus
