// Checks every YAML file in deployments/ (parsed with yaml-cpp), and that the DaemonSet's
// command, flags, mounts and RBAC fit what multus-install and the multus binary need.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "options.h"
#include "test_util.h"

namespace multus::install {
namespace {

namespace fs = std::filesystem;
const std::string kDeployments = std::string(MULTUS_SOURCE_DIR) + "/deployments";

struct Doc {
  std::string file;
  YAML::Node node;
};

std::vector<Doc> LoadAllDocs() {
  std::vector<Doc> docs;
  for (const auto& entry : fs::recursive_directory_iterator(kDeployments)) {
    auto ext = entry.path().extension();
    if (ext != ".yml" && ext != ".yaml") continue;
    for (const YAML::Node& node : YAML::LoadAllFromFile(entry.path().string())) {
      if (node.IsNull()) continue;
      docs.push_back({entry.path().string(), node});
    }
  }
  return docs;
}

// The object of that kind in deployments/<file> (not in examples/), or nullptr.
const YAML::Node* FindKind(const std::vector<Doc>& docs, const std::string& kind,
                           const std::string& file = "multus-daemonset.yml") {
  for (const Doc& doc : docs) {
    if (doc.node["kind"].as<std::string>() == kind && doc.file == kDeployments + "/" + file) {
      return &doc.node;
    }
  }
  return nullptr;
}

// The kinds of the objects of deployments/<file>, in order.
std::vector<std::string> KindsIn(const std::vector<Doc>& docs, const std::string& file) {
  std::vector<std::string> kinds;
  for (const Doc& doc : docs) {
    if (doc.file == kDeployments + "/" + file) kinds.push_back(doc.node["kind"].as<std::string>());
  }
  return kinds;
}

std::set<std::string> Strings(const YAML::Node& seq) {
  std::set<std::string> out;
  for (const auto& item : seq) out.insert(item.as<std::string>());
  return out;
}

TEST(DeploymentsTest, EveryDocumentIsAKubernetesObject) {
  auto docs = LoadAllDocs();
  ASSERT_GE(docs.size(), 10u);
  for (const Doc& doc : docs) {
    ASSERT_TRUE(doc.node.IsMap()) << doc.file;
    EXPECT_TRUE(doc.node["apiVersion"].IsScalar()) << doc.file;
    EXPECT_TRUE(doc.node["kind"].IsScalar()) << doc.file;
    EXPECT_TRUE(doc.node["metadata"]["name"].IsScalar()) << doc.file;
  }
}

TEST(DeploymentsTest, ManifestHasEveryObject) {
  auto docs = LoadAllDocs();
  for (const char* kind : {"ClusterRole", "ClusterRoleBinding", "ServiceAccount", "DaemonSet"}) {
    EXPECT_NE(FindKind(docs, kind), nullptr) << kind;
  }
  EXPECT_NE(FindKind(docs, "CustomResourceDefinition", "crd.yml"), nullptr);
}

// Deleting a CRD deletes every object of its kind: uninstalling the DaemonSet
// (kubectl delete -f multus-daemonset.yml) must never remove the cluster's NADs.
TEST(DeploymentsTest, CrdIsAloneInItsOwnManifest) {
  auto docs = LoadAllDocs();
  EXPECT_EQ(KindsIn(docs, "crd.yml"), std::vector<std::string>{"CustomResourceDefinition"});
  for (const Doc& doc : docs) {
    if (doc.file == kDeployments + "/crd.yml") continue;
    EXPECT_NE(doc.node["kind"].as<std::string>(), "CustomResourceDefinition") << doc.file;
  }
}

TEST(DeploymentsTest, NetworkAttachmentDefinitionCrd) {
  auto docs = LoadAllDocs();
  const YAML::Node* found = FindKind(docs, "CustomResourceDefinition", "crd.yml");
  ASSERT_NE(found, nullptr);
  const YAML::Node& crd = *found;
  EXPECT_EQ(crd["apiVersion"].as<std::string>(), "apiextensions.k8s.io/v1");
  EXPECT_EQ(crd["metadata"]["name"].as<std::string>(),
            "network-attachment-definitions.k8s.cni.cncf.io");
  const YAML::Node& spec = crd["spec"];
  EXPECT_EQ(spec["group"].as<std::string>(), "k8s.cni.cncf.io");
  EXPECT_EQ(spec["scope"].as<std::string>(), "Namespaced");
  EXPECT_EQ(spec["names"]["plural"].as<std::string>(), "network-attachment-definitions");
  EXPECT_EQ(spec["names"]["singular"].as<std::string>(), "network-attachment-definition");
  EXPECT_EQ(spec["names"]["kind"].as<std::string>(), "NetworkAttachmentDefinition");
  EXPECT_EQ(Strings(spec["names"]["shortNames"]), (std::set<std::string>{"net-attach-def", "nad"}));
  ASSERT_EQ(spec["versions"].size(), 1u);
  const YAML::Node& v1 = spec["versions"][0];
  EXPECT_EQ(v1["name"].as<std::string>(), "v1");
  EXPECT_TRUE(v1["served"].as<bool>());
  EXPECT_TRUE(v1["storage"].as<bool>());
  EXPECT_EQ(v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["config"]["type"]
                .as<std::string>(),
            "string");
}

// verb set per (apiGroup, resource) granted by the ClusterRole.
std::map<std::pair<std::string, std::string>, std::set<std::string>> Grants(
    const YAML::Node& role) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grants;
  for (const auto& rule : role["rules"]) {
    for (const auto& group : rule["apiGroups"]) {
      for (const auto& resource : rule["resources"]) {
        for (const auto& verb : rule["verbs"]) {
          grants[{group.as<std::string>(), resource.as<std::string>()}].insert(
              verb.as<std::string>());
        }
      }
    }
  }
  return grants;
}

TEST(DeploymentsTest, ClusterRoleIsExactlyWhatTheBinaryNeeds) {
  auto docs = LoadAllDocs();
  auto grants = Grants(*FindKind(docs, "ClusterRole"));
  using Set = std::set<std::string>;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> want = {
      {{"", "pods"}, Set{"get"}},
      {{"", "pods/status"}, Set{"patch", "update"}},
      {{"k8s.cni.cncf.io", "network-attachment-definitions"}, Set{"get", "list"}},
      {{"", "events"}, Set{"create", "patch"}},
      {{"events.k8s.io", "events"}, Set{"create", "patch"}},
  };
  EXPECT_EQ(grants, want);  // nothing more: no wildcards, no secrets, no writes to pods
}

TEST(DeploymentsTest, BindingTiesTheRoleToTheDaemonSetsAccount) {
  auto docs = LoadAllDocs();
  const YAML::Node& binding = *FindKind(docs, "ClusterRoleBinding");
  const YAML::Node& role = *FindKind(docs, "ClusterRole");
  const YAML::Node& account = *FindKind(docs, "ServiceAccount");
  const YAML::Node& ds = *FindKind(docs, "DaemonSet");
  EXPECT_EQ(binding["roleRef"]["kind"].as<std::string>(), "ClusterRole");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(),
            role["metadata"]["name"].as<std::string>());
  ASSERT_EQ(binding["subjects"].size(), 1u);
  EXPECT_EQ(binding["subjects"][0]["kind"].as<std::string>(), "ServiceAccount");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(),
            account["metadata"]["name"].as<std::string>());
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(),
            account["metadata"]["namespace"].as<std::string>());
  EXPECT_EQ(ds["metadata"]["namespace"].as<std::string>(),
            account["metadata"]["namespace"].as<std::string>());
  EXPECT_EQ(ds["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>(),
            account["metadata"]["name"].as<std::string>());
}

