#include "multus/status.h"

namespace multus {

Status Status::Prefixed(std::string_view prefix) const {
  if (ok()) return *this;
  return Status(code_, std::string(prefix) + ": " + msg_, details_);
}

}  // namespace multus
