#include "multus/result_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/base64.h"
#include "multus/cache_paths.h"
#include "multus/file_io.h"
#include "multus/json_parse.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using nlohmann::json;
using test::TempDir;

CachedResult SampleResult() {
  CachedResult cached;
  cached.container_id = "3f2a9c";
  cached.ifname = "net1";
  cached.network_name = "macvlan-conf";
  cached.netns = "/var/run/netns/cni-1234";
  cached.config =
      R"({"cniVersion":"1.0.0","name":"macvlan-conf","type":"macvlan","n":12345678901234567890})";
  cached.cni_args = {{"IgnoreUnknown", "true"}, {"K8S_POD_NAMESPACE", "default"}};
  cached.capability_args = R"({"mac":"c2:11:22:33:44:55"})";
  cached.result =
      R"({"cniVersion":"1.0.0","interfaces":[{"name":"net1","mac":"c2:11:22:33:44:55","sandbox":"/var/run/netns/cni-1234"}],"ips":[{"address":"10.1.1.5/24","interface":0}]})";
  return cached;
}

TEST(CacheResultTest, RoundTripsCniCacheV1) {
  const CachedResult want = SampleResult();
  const std::string text = SerializeCachedResult(want);
  const json doc = json::parse(text);
  EXPECT_EQ(doc["kind"], "cniCacheV1");
  EXPECT_EQ(doc["config"], Base64Encode(want.config));
  EXPECT_EQ(doc["ifName"], "net1");
  EXPECT_EQ(doc["networkName"], "macvlan-conf");
  EXPECT_EQ(doc["cniArgs"],
            json::parse(R"([["IgnoreUnknown","true"],["K8S_POD_NAMESPACE","default"]])"));
  EXPECT_TRUE(doc["capabilityArgs"].is_object());
  EXPECT_TRUE(doc["result"].is_object());

  auto got = ParseCachedResult(text);
  ASSERT_TRUE(got.ok()) << got.status().msg();
  EXPECT_EQ(got->container_id, want.container_id);
  EXPECT_EQ(got->ifname, want.ifname);
  EXPECT_EQ(got->network_name, want.network_name);
  EXPECT_EQ(got->netns, want.netns);
  EXPECT_EQ(got->config, want.config);
  EXPECT_EQ(got->cni_args, want.cni_args);
  EXPECT_EQ(got->capability_args, want.capability_args);  // compact input stays identical
  EXPECT_EQ(got->result, want.result);                    // member order kept
}

TEST(CacheResultTest, ReadsLibcniFileWithOmittedMembers) {
  const std::string text = R"({"kind":"cniCacheV1","containerId":"c","config":")" +
                           Base64Encode(R"({"name":"n"})") +
                           R"(","ifName":"eth0","networkName":"n"})";
  auto got = ParseCachedResult(text);
  ASSERT_TRUE(got.ok()) << got.status().msg();
  EXPECT_EQ(got->config, R"({"name":"n"})");
  EXPECT_EQ(got->netns, "");
  EXPECT_TRUE(got->cni_args.empty());
  EXPECT_EQ(got->capability_args, "{}");
  EXPECT_EQ(got->result, "");
}

TEST(CacheResultTest, BadResultCachesAreCode101) {
  const std::string cfg = Base64Encode("{}");
  const std::string errors[] = {
      "",
      "[]",
      R"({"containerId":"c"})",
      R"({"kind":"multusPlanV1","containerId":"c","config":")" + cfg +
          R"(","ifName":"e","networkName":"n"})",
      R"({"kind":"cniCacheV1","config":")" + cfg + R"(","ifName":"e","networkName":"n"})",
      R"({"kind":"cniCacheV1","containerId":"c","ifName":"e","networkName":"n"})",
      R"({"kind":"cniCacheV1","containerId":"c","config":"!!!!","ifName":"e","networkName":"n"})",
      R"({"kind":"cniCacheV1","containerId":"c","config":")" + cfg +
          R"(","ifName":"e","networkName":"n","result":[1]})",
      // Audit finding 10: what GC builds paths and DELs from is validated like the env.
      R"({"kind":"cniCacheV1","containerId":"../../x","config":")" + cfg +
          R"(","ifName":"e","networkName":"n"})",
      R"({"kind":"cniCacheV1","containerId":"c","config":")" + cfg +
          R"(","ifName":"../lo","networkName":"n"})",
      R"({"kind":"cniCacheV1","containerId":"c","config":")" + cfg +
          R"(","ifName":"e","networkName":"../n"})",
      R"({"kind":"cniCacheV1","containerId":"c","config":")" + cfg +
          R"(","ifName":"e","networkName":"n","netns":"proc/1/ns/net"})",
  };
  for (const std::string& bytes : errors) {
    SCOPED_TRACE(bytes);
    auto got = ParseCachedResult(bytes);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), code::kCorruptCache);
  }
}