struct Mounts {
  std::map<std::string, std::string> host_path_of_volume;
  std::map<std::string, std::string> host_path_of_mount;  // mountPath -> hostPath
};

Mounts CollectMounts(const YAML::Node& pod_spec, const YAML::Node& container) {
  Mounts m;
  std::set<std::string> declared;
  for (const auto& volume : pod_spec["volumes"]) {
    declared.insert(volume["name"].as<std::string>());
    if (volume["hostPath"]) {
      m.host_path_of_volume[volume["name"].as<std::string>()] =
          volume["hostPath"]["path"].as<std::string>();
    }
  }
  for (const auto& mount : container["volumeMounts"]) {
    EXPECT_TRUE(declared.count(mount["name"].as<std::string>())) << mount["name"].as<std::string>();
    auto it = m.host_path_of_volume.find(mount["name"].as<std::string>());
    if (it != m.host_path_of_volume.end()) {
      m.host_path_of_mount[mount["mountPath"].as<std::string>()] = it->second;
    }
  }
  return m;
}

// The host path a container path maps to through the mounts, or "" when not on a mount.
std::string HostPath(const Mounts& m, const std::string& path) {
  for (const auto& [mount, host] : m.host_path_of_mount) {
    if (path == mount) return host;
    if (path.starts_with(mount + "/")) return host + path.substr(mount.size());
  }
  return "";
}

