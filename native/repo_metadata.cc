#include "repo_metadata.h"

#include <cstdio>
#include <new>

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

const RepodataKind kRepomd{"repomd.xml", ErrorCode::RepoMetadataCorrupt};
const RepodataKind kComps{"comps file", ErrorCode::CompsCorrupt};

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

/** Passes the file's bytes to `consume` chunk by chunk; false when it cannot be opened. */
bool readChunks(const std::string& path, const std::function<void(const char*, size_t)>& consume) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) return false;
  char buffer[1 << 16];
  size_t count;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) consume(buffer, count);
  // A directory opens, then fails to read (EISDIR).
  if (std::ferror(file.get())) {
    throw DepsolveFailure(ErrorCode::RepoMetadataMissing, path + ": cannot be read");
  }
  return true;
}

std::string readWholeFile(const std::string& path) {
  std::string content;
  if (!readChunks(path, [&](const char* bytes, size_t count) { content.append(bytes, count); })) {
    throw DepsolveFailure(ErrorCode::RepoMetadataMissing, path + ": cannot be read");
  }
  return content;
}

/**
 * While alive, collects the error messages libsolv would print to stderr: repo_add_comps
 * reports broken XML only that way (and returns success with whatever it parsed so far).
 */
class CollectedErrors {
 public:
  explicit CollectedErrors(Pool* pool) : pool_(pool) { pool_setdebugcallback(pool, &collect, this); }
  ~CollectedErrors() { pool_setdebugcallback(pool_, nullptr, nullptr); }
  CollectedErrors(const CollectedErrors&) = delete;
  CollectedErrors& operator=(const CollectedErrors&) = delete;
  const std::string& text() const { return text_; }

 private:
  static void collect(Pool*, void* data, int type, const char* message) {
    if (!(type & (SOLV_ERROR | SOLV_FATAL))) return;
    std::string& text = static_cast<CollectedErrors*>(data)->text_;
    std::string line(message);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    text += (text.empty() ? "" : "; ") + line;
  }

  Pool* pool_;
  std::string text_;
};

void parseCompletely(Pool* pool, FILE* file, const std::string& name, const RepodataKind& kind,
                     const std::function<int(FILE*)>& parse) {
  CollectedErrors errors(pool);
  std::string problem;
  int status = parse(file);
  if (std::ferror(file)) {
    // A decompressor's error (such as a CRC mismatch) is the cause; the parser only saw the
    // data end early.
    problem = "read error (damaged or truncated compressed data)";
  } else if (status != 0) {
    problem = pool_errstr(pool);
  } else if (!errors.text().empty()) {
    problem = errors.text();
  }
  if (!problem.empty()) {
    throw DepsolveFailure(kind.corrupt, name + ": not a valid " + kind.description + " (" +
                                            problem + ")");
  }
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

void parseRepodataFile(Pool* pool, const std::string& path, const RepodataKind& kind,
                       const std::function<int(FILE*)>& parse) {
  FilePtr file(solv_xfopen(path.c_str(), "r"));
  if (!file) throw DepsolveFailure(ErrorCode::RepoMetadataMissing, path + ": cannot be opened");
  parseCompletely(pool, file.get(), path, kind, parse);
}

Repomd readRepomd(const std::string& dir) {
  std::string repomdPath = dir + "/repodata/repomd.xml";
  // Parsed from the very bytes whose checksum is taken, so that both describe one version.
  std::string content = readWholeFile(repomdPath);
  if (content.empty()) {
    throw DepsolveFailure(ErrorCode::RepoMetadataCorrupt, repomdPath + ": is empty");
  }
  Repomd repomd;
  repomd.repomdSha256 = sha256Hex(content);

  PoolPtr pool(pool_create());
  Repo* repo = repo_create(pool.get(), "repomd");
  FilePtr file(fmemopen(content.data(), content.size(), "r"));
  if (!file) throw std::bad_alloc();
  parseCompletely(pool.get(), file.get(), repomdPath, kRepomd,
                  [repo](FILE* in) { return repo_add_repomdxml(repo, in, 0); });
  repo_internalize(repo);
  repomd.primary = findEntry(pool.get(), repo, dir, "primary");
  if (repomd.primary.path.empty()) {
    throw DepsolveFailure(ErrorCode::RepoMetadataCorrupt,
                          repomdPath + ": lists no primary metadata");
  }
  repomd.filelists = findEntry(pool.get(), repo, dir, "filelists");
  repomd.group = findEntry(pool.get(), repo, dir, "group_gz");
  if (repomd.group.path.empty()) repomd.group = findEntry(pool.get(), repo, dir, "group");
  return repomd;
}

std::string verifiedDigest(const RepomdEntry& entry) {
  // checksumType came from libsolv's own type names (findEntry), so it converts back.
  Id type = entry.checksumType.empty() ? REPOKEY_TYPE_SHA256
                                       : solv_chksum_str2type(entry.checksumType.c_str());
  ChksumPtr sum(solv_chksum_create(type));
  bool found = readChunks(entry.path, [&](const char* bytes, size_t count) {
    solv_chksum_add(sum.get(), bytes, static_cast<int>(count));
  });
  if (!found) {
    throw DepsolveFailure(ErrorCode::RepoMetadataMissing,
                          entry.path + ": missing (listed in repomd.xml)");
  }
  int length = 0;
  const unsigned char* digest = solv_chksum_get(sum.get(), &length);
  std::string actual = toHex(digest, length);
  if (!entry.checksumHex.empty() && actual != entry.checksumHex) {
    throw DepsolveFailure(ErrorCode::RepoChecksumMismatch,
                          entry.path + ": " + entry.checksumType +
                              " checksum differs from repomd.xml (damaged or truncated file)");
  }
  return std::string(solv_chksum_type2str(type)) + ":" + actual;
}

CompsGroups readComps(const std::string& path) {
  PoolPtr pool(pool_create());
  Repo* repo = repo_create(pool.get(), "comps");
  parseRepodataFile(pool.get(), path, kComps,
                    [repo](FILE* in) { return repo_add_comps(repo, in, 0); });
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
