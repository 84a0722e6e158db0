// HttpTransport::Stream for libcurl: one easy handle per stream, so a watch blocks neither the
// other watches nor Send, which has its own handle; DNS and TLS sessions are shared (site.share).
#include <curl/curl.h>

#include <chrono>
#include <memory>

#include "http_curl.h"

namespace multus::curl {
namespace {

using SteadyClock = std::chrono::steady_clock;

// An error answer (Status JSON) is small; more is not worth keeping.
constexpr size_t kMaxErrorBody = 64 << 10;

struct StreamState {
  StreamState(CURL* h, const StreamControl& c, const StreamSink& sink)
      : handle(h), control(c), on_data(sink) {}
  CURL* handle;
  const StreamControl& control;
  const StreamSink& on_data;
  long status = 0;
  std::string error_body;  // of a non-2xx answer
  SteadyClock::time_point last_data = SteadyClock::now();
  bool ended_by_sink = false;
  bool idle = false;
};

bool Success(long status) { return status >= 200 && status <= 299; }

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  size_t bytes = size * count;
  state->last_data = SteadyClock::now();
  if (state->status == 0) curl_easy_getinfo(state->handle, CURLINFO_RESPONSE_CODE, &state->status);
  if (!Success(state->status)) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, state->error_body.size());
    state->error_body.append(data, std::min(bytes, room));
    return bytes;
  }
  if (state->on_data(std::string_view(data, bytes))) return bytes;
  state->ended_by_sink = true;
  return 0;  // less than given: libcurl aborts the transfer
}

// libcurl calls this about once a second even when nothing arrives: the place to notice a
// shutdown from another thread and a connection that went silent (a dead peer sends no RST).
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<StreamState*>(user);
  if (state->control.stop.stop_requested()) return 1;
  state->idle = SteadyClock::now() - state->last_data > state->control.idle_limit;
  return state->idle ? 1 : 0;
}

void SetStreamOptions(CURL* handle, const HttpRequest& request, StreamState* state) {
  Set(handle, CURLOPT_HTTPGET, 1L);
  Set(handle, CURLOPT_TIMEOUT_MS, 0L);  // a watch lasts as long as the server keeps it
  Set(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
  Set(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  Set(handle, CURLOPT_WRITEFUNCTION, OnData);
  Set(handle, CURLOPT_WRITEDATA, state);
  Set(handle, CURLOPT_NOPROGRESS, 0L);
  Set(handle, CURLOPT_XFERINFOFUNCTION, OnProgress);
  Set(handle, CURLOPT_XFERINFODATA, state);
}

Result<HttpResponse> Outcome(const Site& site, const HttpRequest& request, CURLcode result,
                             const StreamState& state, const char* error_text) {
  bool stopped = result == CURLE_ABORTED_BY_CALLBACK && !state.idle;
  bool ended =
      result == CURLE_OK || stopped || (result == CURLE_WRITE_ERROR && state.ended_by_sink);
  if (ended) {
    long status = state.status;
    if (result == CURLE_OK) curl_easy_getinfo(state.handle, CURLINFO_RESPONSE_CODE, &status);
    return HttpResponse{status, state.error_body, ""};
  }
  if (state.idle) {
    return Status::TryAgainLater(
        request.method + " " + request.path + ": nothing received for " +
            std::to_string(state.control.idle_limit.count() / 1000) + "s",
        "the connection to the apiserver at " + site.config.server + " went silent");
  }
  return Failure(site, request, result, error_text);
}

}  // namespace

Result<HttpResponse> Stream(const Site& site, const HttpRequest& request,
                            const StreamControl& control, const StreamSink& on_data) {
  std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
  if (handle == nullptr) return Status::IoFailure("curl_easy_init failed");
  RETURN_IF_ERROR(Configure(handle.get(), site));
  StreamState state{handle.get(), control, on_data};
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(Headers(request), curl_slist_free_all);
  std::string url = site.base_url + request.path;
  Set(handle.get(), CURLOPT_URL, url.c_str());
  Set(handle.get(), CURLOPT_HTTPHEADER, headers.get());
  SetStreamOptions(handle.get(), request, &state);
  char error_text[CURL_ERROR_SIZE] = "";
  Set(handle.get(), CURLOPT_ERRORBUFFER, error_text);
  CURLcode result = curl_easy_perform(handle.get());
  return Outcome(site, request, result, state, error_text);
}

}  // namespace multus::curl