TEST(DeploymentsTest, DaemonSetFlagsMountsAndImageAreConsistent) {
  auto docs = LoadAllDocs();
  const YAML::Node& ds = *FindKind(docs, "DaemonSet");
  const YAML::Node& spec = ds["spec"]["template"]["spec"];
  // Selector matches the template.
  for (const auto& label : ds["spec"]["selector"]["matchLabels"]) {
    EXPECT_EQ(ds["spec"]["template"]["metadata"]["labels"][label.first.as<std::string>()]
                  .as<std::string>(),
              label.second.as<std::string>());
  }
  EXPECT_TRUE(spec["hostNetwork"].as<bool>());
  std::set<std::string> tolerated;
  for (const auto& t : spec["tolerations"]) {
    if (t["operator"].as<std::string>() == "Exists" && !t["key"]) {
      tolerated.insert(t["effect"].as<std::string>());
    }
  }
  EXPECT_EQ(tolerated, (std::set<std::string>{"NoSchedule", "NoExecute"}));
  EXPECT_FALSE(spec["initContainers"]) << "one copy of the binary is enough (upstream W35)";

  ASSERT_EQ(spec["containers"].size(), 1u);
  const YAML::Node& c = spec["containers"][0];
  for (const char* kind : {"requests", "limits"}) {
    EXPECT_TRUE(c["resources"][kind]["cpu"]) << kind;
    EXPECT_TRUE(c["resources"][kind]["memory"]) << kind;
  }

  // The flags are the ones multus-install really accepts.
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  auto options = ParseOptions(args);
  ASSERT_TRUE(options.ok()) << options.status().msg();
  EXPECT_EQ(options->multus_conf_file, "auto");

  // Every directory it writes to is a host directory, and the host paths written into the
  // config are what those mounts really are on the host.
  Mounts m = CollectMounts(spec, c);
  EXPECT_EQ(HostPath(m, options->cni_conf_dir), "/etc/cni/net.d");
  EXPECT_EQ(HostPath(m, options->multus_autoconfig_dir), "/etc/cni/net.d");
  EXPECT_EQ(HostPath(m, options->cni_bin_dir), "/opt/cni/bin");
  EXPECT_EQ(HostPath(m, options->multus_cni_conf_dir), ConfDirHostPath(options.value()));
  EXPECT_EQ(HostPath(m, options->cni_conf_dir + "/multus.d/multus.kubeconfig"),
            options->multus_kubeconfig_file_host);
  // The multus binary's defaults (DESIGN.md §1): confDir, cniDir and binDir on the host.
  std::set<std::string> host_paths;
  for (const auto& [mount, host] : m.host_path_of_mount) host_paths.insert(host);
  for (const char* dir :
       {"/etc/cni/multus/net.d", "/var/lib/cni/multus", "/opt/cni/bin", "/etc/cni/net.d"}) {
    EXPECT_TRUE(host_paths.count(dir)) << dir;
  }

  // The command and the binary to copy exist in the image the Dockerfile builds.
  std::string dockerfile = testing::ReadText(kDeployments + "/Dockerfile");
  ASSERT_FALSE(dockerfile.empty());
  ASSERT_EQ(c["command"].size(), 1u);
  std::string command = c["command"][0].as<std::string>();
  EXPECT_NE(dockerfile.find("/out" + command), std::string::npos) << command;
  EXPECT_NE(dockerfile.find("/out" + options->multus_bin_file), std::string::npos);
  EXPECT_NE(dockerfile.find("ENTRYPOINT [\"" + command + "\"]"), std::string::npos);
}

