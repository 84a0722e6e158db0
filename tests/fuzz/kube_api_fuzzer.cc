// Replies of the Kubernetes API (pod, NetworkAttachmentDefinition, Status objects of errors),
// decoded by KubeClient and used as ADD uses them. The input scripts the apiserver: replies
// separated by "\n---\n", each "<status>[ <Retry-After>]\n<body>" or just a body (200).
// The client reads the pod, a NAD, resolves the pod's annotations through the NADs, writes
// network-status (PATCH, or GET + PUT after a 403) and posts an event.
#include <charconv>
#include <deque>

#include "fuzz_util.h"
#include "multus/annotations.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/kube_client.h"
#include "multus/nad_network.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"
#include "multus/pod_networks.h"

namespace multus {
namespace {

HttpResponse ParseReply(std::string_view chunk) {
  HttpResponse response{200, std::string(chunk), ""};
  const size_t newline = chunk.find('\n');
  const std::string_view head = chunk.substr(0, newline);
  long status = 0;
  auto [end, error] = std::from_chars(head.data(), head.data() + head.size(), status);
  if (error != std::errc() || end == head.data() || (status != 0 && status < 100) || status > 599) {
    return response;
  }
  const std::string_view rest = head.substr(end - head.data());  // "" or " <Retry-After>"
  if (!rest.empty() && rest.front() != ' ') return response;
  response.status = status;
  if (!rest.empty()) response.retry_after = rest.substr(1);
  response.body = newline == std::string_view::npos ? "" : std::string(chunk.substr(newline + 1));
  return response;
}

// Answers from the script; once it is used up, every request fails as a broken connection
// that must not be retried (code 5), so the client's retry loop always ends.
class ScriptedTransport : public HttpTransport {
 public:
  explicit ScriptedTransport(std::string_view script) {
    for (std::string_view chunk : fuzz::Split(script, "\n---\n"))
      replies_.push_back(ParseReply(chunk));
  }
  Result<HttpResponse> Send(const HttpRequest&) override {
    if (replies_.empty()) return Status::IoFailure("script exhausted");
    HttpResponse reply = std::move(replies_.front());
    replies_.pop_front();
    return reply;
  }

 private:
  std::deque<HttpResponse> replies_;
};

void UsePod(KubeClient& client, const NetConf& conf, const Pod& pod) {
  KubeNadLookup nads(client, conf);
  DeviceAllocator devices(fuzz::ScratchDir() + "/no-checkpoint", pod.uid);
  NetConf with_cluster = conf;
  with_cluster.delegates = {
      LoadDelegateConf(R"({"cniVersion":"0.3.1","name":"k8s-pod-network","type":"calico"})")
          .value()};
  Result<std::vector<ResolvedNetwork>> networks =
      ResolvePodNetworks(with_cluster, pod, nads, devices);
  if (!networks.ok()) return;
  for (const ResolvedNetwork& network : *networks) {
    // What a network carries is what its bytes load to.
    Result<DelegateConf> delegate = LoadDelegateConf(network.conf.bytes);
    FUZZ_CHECK(delegate.ok(), delegate.status().msg() + " in " + network.conf.bytes);
    FUZZ_CHECK(delegate->name == network.conf.name,
               "the loaded name differs: " + network.conf.bytes);
  }
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  ScriptedTransport transport(text);
  KubeConfig config;
  config.server = "https://10.96.0.1:443";
  config.token = "fuzz-token";
  KubeClient client(transport, config, RetryPolicy{}, [](std::chrono::milliseconds) {});
  NetConf conf;
  conf.conf_dir = fuzz::ScratchDir();

  Result<std::optional<Pod>> pod = client.GetPod("default", "web-0");
  if (pod.ok() && pod->has_value()) {
    FUZZ_CHECK((*pod)->namespace_name == "default" && (*pod)->name == "web-0", "pod identity");
    UsePod(client, conf, **pod);
  }
  Result<std::optional<Nad>> nad = client.GetNad("default", "macvlan-conf");
  if (nad.ok() && nad->has_value()) (void)NetworkFromNad(**nad, conf);
  (void)client.SetPodAnnotation("default", "web-0", kNetworkStatusAnnotation,
                                R"([{"name":"k8s-pod-network","interface":"eth0","dns":{}}])");
  Pod event_pod{"default", "web-0", "9a3e1c64", {}, false};
  (void)client.PostEvent(event_pod, "Warning", "AddedInterface", "Add net1 [10.1.1.5/24]");
  return 0;
}