TEST(CacheResultTest, ListSkipsInvalidUnreadableAndTempFiles) {
  TempDir tmp;
  EXPECT_TRUE(ListResultCaches(tmp.path() + "/missing").empty());

  CachedResult a = SampleResult();
  CachedResult b = SampleResult();
  b.ifname = "eth0";
  b.network_name = "cbr0";
  const std::string pa = ResultCachePath(tmp.path(), a.network_name, a.container_id, a.ifname);
  const std::string pb = ResultCachePath(tmp.path(), b.network_name, b.container_id, b.ifname);
  ASSERT_TRUE(WriteFileAtomic(pa, SerializeCachedResult(a)).ok());
  ASSERT_TRUE(WriteFileAtomic(pb, SerializeCachedResult(b)).ok());
  const std::string results = ResultsDir(tmp.path());
  ASSERT_TRUE(WriteFileAtomic(results + "/garbage", "not json").ok());
  ASSERT_TRUE(WriteFileAtomic(results + "/.x.tmp-1-2-3", SerializeCachedResult(a)).ok());
  ASSERT_EQ(::mkdir((results + "/subdir").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(results + "/unreadable", SerializeCachedResult(a)).ok());
  ASSERT_EQ(::chmod((results + "/unreadable").c_str(), 0), 0);

  const auto entries = ListResultCaches(tmp.path());
  std::vector<std::string> paths;
  for (const auto& e : entries) paths.push_back(e.path);
  // "unreadable" (root can read it) holds a valid cache of another name: a file must be the
  // one its content names, so it is skipped either way.
  EXPECT_EQ(paths, (std::vector<std::string>{pb, pa}));
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0].cached.network_name, "cbr0");
  EXPECT_EQ(entries[1].cached.ifname, "net1");
}

// Fuzz findings (tests/fuzz/crashes/*-deep-*): capability args and results that pass the input
// depth limit sit a few levels deeper once wrapped in our caches, which then did not load, so
// DEL could not release what ADD made. Our own files are read with a little more room.
std::string NestedArrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(CacheDepthTest, WhatPassedTheInputLimitReadsBackFromTheResultCache) {
  const std::string deep = NestedArrays(kMaxJsonDepth - 1);
  CachedResult cached = SampleResult();
  cached.result = R"({"cniVersion":"1.0.0","x":)" + deep + "}";
  auto result = ParseCachedResult(SerializeCachedResult(cached));
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(result->result, cached.result);

  // The room is bounded: a cache nested far deeper is still refused as corrupt.
  auto hostile = ParseCachedResult(R"({"kind":"cniCacheV1","result":{"x":)" +
                                   NestedArrays(kMaxOwnFileJsonDepth) + "}}");
  ASSERT_FALSE(hostile.ok());
  EXPECT_NE(hostile.status().msg().find("nested deeper"), std::string::npos);
}

TEST(CacheResultTest, ReadsOnlyTheResultMemberForAPrevResult) {
  CachedResult cached{"cid",
                      "net1",
                      "n",
                      "/ns",
                      R"({"name":"n"})",
                      {},
                      "{}",
                      R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.2/24"}]})"};
  Result<json> member = ReadCachedResultMember(SerializeCachedResult(cached));
  ASSERT_TRUE(member.ok()) << member.status().msg();
  EXPECT_EQ(*member, json::parse(cached.result));

  cached.result.clear();
  member = ReadCachedResultMember(SerializeCachedResult(cached));
  ASSERT_TRUE(member.ok()) << member.status().msg();
  EXPECT_TRUE(member->is_null());

  for (const char* bad : {"", "[]", R"({"kind":"other","result":{}})", R"({"kind":5})"}) {
    Result<json> corrupt = ReadCachedResultMember(bad);
    EXPECT_EQ(corrupt.status().code(), code::kCorruptCache) << bad;
  }
}

}  // namespace
}  // namespace multus
