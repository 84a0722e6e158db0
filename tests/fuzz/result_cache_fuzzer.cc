// The result cache <cniDir>/results/<net>-<id>-<ifname> (libcni's cniCacheV1, written by us or
// by upstream), and the base64 it carries. Parse -> serialize -> parse keeps every member.
#include "fuzz_util.h"
#include "multus/base64.h"
#include "multus/cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);

  Result<std::string> decoded = Base64Decode(Base64Encode(text));
  FUZZ_CHECK(decoded.ok() && *decoded == text, "base64 does not round-trip");
  (void)Base64Decode(text);

  Result<CachedResult> cached = ParseCachedResult(text);
  if (!cached.ok()) {
    FUZZ_CHECK(cached.status().code() == code::kCorruptCache, cached.status().msg());
    return 0;
  }
  const std::string saved = SerializeCachedResult(*cached);
  Result<CachedResult> loaded = ParseCachedResult(saved);
  FUZZ_CHECK(loaded.ok(), "our own cache does not load: " + loaded.status().msg() + " in " + saved);
  FUZZ_CHECK(loaded->container_id == cached->container_id && loaded->ifname == cached->ifname &&
                 loaded->network_name == cached->network_name && loaded->netns == cached->netns &&
                 loaded->config == cached->config && loaded->cni_args == cached->cni_args,
             "members changed: " + saved);
  FUZZ_CHECK(SerializeCachedResult(*loaded) == saved, "saving again differs: " + saved);
  return 0;
}
