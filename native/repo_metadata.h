// Reading an rpm-md repository's index (repodata/repomd.xml), its checksums and comps groups,
// and parsing any repodata file completely or not at all.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "depsolve_error.h"

extern "C" {
#include <solv/pool.h>
}

namespace koschei {

/** One file listed by repomd.xml: where it is and the checksum it must have. */
struct RepomdEntry {
  std::string path;          // absolute path on disk
  std::string checksumType;  // e.g. "sha256"; empty when repomd.xml gives none
  std::string checksumHex;
};

/** The parts of repomd.xml the resolver needs. */
struct Repomd {
  std::string repomdSha256;  // checksum of repomd.xml itself
  RepomdEntry primary;
  RepomdEntry filelists;     // path empty when the repository has no filelists
  RepomdEntry group;         // comps; path empty when absent
};

/** Parses DIR/repodata/repomd.xml; throws DepsolveFailure naming the problem. */
Repomd readRepomd(const std::string& dir);

/**
 * Reads the file whole and checks it against the checksum repomd.xml gives. Returns
 * "TYPE:HEX" of its actual content (SHA-256 when repomd.xml gives no checksum), which
 * identifies exactly what was read. Throws DepsolveFailure.
 */
std::string verifiedDigest(const RepomdEntry& entry);

/** What a repodata file is, for messages, and the error code when it is unusable. */
struct RepodataKind {
  const char* description;  // "primary metadata"
  ErrorCode corrupt;
};

/**
 * Opens a repodata file (decompressing it) and runs `parse`, a libsolv repo_add_* call, on it.
 * Throws DepsolveFailure(kind.corrupt) unless the whole file was read and parsed without error:
 * libsolv's error messages (some parsers only print them) become the exception's message.
 */
void parseRepodataFile(Pool* pool, const std::string& path, const RepodataKind& kind,
                       const std::function<int(FILE*)>& parse);

/** Comps groups by id: the names of their mandatory packages, then of their default ones. */
using CompsGroups = std::map<std::string, std::vector<std::string>>;

/** Parses a comps file (plain or compressed); throws DepsolveFailure(CompsCorrupt). */
CompsGroups readComps(const std::string& path);

/** Lowercase hex SHA-256 of a byte string. */
std::string sha256Hex(const std::string& bytes);

}  // namespace koschei
