// Reading an rpm-md repository's index (repodata/repomd.xml) and its comps groups.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace koschei {

/** One file listed by repomd.xml: where it is and the checksum it must have. */
struct RepomdEntry {
  std::string path;          // absolute path on disk
  std::string checksumType;  // e.g. "sha256"; empty when repomd.xml gives none
  std::string checksumHex;
};

/** The parts of repomd.xml the resolver needs. */
struct Repomd {
  std::string repomdSha256;  // checksum of repomd.xml itself: the cache key
  RepomdEntry primary;
  RepomdEntry filelists;     // path empty when the repository has no filelists
  RepomdEntry group;         // comps; path empty when absent
};

/** Parses DIR/repodata/repomd.xml; throws std::runtime_error naming the problem. */
Repomd readRepomd(const std::string& dir);

/** Throws std::runtime_error when the file's checksum differs from the one repomd.xml gives. */
void verifyChecksum(const RepomdEntry& entry);

/** Comps groups by id: the names of their mandatory packages, then of their default ones. */
using CompsGroups = std::map<std::string, std::vector<std::string>>;

/** Parses a comps file (plain or compressed); throws std::runtime_error when unreadable. */
CompsGroups readComps(const std::string& path);

/** Lowercase hex SHA-256 of a byte string. */
std::string sha256Hex(const std::string& bytes);

}  // namespace koschei
