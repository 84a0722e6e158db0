#include "multus/network_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/cni_result.h"

namespace multus {
namespace {

using json = nlohmann::ordered_json;

// A network whose delegate printed `result`; read as ADD reads it, with the delegate config's
// `config_version` for a result that carries none.
AttachedNetwork NetOf(std::string name, std::string ifname, const std::string& result,
                      std::string_view config_version, bool master = false,
                      std::string device_info = "") {
  Result<DelegateResult> read = ReadDelegateResult(result, config_version);
  Result<nlohmann::json> latest = read.ok() ? read->latest : Result<nlohmann::json>(read.status());
  return AttachedNetwork{std::move(name), std::move(ifname), master, std::move(latest),
                         std::move(device_info)};
}

AttachedNetwork Net(std::string name, std::string ifname, const std::string& result,
                    bool master = false, std::string device_info = "") {
  return NetOf(std::move(name), std::move(ifname), result, "1.1.0", master, std::move(device_info));
}

// Builds and parses the annotation (order-preserving), failing the test on error.
json Build(const std::vector<AttachedNetwork>& networks) {
  Result<std::string> got = BuildNetworkStatus(networks);
  EXPECT_TRUE(got.ok()) << got.status().msg() << " / " << got.status().details();
  if (!got.ok()) return json();
  return json::parse(*got);
}

// A bridge-like 1.0.0 result: two host-side interfaces and one in the pod.
constexpr const char* kBridgeResult = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "cni0", "mac": "0a:00:00:00:00:01"},
    {"name": "veth1234", "mac": "0a:00:00:00:00:02"},
    {"name": "eth0", "mac": "0a:58:0a:f4:01:49", "sandbox": "/var/run/netns/x"}
  ],
  "ips": [{"interface": 2, "address": "10.244.1.73/24", "gateway": "10.244.1.1"}],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.244.1.1"}, {"dst": "10.96.0.0/12"}],
  "dns": {}
})";

TEST(NetworkStatusTest, SerializesExactlyLikeUpstream) {
  Result<std::string> got = BuildNetworkStatus(
      {Net("cbr0", "eth0", kBridgeResult, true),
       Net("default/macvlan-conf", "net1",
           R"({"cniVersion":"0.3.1","interfaces":[{"name":"net1","mac":"02:00:00:00:00:05","sandbox":"/ns"}],
               "ips":[{"version":"4","interface":0,"address":"192.168.1.5/24"}]})")});
  ASSERT_TRUE(got.ok()) << got.status().msg();
  EXPECT_EQ(*got, R"([{
    "name": "cbr0",
    "interface": "eth0",
    "ips": [
        "10.244.1.73"
    ],
    "mac": "0a:58:0a:f4:01:49",
    "default": true,
    "dns": {},
    "gateway": [
        "10.244.1.1"
    ]
},{
    "name": "default/macvlan-conf",
    "interface": "net1",
    "ips": [
        "192.168.1.5"
    ],
    "mac": "02:00:00:00:00:05",
    "dns": {}
}])");
}

TEST(NetworkStatusTest, EmptyListIsAnEmptyJsonList) {
  Result<std::string> got = BuildNetworkStatus({});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "[]");
}

TEST(NetworkStatusTest, Result020WithoutInterfacesStillGetsAnEntry) {
  // Upstream produced no entry at all for 0.1.0/0.2.0 results (W29).
  json got = Build({Net("flannel", "eth0", R"({"cniVersion":"0.2.0",
      "ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}]},
      "ip6":{"ip":"fd00::5/64","routes":[{"dst":"::/0","gw":"fd00::1"}]},
      "dns":{"nameservers":["10.96.0.10"]}})",
                        true)});
  EXPECT_EQ(got, json::parse(R"([{"name":"flannel","interface":"eth0",
      "ips":["10.1.0.5","fd00::5"],"default":true,"dns":{"nameservers":["10.96.0.10"]},
      "gateway":["10.1.0.1","fd00::1"]}])"));
}

TEST(NetworkStatusTest, ResultWithOnlyHostInterfacesGetsAnEntryForIfname) {
  json got = Build({Net("host-dev", "net3", R"({"cniVersion":"1.0.0",
      "interfaces":[{"name":"ens1f0","mac":"02:00:00:00:00:09"}],
      "ips":[{"address":"10.9.0.2/24"}]})")});
  EXPECT_EQ(got, json::parse(R"([{"name":"host-dev","interface":"net3","ips":["10.9.0.2"],
      "dns":{}}])"));
}

