// The only file that includes yaml-cpp.
#include "multus/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "multus/base64.h"
#include "multus/file_io.h"
#include "multus/in_cluster.h"

namespace multus {
namespace {

Status Invalid(std::string msg, std::string details = "") {
  return Status::InvalidConfig(std::move(msg), std::move(details));
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

// The entry of a named list (clusters, users, contexts) whose "name" matches.
YAML::Node FindNamed(const YAML::Node& root, const char* list, const std::string& name,
                     const char* inner) {
  const YAML::Node items = root[list];
  if (items && items.IsSequence()) {
    for (const YAML::Node& item : items) {
      if (Scalar(item, "name") == name) return item[inner];
    }
  }
  // A default-constructed Node is a defined null (truthy); an undefined one tests false.
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return std::string(base_dir) + "/" + path;
}

// "<key>-data" (base64) wins over "<key>" (a file path).
Result<std::string> Credential(const YAML::Node& node, const std::string& key,
                               std::string_view base_dir, FileReader read_file) {
  std::string data = Scalar(node, (key + "-data").c_str());
  if (!data.empty()) {
    Result<std::string> decoded = Base64Decode(data);
    if (!decoded.ok()) return Invalid("kubeconfig: " + key + "-data is not valid base64");
    return decoded;
  }
  std::string path = Scalar(node, key.c_str());
  if (path.empty()) return std::string();
  return read_file(Resolve(base_dir, path));
}

Result<KubeConfig> FromNodes(const YAML::Node& cluster, const YAML::Node& user,
                             std::string_view base_dir, FileReader read_file) {
  KubeConfig config;
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) return Invalid("kubeconfig: the current cluster has no server");
  config.insecure = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  config.tls_server_name = Scalar(cluster, "tls-server-name");
  ASSIGN_OR_RETURN(config.ca_pem,
                   Credential(cluster, "certificate-authority", base_dir, read_file));
  if (user.IsDefined()) {
    config.token = Scalar(user, "token");
    std::string token_file = Scalar(user, "tokenFile");
    config.token_file = Resolve(base_dir, token_file);
    ASSIGN_OR_RETURN(config.client_cert_pem,
                     Credential(user, "client-certificate", base_dir, read_file));
    ASSIGN_OR_RETURN(config.client_key_pem, Credential(user, "client-key", base_dir, read_file));
    if (!config.token_file.empty()) {
      config.token_file_identity = StatFileIdentity(config.token_file);
      ASSIGN_OR_RETURN(config.token_file_content, read_file(config.token_file));
    }
  }
  return config;
}

}  // namespace

Result<std::string> ReadCredentialFile(const std::string& path) {
  Result<std::optional<std::string>> read = ReadFileIfExists(path);
  if (!read.ok() || !read->has_value()) {
    // Never an empty token: a directory, a FIFO or an unreadable file is a config error.
    return Invalid("cannot read credential file " + path +
                       (read.ok() ? ": no such file" : ": " + read.status().msg()),
                   "check the path in the kubeconfig and that the file is readable by root");
  }
  return std::move(read).value().value();
}

std::string TrimToken(std::string content) {
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back())))
    content.pop_back();
  return content;
}

Result<std::string> BearerToken(const KubeConfig& config) {
  if (config.token_file.empty()) return config.token;
  ASSIGN_OR_RETURN(std::string token, ReadCredentialFile(config.token_file));
  return TrimToken(std::move(token));
}

Result<KubeConfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir,
                                   FileReader read_file) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) return Invalid("kubeconfig is not a YAML mapping");
    std::string context_name = Scalar(root, "current-context");
    if (context_name.empty()) return Invalid("kubeconfig has no current-context");
    YAML::Node context = FindNamed(root, "contexts", context_name, "context");
    if (!context.IsDefined())
      return Invalid("kubeconfig: context \"" + context_name + "\" does not exist");
    std::string cluster_name = Scalar(context, "cluster");
    YAML::Node cluster = FindNamed(root, "clusters", cluster_name, "cluster");
    if (!cluster.IsDefined())
      return Invalid("kubeconfig: cluster \"" + cluster_name + "\" does not exist");
    std::string user_name = Scalar(context, "user");
    YAML::Node user = FindNamed(root, "users", user_name, "user");
    if (!user_name.empty() && !user.IsDefined()) {
      return Invalid("kubeconfig: user \"" + user_name + "\" does not exist");
    }
    return FromNodes(cluster, user, base_dir, read_file);
  } catch (const YAML::Exception& e) {
    return Invalid(std::string("kubeconfig is not valid YAML: ") + e.what());
  }
}

Result<KubeConfig> LoadKubeconfig(const std::string& path) {
  Result<std::string> text = ReadCredentialFile(path);
  if (!text.ok()) {
    return Invalid("cannot read kubeconfig " + path,
                   "check the \"kubeconfig\" key of the multus config");
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  Result<KubeConfig> config = ParseKubeconfig(*text, dir, ReadCredentialFile);
  if (!config.ok()) return config.status().Prefixed("kubeconfig " + path);
  return config;
}

Result<KubeConfig> InClusterConfig(const EnvMap& env, const std::string& sa_dir) {
  auto host = env.find("KUBERNETES_SERVICE_HOST");
  auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || port == env.end() || host->second.empty() || port->second.empty()) {
    return Invalid("no kubeconfig and no in-cluster environment",
                   "set \"kubeconfig\" in the multus config");
  }
  KubeConfig config;
  ASSIGN_OR_RETURN(config.server, InClusterServerUrl(env));
  config.token_file = sa_dir + "/token";
  config.token_file_identity = StatFileIdentity(config.token_file);
  ASSIGN_OR_RETURN(config.token_file_content, ReadCredentialFile(config.token_file));
  ASSIGN_OR_RETURN(config.ca_pem, ReadCredentialFile(sa_dir + "/ca.crt"));
  return config;
}

bool HasKubernetesAccess(std::string_view kubeconfig, const EnvMap& env) {
  if (!kubeconfig.empty()) return true;
  auto host = env.find("KUBERNETES_SERVICE_HOST");
  auto port = env.find("KUBERNETES_SERVICE_PORT");
  return host != env.end() && port != env.end() && !host->second.empty() && !port->second.empty();
}

}  // namespace multus
