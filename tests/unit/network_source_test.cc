#include "multus/network_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "multus/net_conf.h"
#include "testing/loaded_conf.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using test::TempDir;
using test::WriteFile;

std::string Conf(const std::string& name, const std::string& type = "bridge") {
  return R"({"cniVersion":"0.4.0","name":")" + name + R"(","type":")" + type + R"("})";
}

std::string List(const std::string& name) {
  return R"({"cniVersion":"1.0.0","name":")" + name +
         R"(","plugins":[{"type":"bridge"},{"type":"tuning"}]})";
}

const char kMultusConf[] =
    R"({"cniVersion":"1.0.0","name":"multus-cni-network","type":"multus","delegates":[{"name":"x","type":"bridge"}]})";

TEST(FindConfigByNameTest, FindsConfsListsAndJsonFilesByName) {
  TempDir dir;
  WriteFile(dir / "10-a.conf", Conf("a"));
  WriteFile(dir / "20-b.conflist", List("b"));
  WriteFile(dir / "30-c.json", Conf("c"));
  WriteFile(dir / "40-d.txt", Conf("d"));
  struct Case {
    std::string name, bytes;
  };
  const Case cases[] = {{"a", Conf("a")}, {"b", List("b")}, {"c", Conf("c")}};
  for (const Case& c : cases) {
    Result<ResolvedNetwork> found = FindConfigByName(dir.path(), c.name);
    ASSERT_TRUE(found.ok()) << c.name << ": " << found.status().msg();
    EXPECT_EQ(found->display_name, c.name);
    EXPECT_EQ(found->conf.bytes, c.bytes);
    EXPECT_EQ(found->ifname_request, "");
  }
  Result<ResolvedNetwork> missing = FindConfigByName(dir.path(), "d");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::kInvalidConfig);
  EXPECT_EQ(missing.status().msg(), "no network available in the name d in cni dir " + dir.path());
}

TEST(FindConfigByNameTest, FirstFileByNameWinsAndBrokenFilesAreSkipped) {
  TempDir dir;
  WriteFile(dir / "05-broken.conf", "{ not json");
  WriteFile(dir / "06-notype.conf", R"({"name":"net"})");
  WriteFile(dir / "07-list-as-conflist.conflist", Conf("net"));  // .conflist must be a list
  WriteFile(dir / "10-net.conf", R"({"cniVersion":"0.3.1","name":"net","type":"first"})");
  WriteFile(dir / "20-net.conf", R"({"cniVersion":"0.3.1","name":"net","type":"second"})");
  Result<ResolvedNetwork> found = FindConfigByName(dir.path(), "net");
  ASSERT_TRUE(found.ok()) << found.status().msg();
  EXPECT_EQ(found->conf.bytes, R"({"cniVersion":"0.3.1","name":"net","type":"first"})");
}

TEST(FindConfigByNameTest, NeverReturnsMultusItself) {
  TempDir dir;
  WriteFile(dir / "00-multus.conf", kMultusConf);
  Result<ResolvedNetwork> found = FindConfigByName(dir.path(), "multus-cni-network");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), code::kInvalidConfig);
}

TEST(FindConfigByNameTest, MissingDirectoryFindsNothing) {
  Result<ResolvedNetwork> found = FindConfigByName("/nonexistent/multus-unit-test", "a");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), code::kInvalidConfig);
}

TEST(LoadConfigFromPathTest, LoadsAFileByItsExtension) {
  TempDir dir;
  WriteFile(dir / "a.conf", Conf("a"));
  WriteFile(dir / "b.conflist", List("b"));
  WriteFile(dir / "c.anything", Conf("c"));
  WriteFile(dir / "d.conf", List("d"));  // a list in a .conf file is still accepted
  struct Case {
    std::string file, name, bytes;
  };
  const Case cases[] = {{"a.conf", "a", Conf("a")},
                        {"b.conflist", "b", List("b")},
                        {"c.anything", "c", Conf("c")},
                        {"d.conf", "d", List("d")}};
  for (const Case& c : cases) {
    Result<ResolvedNetwork> loaded = LoadConfigFromPath(dir / c.file);
    ASSERT_TRUE(loaded.ok()) << c.file << ": " << loaded.status().msg();
    EXPECT_EQ(loaded->display_name, c.name);
    EXPECT_EQ(loaded->conf.bytes, c.bytes);
  }
}