// The thick manifest: the daemon's rights (its watch cache lists and watches), its config and
// the mounts that make it work where upstream's thick manifest does.
TEST(DeploymentsTest, ThickManifestFitsTheDaemonAndTheShim) {
  const std::string file = "multus-daemonset-thick.yml";
  auto docs = LoadAllDocs();
  ASSERT_NE(FindKind(docs, "DaemonSet", file), nullptr);
  using Set = std::set<std::string>;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> want = {
      {{"", "pods"}, Set{"get", "list", "watch"}},
      {{"", "pods/status"}, Set{"patch", "update"}},
      {{"k8s.cni.cncf.io", "network-attachment-definitions"}, Set{"get", "list", "watch"}},
      {{"", "events"}, Set{"create", "patch"}},
      {{"events.k8s.io", "events"}, Set{"create", "patch"}},
  };
  EXPECT_EQ(Grants(*FindKind(docs, "ClusterRole", file)), want);

  const YAML::Node& ds = *FindKind(docs, "DaemonSet", file);
  const YAML::Node& spec = ds["spec"]["template"]["spec"];
  ASSERT_EQ(spec["containers"].size(), 1u);
  const YAML::Node& c = spec["containers"][0];
  EXPECT_EQ(c["command"][0].as<std::string>(), "/usr/bin/multus-daemon");
  EXPECT_EQ(c["env"][0]["name"].as<std::string>(), "MULTUS_NODE_NAME");
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(), "spec.nodeName");
  EXPECT_TRUE(c["resources"]["requests"]["memory"]);
  EXPECT_TRUE(c["resources"]["limits"]["memory"]);

  // The daemon config from the ConfigMap, read where args say.
  const YAML::Node& map = *FindKind(docs, "ConfigMap", file);
  nlohmann::json config =
      nlohmann::json::parse(map["data"]["daemon-config.json"].as<std::string>());
  Mounts m = CollectMounts(spec, c);
  // The socket where multus-shim on the host looks for it by default.
  EXPECT_EQ(HostPath(m, config["socketDir"].get<std::string>() + "multus.sock"),
            "/run/multus/multus.sock");
  EXPECT_EQ(HostPath(m, config["chrootDir"].get<std::string>()), "/");
  EXPECT_EQ(HostPath(m, config["cniConfigDir"].get<std::string>()), "/etc/cni/net.d");
  // Plugins are looked up at binDir in the container and run at the same path in the root.
  EXPECT_EQ(HostPath(m, "/opt/cni/bin"), "/opt/cni/bin");
  EXPECT_EQ(HostPath(m, "/var/lib/cni/multus"), "/var/lib/cni/multus");
  // kubelet probes the daemon on its metrics port (a unix socket cannot be probed).
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(c[probe]["httpGet"]["port"].as<int>(), config["metricsPort"].get<int>()) << probe;
  }
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");

  // The shim is installed by an init container, atomically (copy, then rename), into the
  // host's /opt/cni/bin, from where the image has it.
  ASSERT_EQ(spec["initContainers"].size(), 1u);
  const YAML::Node& init = spec["initContainers"][0];
  std::string script = init["command"][2].as<std::string>();
  EXPECT_NE(script.find("cp /usr/src/multus-cni/bin/multus-shim /host/opt/cni/bin/."),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("mv -f "), std::string::npos) << script;
  EXPECT_EQ(HostPath(CollectMounts(spec, init), "/host/opt/cni/bin"), "/opt/cni/bin");
  std::string dockerfile = testing::ReadText(kDeployments + "/Dockerfile");
  EXPECT_NE(dockerfile.find("/out/usr/bin/multus-daemon"), std::string::npos);
  EXPECT_NE(dockerfile.find("/out/usr/src/multus-cni/bin/multus-shim"), std::string::npos);
}

