// Kubernetes API credentials: a kubeconfig file (current context only) or the in-cluster
// service account.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "multus/cni_env.h"
#include "multus/file_io.h"
#include "multus/status.h"

namespace multus {

struct KubeConfig {
  std::string server;           // https://host:port
  std::string ca_pem;           // empty: system trust store
  bool insecure = false;        // insecure-skip-tls-verify
  std::string tls_server_name;  // name to verify instead of the server's host
  std::string token;
  std::string token_file;  // its current content is used for every request (tokens rotate)
  // The token file as the load found it (stat'ed, then read), so that the first request need
  // not read it again while it is unchanged. Without an identity (the stat failed) it is.
  std::optional<FileIdentity> token_file_identity;
  std::string token_file_content;
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Parses kubeconfig YAML text. File references (certificate-authority, client-certificate,
// client-key, tokenFile) are resolved against `base_dir` and read through `read_file`.
// Errors (code 7): malformed YAML, no current-context, a context/cluster/user that does not
// exist, an unreadable credential file (named).
using FileReader = Result<std::string> (*)(const std::string& path);
Result<KubeConfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir,
                                   FileReader read_file);

// Reads and parses the kubeconfig file at `path`.
Result<KubeConfig> LoadKubeconfig(const std::string& path);

// The in-cluster config from KUBERNETES_SERVICE_HOST/PORT and the service-account files in
// `sa_dir` (/var/run/secrets/kubernetes.io/serviceaccount). nullopt-like: code 7 when the
// env is not set.
Result<KubeConfig> InClusterConfig(const EnvMap& env, const std::string& sa_dir);

// True when `kubeconfig` is set or the in-cluster env is present: multus talks to the API.
bool HasKubernetesAccess(std::string_view kubeconfig, const EnvMap& env);

// Reads a whole file; code 7 naming the file on failure.
Result<std::string> ReadCredentialFile(const std::string& path);

// The bearer token to send now: `token`, or `token_file` read again (projected service-account
// tokens are rotated on disk), trailing whitespace removed. Code 7 when the file is unreadable.
Result<std::string> BearerToken(const KubeConfig& config);

// A token file's content as a bearer token: trailing whitespace removed.
std::string TrimToken(std::string content);

}  // namespace multus