TEST(NetworkStatusTest, Result031AndResultsReadWithTheConfigVersion) {
  json got = Build({Net("v031", "net1", R"({"cniVersion":"0.3.1",
      "interfaces":[{"name":"net1","mac":"02:00:00:00:00:01","sandbox":"/ns"}],
      "ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"},
             {"version":"6","interface":0,"address":"2001:db8::2/64"}],
      "routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1"}]})"),
                    NetOf("noversion", "net2", R"({"ips":[{"address":"10.0.1.2/24"}]})", "1.0.0"),
                    NetOf("noversion020", "net3", R"({"ip4":{"ip":"10.0.2.2/24"}})", "0.2.0")});
  EXPECT_EQ(got, json::parse(R"([
      {"name":"v031","interface":"net1","ips":["10.0.0.2","2001:db8::2"],
       "mac":"02:00:00:00:00:01","dns":{},"gateway":["10.0.0.1"]},
      {"name":"noversion","interface":"net2","ips":["10.0.1.2"],"dns":{}},
      {"name":"noversion020","interface":"net3","ips":["10.0.2.2"],"dns":{}}])"));
}

TEST(NetworkStatusTest, Result110KeepsMtu) {
  json got = Build({Net("jumbo", "net1", R"({"cniVersion":"1.1.0",
      "interfaces":[{"name":"net1","mac":"02:00:00:00:00:01","sandbox":"/ns","mtu":9000,
                     "pciID":"0000:03:00.1"}],
      "ips":[{"interface":0,"address":"10.0.0.2/24"}]})")});
  EXPECT_EQ(got, json::parse(R"([{"name":"jumbo","interface":"net1","ips":["10.0.0.2"],
      "mac":"02:00:00:00:00:01","mtu":9000,"dns":{}}])"));
}

TEST(NetworkStatusTest, MultipleSandboxInterfacesGetOneEntryEach) {
  // IPs without an interface index go to the requested interface, not the last one (W29);
  // an address on a host-side interface is not the pod's.
  json got = Build({Net("multi", "net1", R"({"cniVersion":"1.0.0",
      "interfaces":[{"name":"net1","mac":"02:00:00:00:00:01","sandbox":"/ns"},
                    {"name":"host0","mac":"02:00:00:00:00:aa"},
                    {"name":"net1-peer","mac":"02:00:00:00:00:02","sandbox":"/ns"}],
      "ips":[{"interface":2,"address":"10.0.2.2/24"},
             {"address":"10.0.0.2/24"},
             {"interface":1,"address":"192.168.0.1/24"},
             {"interface":7,"address":"10.0.7.2/24"},
             {"interface":0,"address":"10.0.1.2/24","gateway":"10.0.1.1"}],
      "routes":[{"dst":"0.0.0.0/0","gw":"10.0.1.1"}],
      "dns":{"nameservers":["1.1.1.1"],"domain":"","search":[]}})",
                        true)});
  EXPECT_EQ(got, json::parse(R"([
      {"name":"multi","interface":"net1","ips":["10.0.0.2","10.0.7.2","10.0.1.2"],
       "mac":"02:00:00:00:00:01","default":true,"dns":{"nameservers":["1.1.1.1"]},
       "gateway":["10.0.1.1"]},
      {"name":"multi","interface":"net1-peer","ips":["10.0.2.2"],"mac":"02:00:00:00:00:02",
       "dns":{"nameservers":["1.1.1.1"]},"gateway":["10.0.1.1"]}])"));
}

TEST(NetworkStatusTest, DefaultIsSetOnlyForTheMaster) {
  json got = Build({Net("cbr0", "eth0", kBridgeResult, true), Net("other", "net1", kBridgeResult)});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].value("default", false), true);
  EXPECT_FALSE(got[1].contains("default"));
}

