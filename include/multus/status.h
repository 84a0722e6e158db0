// Status and Result<T>: every fallible function returns one, carrying a CNI error code.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace multus {

// CNI spec error codes (SPEC.md "Error" table) and ours (100+).
namespace code {
inline constexpr int kOk = 0;
inline constexpr int kIncompatibleVersion = 1;
inline constexpr int kUnsupportedField = 2;
inline constexpr int kUnknownContainer = 3;
inline constexpr int kInvalidEnv = 4;
inline constexpr int kIoFailure = 5;
inline constexpr int kDecode = 6;
inline constexpr int kInvalidConfig = 7;
inline constexpr int kInvalidNetns = 8;
inline constexpr int kTryAgainLater = 11;
inline constexpr int kPluginNotAvailable = 50;
inline constexpr int kInternal = 999;
// Ours: a delegate plugin failed without giving a CNI error of its own.
inline constexpr int kDelegateFailed = 100;
// Ours: the multus cache is corrupt; the file is kept for inspection.
inline constexpr int kCorruptCache = 101;
}  // namespace code

// [[nodiscard]]: a Status nobody looks at is an error nobody handles; dropping one on purpose
// is spelt (void).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(int code, std::string msg, std::string details = "")
      : code_(code), msg_(std::move(msg)), details_(std::move(details)) {}

  // One constructor per code, so a call site reads as what went wrong.
  static Status IncompatibleVersion(std::string msg, std::string details = "") {
    return Status(code::kIncompatibleVersion, std::move(msg), std::move(details));
  }
  static Status UnknownContainer(std::string msg, std::string details = "") {
    return Status(code::kUnknownContainer, std::move(msg), std::move(details));
  }
  static Status InvalidEnv(std::string msg, std::string details = "") {
    return Status(code::kInvalidEnv, std::move(msg), std::move(details));
  }
  static Status IoFailure(std::string msg, std::string details = "") {
    return Status(code::kIoFailure, std::move(msg), std::move(details));
  }
  static Status Decode(std::string msg, std::string details = "") {
    return Status(code::kDecode, std::move(msg), std::move(details));
  }
  static Status InvalidConfig(std::string msg, std::string details = "") {
    return Status(code::kInvalidConfig, std::move(msg), std::move(details));
  }
  static Status TryAgainLater(std::string msg, std::string details = "") {
    return Status(code::kTryAgainLater, std::move(msg), std::move(details));
  }
  static Status Internal(std::string msg, std::string details = "") {
    return Status(code::kInternal, std::move(msg), std::move(details));
  }
  static Status DelegateFailed(std::string msg, std::string details = "") {
    return Status(code::kDelegateFailed, std::move(msg), std::move(details));
  }
  static Status CorruptCache(std::string msg, std::string details = "") {
    return Status(code::kCorruptCache, std::move(msg), std::move(details));
  }

  bool ok() const { return code_ == code::kOk; }
  int code() const { return code_; }
  const std::string& msg() const { return msg_; }
  const std::string& details() const { return details_; }

  // Returns a copy whose msg is "<prefix>: <msg>"; code and details are kept.
  Status Prefixed(std::string_view prefix) const;

 private:
  int code_ = code::kOk;
  std::string msg_;
  std::string details_;
};

inline Status OkStatus() { return Status(); }

// Code 5 for a failed system call on a file: "<what> <path>: <strerror(err)>".
Status IoError(std::string_view what, std::string_view path, int err);

// A value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  // An ok Status carries no value: it becomes an internal error rather than a fake success.
  Result(Status status)  // NOLINT: implicit by design
      : data_(status.ok() ? Status(code::kInternal, "internal error: empty result")
                          : std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace multus

#define MULTUS_CONCAT_INNER(a, b) a##b
#define MULTUS_CONCAT(a, b) MULTUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::multus::Status status_macro_ = (expr);       \
    if (!status_macro_.ok()) return status_macro_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MULTUS_CONCAT(result_macro_, __LINE__), lhs, expr)
