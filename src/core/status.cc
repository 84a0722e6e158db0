#include "multus/status.h"

#include <cstring>

namespace multus {

Status Status::Prefixed(std::string_view prefix) const {
  if (ok()) return *this;
  return Status(code_, std::string(prefix) + ": " + msg_, details_);
}

Status IoError(std::string_view what, std::string_view path, int err) {
  return Status::IoFailure(std::string(what) + " " + std::string(path) + ": " + std::strerror(err));
}

}  // namespace multus
