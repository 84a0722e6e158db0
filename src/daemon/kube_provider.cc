#include "kube_provider.h"

namespace multus::daemon {

KubeConnector MakeKubeConnector() {
  // TODO(watch cache): return [cache](...) { KubeAccess a; a.client = cache->Client(); ... }.
  return ConnectKubernetes;
}

}  // namespace multus::daemon