TEST(DeploymentsTest, ExampleNadsCarryValidCniConfigs) {
  int nads = 0;
  for (const Doc& doc : LoadAllDocs()) {
    if (doc.node["kind"].as<std::string>() != "NetworkAttachmentDefinition") continue;
    ++nads;
    EXPECT_EQ(doc.node["apiVersion"].as<std::string>(), "k8s.cni.cncf.io/v1");
    if (!doc.node["spec"] || !doc.node["spec"]["config"]) continue;  // config from confDir
    auto conf = nlohmann::json::parse(doc.node["spec"]["config"].as<std::string>(), nullptr, false);
    ASSERT_TRUE(conf.is_object()) << doc.file;
    EXPECT_TRUE(conf["cniVersion"].is_string()) << doc.file;
    EXPECT_EQ(conf["name"], doc.node["metadata"]["name"].as<std::string>()) << doc.file;
    EXPECT_TRUE(conf.contains("type") || conf["plugins"].is_array()) << doc.file;
  }
  EXPECT_GE(nads, 3);
}

TEST(DeploymentsTest, ExamplePodsReferToExampleNads) {
  std::set<std::string> nads;  // "namespace/name"
  std::vector<Doc> pods;
  for (const Doc& doc : LoadAllDocs()) {
    std::string kind = doc.node["kind"].as<std::string>();
    std::string ns = doc.node["metadata"]["namespace"]
                         ? doc.node["metadata"]["namespace"].as<std::string>()
                         : "default";
    if (kind == "NetworkAttachmentDefinition")
      nads.insert(ns + "/" + doc.node["metadata"]["name"].as<std::string>());
    if (kind == "Pod") pods.push_back(doc);
  }
  ASSERT_GE(pods.size(), 3u);
  for (const Doc& pod : pods) {
    const YAML::Node& annotations = pod.node["metadata"]["annotations"];
    std::vector<std::string> refs;
    if (annotations["k8s.v1.cni.cncf.io/networks"]) {
      std::string value = annotations["k8s.v1.cni.cncf.io/networks"].as<std::string>();
      auto json = nlohmann::json::parse(value, nullptr, false);
      if (json.is_array()) {
        for (const auto& item : json) {
          refs.push_back(item.value("namespace", "default") + "/" +
                         item["name"].get<std::string>());
        }
      } else {
        // Text form: "[namespace/]name[@ifname]" items separated by commas. (No std::regex:
        // GCC 12 warns inside it under -fsanitize, and warnings are errors.)
        auto is_label = [](const std::string& t) {
          return !t.empty() &&
                 t.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
        };
        size_t start = 0;
        for (;;) {
          size_t comma = value.find(',', start);
          std::string part = value.substr(start, comma - start);
          part.erase(0, part.find_first_not_of(" \t\n"));
          part.erase(part.find_last_not_of(" \t\n") + 1);
          std::string ns = "default";
          if (size_t at = part.find('@'); at != std::string::npos) part.resize(at);
          if (size_t slash = part.find('/'); slash != std::string::npos) {
            ns = part.substr(0, slash);
            part = part.substr(slash + 1);
          }
          EXPECT_TRUE(is_label(ns) && is_label(part)) << value;
          refs.push_back(ns + "/" + part);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
    }
    if (annotations["v1.multus-cni.io/default-network"]) {
      refs.push_back(annotations["v1.multus-cni.io/default-network"].as<std::string>());
    }
    EXPECT_FALSE(refs.empty()) << pod.file;
    for (const auto& ref : refs) EXPECT_TRUE(nads.count(ref)) << pod.file << ": " << ref;
  }
}

}  // namespace
}  // namespace multus::install
