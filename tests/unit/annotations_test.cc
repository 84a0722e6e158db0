#include "multus/annotations.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace multus {
namespace {

using json = nlohmann::ordered_json;

// Every field of a selection, in a form that makes a mismatch readable in the test output.
std::string Describe(const NetworkSelection& s) {
  return json{{"name", s.name},
              {"namespace", s.namespace_name},
              {"interface", s.interface_request},
              {"ips", s.ips},
              {"mac", s.mac},
              {"has_default_route", s.has_default_route},
              {"default_route", s.default_route},
              {"port_mappings", s.port_mappings},
              {"bandwidth", s.bandwidth},
              {"cni_args", s.cni_args},
              {"infiniband_guid", s.infiniband_guid},
              {"device_id", s.device_id}}
      .dump();
}

std::string Describe(const std::vector<NetworkSelection>& selections) {
  std::string out = "[";
  for (const NetworkSelection& s : selections) out += Describe(s) + "\n";
  return out + "]";
}

NetworkSelection Sel(std::string name, std::string ns, std::string ifname = "") {
  NetworkSelection s;
  s.name = std::move(name);
  s.namespace_name = std::move(ns);
  s.interface_request = std::move(ifname);
  return s;
}

template <typename F>
NetworkSelection With(NetworkSelection s, F edit) {
  edit(s);
  return s;
}

constexpr std::string_view kPodNs = "pod-ns";

struct Case {
  std::string value;
  std::vector<NetworkSelection> want;
};

TEST(AnnotationsTest, ParsesGoodValues) {
  const Case cases[] = {
      // Empty or blank: no networks.
      {"", {}},
      {"  \t ", {}},
      {"[]", {}},
      {" [ ] ", {}},
      // Text form.
      {"macvlan", {Sel("macvlan", "pod-ns")}},
      {" a , ns1/b@net5 ,c@eth1",
       {Sel("a", "pod-ns"), Sel("b", "ns1", "net5"), Sel("c", "pod-ns", "eth1")}},
      {"ns1 / b @ net5", {Sel("b", "ns1", "net5")}},
      {"other-ns/sriov.v1-conf", {Sel("sriov.v1-conf", "other-ns")}},
      {"0a/9z", {Sel("9z", "0a")}},
      {"a@Net_1", {Sel("a", "pod-ns", "Net_1")}},
      {"a@123456789012345", {Sel("a", "pod-ns", "123456789012345")}},
      {"a,a", {Sel("a", "pod-ns"), Sel("a", "pod-ns")}},
      {std::string(253, 'a'), {Sel(std::string(253, 'a'), "pod-ns")}},
      // JSON form, every member.
      {R"([{"name":"macvlan-conf","namespace":"other-ns","interface":"net5",
            "ips":["10.1.1.5/24","2001:db8::5/64","10.1.1.6"],"mac":"02:00:00:00:00:05",
            "default-route":["10.1.1.1","2001:db8::1"],
            "portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],
            "bandwidth":{"ingressRate":1000,"egressBurst":2000},
            "cni-args":{"foo":"bar"},"infiniband-guid":"c2:11:22:33:44:55:66:77",
            "deviceID":"0000:03:00.1"}])",
       {With(Sel("macvlan-conf", "other-ns", "net5"),
             [](NetworkSelection& s) {
               s.ips = {"10.1.1.5/24", "2001:db8::5/64", "10.1.1.6"};
               s.mac = "02:00:00:00:00:05";
               s.has_default_route = true;
               s.default_route = {"10.1.1.1", "2001:db8::1"};
               s.port_mappings = R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"}])";
               s.bandwidth = R"({"ingressRate":1000,"egressBurst":2000})";
               s.cni_args = R"({"foo":"bar"})";
               s.infiniband_guid = "c2:11:22:33:44:55:66:77";
               s.device_id = "0000:03:00.1";
             })}},
      {R"([{"name":"a"},{"name":"b","namespace":"x","interface":"net9"}])",
       {Sel("a", "pod-ns"), Sel("b", "x", "net9")}},
      // Unknown keys are ignored, whatever their value.
      {R"([{"name":"a","ipam-claim-reference":"c","foo":{"bar":[1,{"x":null}]},"gw":1}])",
       {Sel("a", "pod-ns")}},
      // Keys match case-insensitively, as with Go's decoder, including U+017F (long s).
      {R"([{"NAME":"a","NameSpace":"ns","Interface":"net1","IPS":["10.0.0.1"],"MAC":"02:00:00:00:00:01","Default-Route":["10.0.0.254"],"CNI-ARGS":{"k":1},"DeviceId":"d","PORTMAPPINGS":[],"BandWidth":{},"Infiniband-GUID":"c2:11:22:33:44:55:66:77"}])",
       {With(Sel("a", "ns", "net1"),
             [](NetworkSelection& s) {
               s.ips = {"10.0.0.1"};
               s.mac = "02:00:00:00:00:01";
               s.has_default_route = true;
               s.default_route = {"10.0.0.254"};
               s.cni_args = R"({"k":1})";
               s.device_id = "d";
               s.port_mappings = "[]";
               s.bandwidth = "{}";
               s.infiniband_guid = "c2:11:22:33:44:55:66:77";
             })}},
      {"[{\"name\":\"a\",\"name\xC5\xBFpace\":\"ns\"}]", {Sel("a", "ns")}},
      // The deprecated interfaceRequest is used only when interface is empty.
      {R"([{"name":"a","interfaceRequest":"net7"}])", {Sel("a", "pod-ns", "net7")}},
      {R"([{"name":"a","interface":"","interfaceRequest":"net7"}])", {Sel("a", "pod-ns", "net7")}},
      {R"([{"interfaceRequest":"net7","name":"a","interface":"net1"}])",
       {Sel("a", "pod-ns", "net1")}},
      // Namespace defaults to the given one, also when empty or null.
      {R"([{"name":"a","namespace":""},{"name":"b","namespace":null}])",
       {Sel("a", "pod-ns"), Sel("b", "pod-ns")}},
      // Raw JSON members are kept byte for byte: spacing, key order, big and float numbers.
      {R"([{"name":"a","cni-args":{ "big": 123456789012345678901234567890, "f": 1.10,
            "neg": -0.0, "s": "\u00e9" }, "bandwidth" : {"ingressRate":   5000}}])",
       {With(Sel("a", "pod-ns"),
             [](NetworkSelection& s) {
               s.cni_args = R"({ "big": 123456789012345678901234567890, "f": 1.10,
            "neg": -0.0, "s": "\u00e9" })";
               s.bandwidth = R"({"ingressRate":   5000})";
             })}},
      // default-route: present even when empty; null means absent.
      {R"([{"name":"a","default-route":[]}])",
       {With(Sel("a", "pod-ns"), [](NetworkSelection& s) { s.has_default_route = true; })}},
      {R"([{"name":"a","default-route":null,"ips":null,"cni-args":null,"portMappings":null}])",
       {Sel("a", "pod-ns")}},
      // A later duplicate wins, except that null leaves a string as it was (Go semantics).
      {R"([{"name":"a","NAME":"b","interface":"net1","interface":null}])",
       {Sel("b", "pod-ns", "net1")}},
      {R"([{"name":"a","ips":["10.0.0.1"],"ips":null}])", {Sel("a", "pod-ns")}},
      // Every net.ParseMAC form.
      {R"([{"name":"a","mac":"02-00-00-00-00-05"},{"name":"b","mac":"0200.0000.0005"},
           {"name":"c","mac":"02:00:00:00:00:00:00:05"},{"name":"d","mac":"AB:cd:EF:00:00:01"},
           {"name":"e","mac":"00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"},
           {"name":"f","mac":"0200.0000.0000.0005"}])",
       {With(Sel("a", "pod-ns"), [](NetworkSelection& s) { s.mac = "02-00-00-00-00-05"; }),
        With(Sel("b", "pod-ns"), [](NetworkSelection& s) { s.mac = "0200.0000.0005"; }),
        With(Sel("c", "pod-ns"), [](NetworkSelection& s) { s.mac = "02:00:00:00:00:00:00:05"; }),
        With(Sel("d", "pod-ns"), [](NetworkSelection& s) { s.mac = "AB:cd:EF:00:00:01"; }),
        With(Sel("e", "pod-ns"),
             [](NetworkSelection& s) {
               s.mac = "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01";
             }),
        With(Sel("f", "pod-ns"), [](NetworkSelection& s) { s.mac = "0200.0000.0000.0005"; })}},
      // IPs and CIDRs of both families, prefixes at the limits.
      {R"([{"name":"a","ips":["0.0.0.0/0","10.0.0.1/32","::/0","fe80::1/128","::ffff:10.0.0.1"]}])",
       {With(Sel("a", "pod-ns"),
             [](NetworkSelection& s) {
               s.ips = {"0.0.0.0/0", "10.0.0.1/32", "::/0", "fe80::1/128", "::ffff:10.0.0.1"};
             })}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    Result<std::vector<NetworkSelection>> got =
        ParseNetworkSelections(kNetworksAnnotation, c.value, kPodNs);
    ASSERT_TRUE(got.ok()) << got.status().msg() << " / " << got.status().details();
    EXPECT_EQ(Describe(*got), Describe(c.want));
  }
}

