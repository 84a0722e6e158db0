// A NetworkAttachmentDefinition as a network multus can run.
#pragma once

#include "multus/kube_objects.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"
#include "multus/status.h"

namespace multus {

// Turns a NAD into a delegate: spec.config with `name` injected when missing (bytes kept
// otherwise), or the confDir file of that name. Code 7 when neither works.
Result<ResolvedNetwork> NetworkFromNad(const Nad& nad, const NetConf& conf);

}  // namespace multus