TEST(LoadConfigFromPathTest, DirectoryUsesTheAlphabeticallyFirstConfig) {
  TempDir dir;
  WriteFile(dir / "00-multus.conf", kMultusConf);
  WriteFile(dir / "05-readme.txt", "hello");
  WriteFile(dir / "10-b.json", Conf("b"));
  WriteFile(dir / "20-a.conf", Conf("a"));
  WriteFile(dir / "30-c.conflist", List("c"));
  Result<ResolvedNetwork> loaded = LoadConfigFromPath(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().msg();
  EXPECT_EQ(loaded->display_name, "b");
  EXPECT_EQ(loaded->conf.bytes, Conf("b"));
}

TEST(LoadConfigFromPathTest, DirectoryConflistComesFirstWhenItSortsFirst) {
  TempDir dir;
  WriteFile(dir / "10-flannel.conflist", List("cbr0"));
  WriteFile(dir / "99-loopback.conf", Conf("lo", "loopback"));
  Result<ResolvedNetwork> loaded = LoadConfigFromPath(dir.path() + "/");
  ASSERT_TRUE(loaded.ok()) << loaded.status().msg();
  EXPECT_EQ(loaded->display_name, "cbr0");
}

TEST(LoadConfigFromPathTest, RejectsBadPaths) {
  TempDir dir;
  WriteFile(dir / "list.conflist", Conf("single"));
  WriteFile(dir / "broken.conf", "{");
  WriteFile(dir / "00-multus.conf", kMultusConf);
  std::filesystem::create_directories(dir / "empty");
  WriteFile(dir / "only-multus/00-multus.conf", kMultusConf);
  WriteFile(dir / "only-text/readme.txt", Conf("x"));
  struct Error {
    std::string path;
    std::string message;  // prefix
  };
  const Error errors[] = {
      {"relative/net.conf", "network path must be absolute: relative/net.conf"},
      {"", "network path must be absolute: "},
      {dir / "missing.conf", "cannot find network: " + (dir / "missing.conf")},
      {dir / "list.conflist",
       "error loading CNI conflist file " + (dir / "list.conflist") + ": no \"plugins\" list"},
      {dir / "broken.conf", "error loading CNI config file " + (dir / "broken.conf") + ": "},
      {dir / "00-multus.conf",
       "refusing to delegate to multus itself: " + (dir / "00-multus.conf")},
      {dir / "empty", "cannot find network: " + (dir / "empty")},
      {dir / "only-multus", "cannot find network: " + (dir / "only-multus")},
      {dir / "only-text", "cannot find network: " + (dir / "only-text")},
      {"/dev/null", "CNI configuration path is not a regular file: /dev/null"},
  };
  for (const Error& e : errors) {
    Result<ResolvedNetwork> loaded = LoadConfigFromPath(e.path);
    ASSERT_FALSE(loaded.ok()) << e.path;
    EXPECT_EQ(loaded.status().code(), code::kInvalidConfig) << e.path;
    EXPECT_EQ(loaded.status().msg().rfind(e.message, 0), 0u) << loaded.status().msg();
  }
}

// A NadLookup answering from a map; records every query.
class FakeNads : public NadLookup {
 public:
  Result<std::optional<ResolvedNetwork>> Find(std::string_view ns, std::string_view name) override {
    std::string key = std::string(ns) + "/" + std::string(name);
    queries.push_back(key);
    if (key == failing) return Status::TryAgainLater("apiserver unavailable");
    auto it = nads.find(key);
    if (it == nads.end()) return std::optional<ResolvedNetwork>();
    return std::optional<ResolvedNetwork>(it->second);
  }
  std::map<std::string, ResolvedNetwork> nads;
  std::vector<std::string> queries;
  std::string failing;
};

std::vector<std::string> Names(const std::vector<ResolvedNetwork>& networks) {
  std::vector<std::string> out;
  for (const auto& network : networks) out.push_back(network.display_name);
  return out;
}

TEST(ResolveStaticNetworksTest, DelegatesModeKeepsBytesAndOrder) {
  NetConf conf;
  conf.delegates = {test::Loaded(Conf("a")), test::Loaded(List("b")),
                    test::Loaded(R"({"name":"c", "type":"x", "n": 12345678901234567890})")};
  for (const char* ns : {"default", "kube-system"}) {  // delegates are never skipped
    Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(conf, ns, nullptr);
    ASSERT_TRUE(networks.ok()) << networks.status().msg();
    EXPECT_EQ(Names(*networks), (std::vector<std::string>{"a", "b", "c"}));
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*networks)[i].conf.bytes, conf.delegates[i].bytes);
  }
}

TEST(ResolveStaticNetworksTest, ClusterNetworkThenDefaultNetworks) {
  TempDir conf_dir, other;
  WriteFile(conf_dir / "00-multus.conf", kMultusConf);
  WriteFile(conf_dir / "10-cluster.conf", Conf("cluster"));
  WriteFile(conf_dir / "20-extra.conflist", List("extra"));
  WriteFile(other / "by-path.conf", Conf("by-path"));
  WriteFile(other / "dir/50-in-dir.conf", Conf("in-dir"));
  NetConf conf;
  conf.conf_dir = conf_dir.path();
  conf.cluster_network = "cluster";
  conf.default_networks = {"extra", other / "by-path.conf", other / "dir"};
  conf.delegates = {test::Loaded(Conf("ignored"))};
  Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(conf, "default", nullptr);
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  EXPECT_EQ(Names(*networks), (std::vector<std::string>{"cluster", "extra", "by-path", "in-dir"}));
  EXPECT_EQ((*networks)[1].conf.bytes, List("extra"));
}