struct ErrorCase {
  std::string value;
  const char* message;  // after "invalid k8s.v1.cni.cncf.io/networks annotation: "
};

TEST(AnnotationsTest, RejectsBadValues) {
  const ErrorCase errors[] = {
      // Empty items (upstream accepted them and failed at the API).
      {"a,,b", "item 2 is empty"},
      {"a,b,", "item 3 is empty"},
      {",a", "item 1 is empty"},
      {"a, ,b", "item 2 is empty"},
      {",", "item 1 is empty"},
      // Grammar.
      {"a/b/c", R"(item "a/b/c" has more than one '/')"},
      {"a@b@c", R"(item "a@b@c" has more than one '@')"},
      {"/a", R"(item "/a": the namespace before '/' is empty)"},
      {"ns/", R"(item "ns/": the network name is empty)"},
      {"@eth0", R"(item "@eth0": the network name is empty)"},
      {"a@", R"(item "a@": the interface name after '@' is empty)"},
      // Names and namespaces.
      {"Foo", R"(item "Foo": invalid network name "Foo")"},
      {"ok, macVlan", R"(item "macVlan": invalid network name "macVlan")"},
      {"-a", R"(item "-a": invalid network name "-a")"},
      {"a-", R"(item "a-": invalid network name "a-")"},
      {"a.", R"(item "a.": invalid network name "a.")"},
      {"a_b", R"(item "a_b": invalid network name "a_b")"},
      {"a b", R"(item "a b": invalid network name "a b")"},
      {std::string(254, 'a'), "invalid network name \"aaaa"},
      {"NS/a", R"(item "NS/a": invalid namespace "NS")"},
      {"ns_1/a", R"(item "ns_1/a": invalid namespace "ns_1")"},
      {"a.b/c", R"(item "a.b/c": invalid namespace "a.b")"},
      {std::string(64, 'n') + "/a", "invalid namespace \"nnnn"},
      // Interface names.
      {"a@toolonginterface",
       R"(item "a@toolonginterface": invalid interface name "toolonginterface": interface name is too long)"},
      {"a@.", R"(invalid interface name ".")"},
      {"a@..", R"(invalid interface name "..")"},
      {"a@net:1",
       R"(invalid interface name "net:1": interface name contains / or : or whitespace)"},
      {"a@net 1", R"(invalid interface name "net 1")"},
      {"a@net/1", R"(item "a@net/1": invalid namespace "a@net")"},
      // JSON shape.
      {"[", "not valid JSON"},
      {R"([{"name":"a"},])", "not valid JSON"},
      {R"([{"name":"a"}] x)", "not valid JSON"},
      {R"({"name":"a"})", "expected a JSON list of networks, not object"},
      {R"("a")", "expected a JSON list of networks, not string"},
      {R"(["a"])", "item 1 must be an object, not string"},
      {R"([{"name":"a"}, 5])", "item 2 must be an object, not number"},
      {R"([{"name":"a"}, null])", "item 2 must be an object, not null"},
      {R"([{}])", R"(item 1: "name" is missing)"},
      {R"([{"name":""}])", R"(item 1: "name" is missing)"},
      {R"([{"namespace":"x","interface":"net1"}])", R"(item 1: "name" is missing)"},
      // Member types.
      {R"([{"name":5}])", R"(item 1: "name" must be a string, not number)"},
      {R"([{"name":"a","namespace":["x"]}])", R"(item 1: "namespace" must be a string, not array)"},
      {R"([{"name":"a","interface":1}])", R"(item 1: "interface" must be a string, not number)"},
      {R"([{"name":"a","interfaceRequest":true}])",
       R"(item 1: "interfaceRequest" must be a string, not boolean)"},
      {R"([{"name":"a","mac":{}}])", R"(item 1: "mac" must be a string, not object)"},
      {R"([{"name":"a","deviceID":7}])", R"(item 1: "deviceID" must be a string, not number)"},
      {R"([{"name":"a","infiniband-guid":7}])",
       R"(item 1: "infiniband-guid" must be a string, not number)"},
      {R"([{"name":"a","ips":"10.0.0.1"}])", R"(item 1: "ips" must be a list of strings)"},
      {R"([{"name":"a","ips":[1]}])", R"(item 1: "ips" must be a list of strings)"},
      {R"([{"name":"a","default-route":"10.0.0.1"}])",
       R"(item 1: "default-route" must be a list of strings)"},
      {R"([{"name":"a","cni-args":[1]}])", R"(item 1: "cni-args" must be an object, not array)"},
      {R"([{"name":"a","cni-args":"k=v"}])", R"(item 1: "cni-args" must be an object, not string)"},
      {R"([{"name":"a","bandwidth":"1M"}])",
       R"(item 1: "bandwidth" must be an object, not string)"},
      {R"([{"name":"a","bandwidth":{"ingressRate":1.5}}])",
       R"(item 1: "bandwidth" member "ingressRate" must be an integer)"},
      {R"([{"name":"a","bandwidth":{"ingressRate":5e0}}])",
       R"(item 1: "bandwidth" member "ingressRate" must be an integer)"},
      {R"([{"name":"a","bandwidth":{"egressRate":9223372036854775808}}])",
       R"(item 1: "bandwidth" member "egressRate" must be an integer)"},
      {R"([{"name":"a","bandwidth":{"EGRESSBURST":"1"}}])",
       R"(item 1: "bandwidth" member "egressBurst" must be an integer)"},
      {R"([{"name":"a","portMappings":{}}])",
       R"(item 1: "portMappings" must be a list of objects, not object)"},
      {R"([{"name":"a","portMappings":[80]}])",
       R"(item 1: "portMappings" must be a list of objects)"},
      {R"([{"name":"a","portMappings":[{"hostPort":"80"}]}])",
       R"(item 1: "portMappings" member "hostPort" must be an integer)"},
      {R"([{"name":"a","portMappings":[{"protocol":6}]}])",
       R"(item 1: "portMappings" member "protocol" must be a string)"},
      // Names in the JSON form are validated too (upstream did not, W26).
      {R"([{"name":"Macvlan"}])", R"(item 1: invalid network name "Macvlan")"},
      {R"([{"name":"a","namespace":"Other"}])", R"(item 1: invalid namespace "Other")"},
      {R"([{"name":"a"},{"name":"b","namespace":"x.y"}])", R"(item 2: invalid namespace "x.y")"},
      {R"([{"name":"a","interface":"toolonginterface"}])",
       R"(item 1: invalid interface name "toolonginterface": interface name is too long)"},
      {R"([{"name":"a","interface":"net/1"}])",
       R"(item 1: invalid interface name "net/1": interface name contains / or : or whitespace)"},
      {R"([{"name":"a","interfaceRequest":"net 1"}])", R"(item 1: invalid interface name "net 1")"},
      // IPs.
      {R"([{"name":"a","ips":["10.0.0.256"]}])",
       R"(item 1: invalid IP address "10.0.0.256" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.01"]}])", R"(invalid IP address "10.0.0.01" in "ips")"},
      {R"([{"name":"a","ips":["fe80::1%eth0"]}])", R"(invalid IP address "fe80::1%eth0" in "ips")"},
      {R"([{"name":"a","ips":[""]}])", R"(invalid IP address "" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.1/24", "10.0.0.1/33"]}])",
       R"(item 1: invalid CIDR "10.0.0.1/33" in "ips")"},
      {R"([{"name":"a","ips":["2001:db8::1/129"]}])", R"(invalid CIDR "2001:db8::1/129" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.1/"]}])", R"(invalid CIDR "10.0.0.1/" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.1/-1"]}])", R"(invalid CIDR "10.0.0.1/-1" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.1/2x"]}])", R"(invalid CIDR "10.0.0.1/2x" in "ips")"},
      // Once a signed overflow (UBSan): the digits are no longer summed past the third.
      {R"([{"name":"a","ips":["1.2.3.4/99999999999"]}])",
       R"(invalid CIDR "1.2.3.4/99999999999" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0.1/1000"]}])", R"(invalid CIDR "10.0.0.1/1000" in "ips")"},
      {R"([{"name":"a","ips":["10.0.0/24"]}])", R"(invalid CIDR "10.0.0/24" in "ips")"},
      {R"([{"name":"a","default-route":["10.0.0.0/24"]}])",
       R"(item 1: invalid IP address "10.0.0.0/24" in "default-route")"},
      {R"([{"name":"a","default-route":[""]}])", R"(invalid IP address "" in "default-route")"},
      // MACs and GUIDs.
      {R"([{"name":"a","mac":"02:00:00:00:00"}])",
       R"(item 1: invalid MAC address "02:00:00:00:00" in "mac")"},
      {R"([{"name":"a","mac":"02:00:00:00:00:0g"}])", R"(invalid MAC address "02:00:00:00:00:0g")"},
      {R"([{"name":"a","mac":"02:00-00:00:00:00"}])", R"(invalid MAC address "02:00-00:00:00:00")"},
      {R"([{"name":"a","mac":"020000000005"}])", R"(invalid MAC address "020000000005")"},
      {R"([{"name":"a","mac":"0200.0000.000"}])", R"(invalid MAC address "0200.0000.000")"},
      {R"([{"name":"a","mac":"02:00:00:00:00:00:05"}])",
       R"(invalid MAC address "02:00:00:00:00:00:05")"},
      {R"([{"name":"a","mac":"2:00:00:00:00:05"}])", R"(invalid MAC address "2:00:00:00:00:05")"},
      {R"([{"name":"a","mac":" 02:00:00:00:00:05"}])",
       R"(invalid MAC address " 02:00:00:00:00:05")"},
      {R"([{"name":"a","infiniband-guid":"c2:11"}])",
       R"(item 1: invalid GUID "c2:11" in "infiniband-guid")"},
  };
  for (const ErrorCase& e : errors) {
    SCOPED_TRACE(e.value);
    Result<std::vector<NetworkSelection>> got =
        ParseNetworkSelections(kNetworksAnnotation, e.value, kPodNs);
    ASSERT_FALSE(got.ok()) << Describe(*got);
    EXPECT_EQ(got.status().code(), code::kInvalidConfig);
    EXPECT_EQ(got.status().msg().rfind("invalid k8s.v1.cni.cncf.io/networks annotation: ", 0), 0u)
        << got.status().msg();
    EXPECT_NE(got.status().msg().find(e.message), std::string::npos) << got.status().msg();
    EXPECT_FALSE(got.status().details().empty()) << "details must say what to fix";
  }
}

