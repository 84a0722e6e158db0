#include "kubeconfig_writer.h"

#include <yaml-cpp/yaml.h>

#include "multus/base64.h"

namespace multus::install {

std::string RenderKubeconfig(const KubeconfigInputs& inputs) {
  YAML::Emitter out;
  out << YAML::Comment("Kubeconfig file for the multus CNI plugin, written by multus-install.");
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "local";
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  // Values from outside are always quoted: yaml-cpp writes a bare "\r" plain, and it would
  // read back as an empty string (fuzz finding install_kubeconfig-cr-token-file-dropped).
  out << YAML::Key << "server" << YAML::Value << YAML::DoubleQuoted << inputs.server;
  if (inputs.skip_tls_verify) {
    out << YAML::Key << "insecure-skip-tls-verify" << YAML::Value << true;
  } else {
    out << YAML::Key << "certificate-authority-data" << YAML::Value << Base64Encode(inputs.ca_pem);
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "multus";
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "tokenFile" << YAML::Value << YAML::DoubleQuoted << inputs.token_file;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "multus-context";
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << "local";
  out << YAML::Key << "user" << YAML::Value << "multus";
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << "multus-context";
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace multus::install
