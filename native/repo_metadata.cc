#include "repo_metadata.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "solv_handles.h"

extern "C" {
#include <solv/knownid.h>
#include <solv/repo.h>
#include <solv/repo_comps.h>
#include <solv/repo_repomdxml.h>
#include <solv/solv_xfopen.h>
}

namespace koschei {
namespace {

std::string toHex(const unsigned char* bytes, int length) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (int i = 0; i < length; i++) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 15]);
  }
  return hex;
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Finds the <data type="TYPE"> entry that repo_add_repomdxml stored in the repo's meta section.
RepomdEntry findEntry(Pool* pool, Repo* repo, const std::string& dir, const char* type) {
  RepomdEntry entry;
  ScopedDataiterator search(pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, type, SEARCH_STRING);
  dataiterator_prepend_keyname(&search.di, REPOSITORY_REPOMD);
  if (dataiterator_step(&search.di)) {
    dataiterator_setpos_parent(&search.di);
    const char* location = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
    Id checksumType = 0;
    const unsigned char* checksum =
        pool_lookup_bin_checksum(pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM, &checksumType);
    if (location) entry.path = dir + "/" + location;
    if (checksum && checksumType) {
      entry.checksumType = solv_chksum_type2str(checksumType);
      entry.checksumHex = toHex(checksum, solv_chksum_len(checksumType));
    }
  }
  return entry;
}

}  // namespace

std::string sha256Hex(const std::string& bytes) {
  ChksumPtr sum(solv_chksum_create(REPOKEY_TYPE_SHA256));
  solv_chksum_add(sum.get(), bytes.data(), static_cast<int>(bytes.size()));
  int length = 0;
  const unsigned char* digest = solv_chksum_get(sum.get(), &length);
  return toHex(digest, length);
}

Repomd readRepomd(const std::string& dir) {
  std::string repomdPath = dir + "/repodata/repomd.xml";
  Repomd repomd;
  repomd.repomdSha256 = sha256Hex(readWholeFile(repomdPath));

  PoolPtr pool(pool_create());
  Repo* repo = repo_create(pool.get(), "repomd");
  FilePtr file(std::fopen(repomdPath.c_str(), "r"));
  if (!file) throw std::runtime_error(repomdPath + ": cannot be opened");
  if (repo_add_repomdxml(repo, file.get(), 0) != 0) {
    throw std::runtime_error(repomdPath + ": not a valid repomd.xml (" + pool_errstr(pool.get()) +
                             ")");
  }
  repo_internalize(repo);
  repomd.primary = findEntry(pool.get(), repo, dir, "primary");
  if (repomd.primary.path.empty()) {
    throw std::runtime_error(repomdPath + ": lists no primary metadata");
  }
  repomd.filelists = findEntry(pool.get(), repo, dir, "filelists");
  repomd.group = findEntry(pool.get(), repo, dir, "group_gz");
  if (repomd.group.path.empty()) repomd.group = findEntry(pool.get(), repo, dir, "group");
  return repomd;
}

void verifyChecksum(const RepomdEntry& entry) {
  if (entry.checksumType.empty()) return;
  Id type = solv_chksum_str2type(entry.checksumType.c_str());
  if (!type) return;
  FilePtr file(std::fopen(entry.path.c_str(), "rb"));
  if (!file) throw std::runtime_error(entry.path + ": missing (listed in repomd.xml)");
  ChksumPtr sum(solv_chksum_create(type));
  char buffer[1 << 16];
  size_t count;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    solv_chksum_add(sum.get(), buffer, static_cast<int>(count));
  }
  int length = 0;
  const unsigned char* digest = solv_chksum_get(sum.get(), &length);
  std::string actual = toHex(digest, length);
  if (actual != entry.checksumHex) {
    throw std::runtime_error(entry.path + ": " + entry.checksumType +
                             " checksum differs from repomd.xml (damaged or truncated file)");
  }
}

CompsGroups readComps(const std::string& path) {
  PoolPtr pool(pool_create());
  Repo* repo = repo_create(pool.get(), "comps");
  FilePtr file(solv_xfopen(path.c_str(), "r"));
  if (!file) throw std::runtime_error(path + ": cannot be opened");
  if (repo_add_comps(repo, file.get(), 0) != 0) {
    throw std::runtime_error(path + ": not a valid comps file (" + pool_errstr(pool.get()) + ")");
  }
  repo_internalize(repo);
  // libsolv turns each group into a solvable "group:ID" that requires its mandatory packages
  // and recommends its default ones, and its conditional ones as "NAME IF OTHER" (optional
  // ones are suggests). A build group is the mandatory and default packages only.
  CompsGroups groups;
  const std::string prefix = "group:";
  Id p;
  Solvable* s;
  ScopedQueue deps;
  FOR_REPO_SOLVABLES(repo, p, s) {
    std::string name = pool_id2str(pool.get(), s->name);
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::vector<std::string>& members = groups[name.substr(prefix.size())];
    for (Id key : {SOLVABLE_REQUIRES, SOLVABLE_RECOMMENDS}) {
      // The lookup appends to the queue rather than replacing its content.
      queue_empty(&deps.q);
      solvable_lookup_deparray(s, key, &deps.q, 0);
      for (int i = 0; i < deps.q.count; i++) {
        Id dep = deps.q.elements[i];
        if (ISRELDEP(dep) && GETRELDEP(pool.get(), dep)->flags == REL_COND) continue;
        members.push_back(pool_dep2str(pool.get(), dep));
      }
    }
  }
  return groups;
}

}  // namespace koschei