TEST(AnnotationsTest, DefaultNetworkAnnotationUsesItsOwnNameAndDefaultNamespace) {
  Result<std::vector<NetworkSelection>> got =
      ParseNetworkSelections(kDefaultNetworkAnnotation, "cluster-net@eth0", "kube-system");
  ASSERT_TRUE(got.ok()) << got.status().msg();
  EXPECT_EQ(Describe(*got),
            Describe(std::vector<NetworkSelection>{Sel("cluster-net", "kube-system", "eth0")}));

  got = ParseNetworkSelections(kDefaultNetworkAnnotation, "Bad", "kube-system");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().msg(),
            "invalid v1.multus-cni.io/default-network annotation: item \"Bad\": invalid network "
            "name \"Bad\"");
}

TEST(AnnotationsTest, ErrorDetailsSayWhatToFix) {
  Result<std::vector<NetworkSelection>> got =
      ParseNetworkSelections(kNetworksAnnotation, "a,,b", kPodNs);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().msg(), "invalid k8s.v1.cni.cncf.io/networks annotation: item 2 is empty");
  EXPECT_NE(got.status().details().find("[<namespace>/]<name>[@<interface>]"), std::string::npos);

  got = ParseNetworkSelections(kNetworksAnnotation, "a@toolonginterface", kPodNs);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().details().find("1 to 15 characters"), std::string::npos);

  got = ParseNetworkSelections(kNetworksAnnotation, "UPPER", kPodNs);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().details().find("lowercase"), std::string::npos);
}