TEST(NetworkStatusTest, GatewaysComeFromDefaultRoutesOfBothFamilies) {
  json got = Build({Net("dual", "eth0", R"({"cniVersion":"1.0.0",
      "interfaces":[{"name":"eth0","sandbox":"/ns"}],
      "ips":[{"interface":0,"address":"10.0.0.2/24"},{"interface":0,"address":"fd00::2/64"}],
      "routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1"},
                {"dst":"10.1.0.0/16","gw":"10.0.0.9"},
                {"dst":"::/0","gw":"FD00:0:0:0::1"},
                {"dst":"0.0.0.0/0"},
                {"gw":"10.0.0.254"}]})")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["gateway"], json::parse(R"(["10.0.0.1","fd00::1","10.0.0.254"])"));
}

TEST(NetworkStatusTest, DnsIsAlwaysPresentAndKeepsGoFieldOrder) {
  json got = Build({Net("n", "eth0", R"({"cniVersion":"1.0.0",
      "ips":[{"address":"10.0.0.2/24"}],
      "dns":{"options":["ndots:5"],"search":["svc.cluster.local"],"domain":"cluster.local",
             "nameservers":["10.96.0.10"]}})"),
                    Net("m", "eth1", R"({"cniVersion":"1.0.0"})")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(
      got[0]["dns"].dump(),
      R"({"nameservers":["10.96.0.10"],"domain":"cluster.local","search":["svc.cluster.local"],"options":["ndots:5"]})");
  EXPECT_EQ(got[1].dump(), R"({"name":"m","interface":"eth1","dns":{}})");
}

TEST(NetworkStatusTest, DeviceInfoIsEmbeddedAsWritten) {
  const char* info =
      R"({"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:03:00.1","rdma-device":"mlx5_3"}})";
  json got = Build({Net("sriov", "net1", kBridgeResult, false, info)});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["device-info"].dump(), info);
  const std::vector<std::string> keys = {"name", "interface",   "ips",    "mac",
                                         "dns",  "device-info", "gateway"};
  std::vector<std::string> got_keys;
  for (const auto& [key, value] : got[0].items()) got_keys.push_back(key);
  EXPECT_EQ(got_keys, keys);
}

TEST(NetworkStatusTest, AddressesArePrintedInGoCanonicalForm) {
  json got = Build({Net("v6", "eth0", R"({"cniVersion":"1.0.0","ips":[
      {"address":"2001:DB8:0:0:0:0:0:1/64"},{"address":"1:0:0:2:0:0:0:3/64"},
      {"address":"1:0:2:0:3:0:4:0/64"},{"address":"::102:304/128"},
      {"address":"::ffff:10.0.0.1/128"},{"address":"::"},{"address":"10.0.0.3"}]})")});
  EXPECT_EQ(got[0]["ips"], json::parse(R"(["2001:db8::1","1:0:0:2::3","1:0:2:0:3:0:4:0",
      "::102:304","10.0.0.1","::","10.0.0.3"])"));
}

TEST(NetworkStatusTest, EscapesLikeGoEncoder) {
  Result<std::string> got =
      BuildNetworkStatus({Net("a<b>&c\xE2\x80\xA8", "eth0", R"({"cniVersion":"1.0.0"})")});
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->find(R"("name": "a\u003cb\u003e\u0026c\u2028")"), std::string::npos) << *got;
}

TEST(NetworkStatusTest, UnreadableResultsAreCode6) {
  const std::vector<AttachedNetwork> bad[] = {
      {Net("n", "eth0", R"({"cniVersion":"9.9.9"})")},
      {Net("n", "eth0", R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]})")},
      {Net("n", "eth0", R"({"cniVersion":"1.0.0","ips":[{"gateway":"10.0.0.1"}]})")},
      {Net("n", "eth0", R"({"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","gw":"x"}]})")},
      {Net("n", "eth0", R"({"cniVersion":"1.0.0"})", false, "[1]")},
      {Net("n", "eth0", R"({"cniVersion":"1.0.0"})", false, "{bad")},
  };
  for (const auto& networks : bad) {
    SCOPED_TRACE(networks[0].result.status().msg() + " " + networks[0].device_info);
    Result<std::string> got = BuildNetworkStatus(networks);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_EQ(got.status().code(), code::kDecode);
    EXPECT_NE(got.status().msg().find("\"n\" (interface eth0)"), std::string::npos)
        << got.status().msg();
  }
}

}  // namespace
}  // namespace multus
