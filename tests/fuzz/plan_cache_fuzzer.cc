// The scratch cache <cniDir>/<containerID>: ours ("multusPlanV1") or upstream multus v4's
// (a JSON array of delegates with base64 "Bytes"). A parsed plan, saved and loaded again,
// is the same plan, and saving it again gives the same bytes.
#include "fuzz_util.h"
#include "multus/cache.h"

namespace multus {
namespace {

bool SameDelegate(const PlannedDelegate& a, const PlannedDelegate& b) {
  return a.display_name == b.display_name && a.conf.bytes == b.conf.bytes && a.ifname == b.ifname &&
         a.master == b.master && a.add_cni_args == b.add_cni_args &&
         a.default_route == b.default_route && a.device_id == b.device_id &&
         a.resource_name == b.resource_name && a.del_done == b.del_done &&
         a.del_failures == b.del_failures;
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  Result<NetworkPlan> plan = ParsePlanCache(text, "3f2a9c1e5b7d", "/var/run/netns/cni-1", "eth0");
  if (!plan.ok()) {
    FUZZ_CHECK(plan.status().code() == code::kCorruptCache, plan.status().msg());
    return 0;
  }
  FUZZ_CHECK(!plan->delegates.empty(), "a plan without delegates was accepted");
  for (const PlannedDelegate& d : plan->delegates) {
    FUZZ_CHECK(!d.ifname.empty(), "a delegate without an interface name was accepted");
  }
  const std::string saved = SerializePlan(*plan);
  Result<NetworkPlan> loaded = ParsePlanCache(saved, "other", "/other", "eth9");
  FUZZ_CHECK(loaded.ok(), "our own cache does not load: " + loaded.status().msg() + " in " + saved);
  FUZZ_CHECK(loaded->container_id == plan->container_id && loaded->netns == plan->netns &&
                 loaded->pod_namespace == plan->pod_namespace &&
                 loaded->pod_name == plan->pod_name && loaded->pod_uid == plan->pod_uid,
             "plan identity changed: " + saved);
  FUZZ_CHECK(loaded->delegates.size() == plan->delegates.size(), saved);
  for (size_t i = 0; i < plan->delegates.size(); ++i) {
    FUZZ_CHECK(SameDelegate(loaded->delegates[i], plan->delegates[i]),
               "delegate " + std::to_string(i) + " changed: " + saved);
  }
  FUZZ_CHECK(SerializePlan(*loaded) == saved, "saving again differs: " + saved);
  return 0;
}
