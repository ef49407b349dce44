// Failures the addon reports with a stable code, which JavaScript reads as DepsolveError.code
// (src/depsolve/errors.ts documents every code; the two lists must agree).
#pragma once

#include <stdexcept>
#include <string>

namespace koschei {

enum class ErrorCode {
  InvalidArgument,
  RepoMetadataMissing,
  RepoChecksumMismatch,
  RepoMetadataCorrupt,
  CompsCorrupt,
  PoolClosed,
};

/** The code as JavaScript sees it. */
inline const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::RepoMetadataMissing:
      return "REPO_METADATA_MISSING";
    case ErrorCode::RepoChecksumMismatch:
      return "REPO_CHECKSUM_MISMATCH";
    case ErrorCode::RepoMetadataCorrupt:
      return "REPO_METADATA_CORRUPT";
    case ErrorCode::CompsCorrupt:
      return "COMPS_CORRUPT";
    case ErrorCode::PoolClosed:
      return "POOL_CLOSED";
  }
  return "INTERNAL";
}

/** A failure the caller can act on; the binding turns it into a JS Error with a `code`. */
class DepsolveFailure : public std::runtime_error {
 public:
  DepsolveFailure(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace koschei