TEST(AnnotationsTest, NumbersOutOfDoubleRangeAreRejectedAsInvalidJson) {
  // Go's decoder refuses 1e400 into interface{} too.
  Result<std::vector<NetworkSelection>> got = ParseNetworkSelections(
      kNetworksAnnotation, R"([{"name":"a","cni-args":{"x":1e400}}])", kPodNs);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), code::kInvalidConfig);
  EXPECT_NE(got.status().msg().find("not valid JSON"), std::string::npos);
}

// A /delegate request's interfaceAttributes: the ips, mac and cni-args of a selection element,
// keys matched as Go does, everything else ignored.
TEST(AnnotationsTest, InterfaceAttributesReadOnlyIpsMacAndCniArgs) {
  Result<NetworkSelection> got = ParseInterfaceAttributes(
      R"({"IPs":["10.1.1.5/24","fd00::5"],"Mac":"02:00:00:00:00:05","cni-args":{"a":1},)"
      R"("name":"x","interface":"net9","default-route":["10.1.1.1"]})");
  ASSERT_TRUE(got.ok()) << got.status().msg();
  NetworkSelection want;
  want.ips = {"10.1.1.5/24", "fd00::5"};
  want.mac = "02:00:00:00:00:05";
  want.cni_args = R"({"a":1})";
  EXPECT_EQ(Describe(*got), Describe(want));

  got = ParseInterfaceAttributes(R"({"ips":["10.1.1.300/24"]})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), code::kInvalidConfig);
  EXPECT_EQ(got.status().msg(),
            "invalid /delegate request: interfaceAttributes: invalid CIDR \"10.1.1.300/24\" in "
            "\"ips\"");
  got = ParseInterfaceAttributes(R"({"mac":5})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().msg(),
            "invalid /delegate request: interfaceAttributes: \"mac\" must be a string, not number");
  EXPECT_NE(got.status().details().find("{\"ips\": "), std::string::npos) << got.status().details();
}

}  // namespace
}  // namespace multus