TEST(ResolveStaticNetworksTest, SystemNamespacesGetOnlyTheClusterNetwork) {
  TempDir conf_dir;
  WriteFile(conf_dir / "10-cluster.conf", Conf("cluster"));
  WriteFile(conf_dir / "20-extra.conf", Conf("extra"));
  NetConf conf;
  conf.conf_dir = conf_dir.path();
  conf.cluster_network = "cluster";
  conf.default_networks = {"extra"};
  conf.system_namespaces = {"kube-system", "infra"};
  struct Case {
    std::string ns;
    std::vector<std::string> names;
  };
  const Case cases[] = {{"kube-system", {"cluster"}},
                        {"infra", {"cluster"}},
                        {"default", {"cluster", "extra"}},
                        {"kube-system-2", {"cluster", "extra"}}};
  for (const Case& c : cases) {
    Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(conf, c.ns, nullptr);
    ASSERT_TRUE(networks.ok()) << networks.status().msg();
    EXPECT_EQ(Names(*networks), c.names) << c.ns;
  }
}

TEST(ResolveStaticNetworksTest, ClusterNetworkAsDirectoryOrPath) {
  TempDir dir;
  WriteFile(dir / "net.d/00-multus.conf", kMultusConf);
  WriteFile(dir / "net.d/10-flannel.conflist", List("cbr0"));
  NetConf conf;
  conf.conf_dir = dir / "unused";
  for (const std::string& reference : {dir / "net.d", dir / "net.d/10-flannel.conflist"}) {
    conf.cluster_network = reference;
    Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(conf, "default", nullptr);
    ASSERT_TRUE(networks.ok()) << reference << ": " << networks.status().msg();
    EXPECT_EQ(Names(*networks), std::vector<std::string>{"cbr0"});
  }
}

TEST(ResolveStaticNetworksTest, ReportsWhichReferenceFailed) {
  TempDir conf_dir;
  WriteFile(conf_dir / "10-cluster.conf", Conf("cluster"));
  NetConf conf;
  conf.conf_dir = conf_dir.path();
  struct Error {
    std::string cluster;
    std::vector<std::string> defaults;
    std::string message;  // prefix
  };
  const Error errors[] = {
      {"nope", {}, "failed to get clusterNetwork: cannot find network: nope"},
      {"relative/path", {}, "failed to get clusterNetwork: network path must be absolute"},
      {"cluster", {"nope"}, "failed to get defaultNetworks: cannot find network: nope"},
      {"cluster", {conf_dir / "missing"}, "failed to get defaultNetworks: cannot find network: "},
  };
  for (const Error& e : errors) {
    conf.cluster_network = e.cluster;
    conf.default_networks = e.defaults;
    Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(conf, "default", nullptr);
    ASSERT_FALSE(networks.ok()) << e.cluster;
    EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
    EXPECT_EQ(networks.status().msg().rfind(e.message, 0), 0u) << networks.status().msg();
  }
}

TEST(ResolveNetworkReferenceTest, AsksTheNadLookupFirstInMultusNamespace) {
  TempDir conf_dir;
  WriteFile(conf_dir / "10-a.conf", Conf("a"));
  WriteFile(conf_dir / "20-b.conf", Conf("b"));
  WriteFile(conf_dir / "net.conf", Conf("p"));
  NetConf conf;
  conf.conf_dir = conf_dir.path();
  conf.multus_namespace = "multus";
  FakeNads nads;
  ResolvedNetwork from_nad;
  from_nad.display_name = "multus/a";
  from_nad.conf = test::Loaded(Conf("a-from-nad"));
  nads.nads["multus/a"] = from_nad;

  Result<ResolvedNetwork> a = ResolveNetworkReference("a", conf, &nads);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->display_name, "multus/a");
  EXPECT_EQ(a->conf.bytes, Conf("a-from-nad"));

  Result<ResolvedNetwork> b = ResolveNetworkReference("b", conf, &nads);  // no NAD: file
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->conf.bytes, Conf("b"));

  Result<ResolvedNetwork> path = ResolveNetworkReference(conf_dir / "net.conf", conf, &nads);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->display_name, "p");
  EXPECT_EQ(nads.queries, (std::vector<std::string>{"multus/a", "multus/b"}));  // paths never

  nads.failing = "multus/b";
  Result<ResolvedNetwork> failed = ResolveNetworkReference("b", conf, &nads);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), code::kTryAgainLater);

  Result<ResolvedNetwork> missing = ResolveNetworkReference("zz", conf, &nads);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::kInvalidConfig);
  EXPECT_EQ(missing.status().msg(), "cannot find network: zz");
  EXPECT_NE(missing.status().details().find("multus/zz"), std::string::npos);
}

}  // namespace
}  // namespace multus
