#include "multus/http_transport.h"

namespace multus {

Result<HttpResponse> HttpTransport::Stream(const HttpRequest& request, const StreamControl& control,
                                           const StreamSink& on_data) {
  if (control.stop.stop_requested()) return HttpResponse{200, "", ""};
  ASSIGN_OR_RETURN(HttpResponse response, Send(request));
  if (response.status < 200 || response.status > 299) return response;
  on_data(response.body);
  response.body.clear();
  return response;
}

}  // namespace multus
