// A libsolv pool holding one or more rpm-md repositories, answering "can these
// BuildRequires be installed together with this build group, and with what?".
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "repo_metadata.h"
#include "solv_handles.h"

extern "C" {
#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/solver.h>
}

namespace koschei {

struct PoolOptions {
  std::string arch;
  std::vector<std::string> repoDirs;
  std::string cacheDir;  // empty: no .solv cache
  bool ignoreWeakDeps = false;
  // Of the packages sharing a name, only those with the highest EVR stay installable
  // (copr.overriding_by_exclusions): whichever repository has the newer version wins.
  bool excludeOlderDuplicates = false;
};

struct LoadedRepo {
  std::string dir;
  int packages = 0;
  int excluded = 0;  // packages left out by PoolOptions::excludeOlderDuplicates
  bool fromCache = false;
  std::string cacheFile;  // name of its .solv file in the cache directory
};

/** The source package whose BuildRequires are resolved; names the synthetic solvable. */
struct SourcePackage {
  std::string name;
  uint32_t epoch = 0;
  std::string version;
  std::string release;
};

struct Install {
  Id solvable;
  int distance;  // 0 when none (build group only, or deeper than the limit)
};

struct Resolution {
  bool resolved = false;
  std::vector<std::string> problems;
  std::vector<Install> installs;  // sorted by name, then arch; empty when unresolved
};

class BuildDepPool {
 public:
  /** Loads every repository (from the cache when possible); throws DepsolveFailure. */
  explicit BuildDepPool(const PoolOptions& options);
  BuildDepPool(const BuildDepPool&) = delete;
  BuildDepPool& operator=(const BuildDepPool&) = delete;

  Resolution resolve(const SourcePackage& source, const std::vector<std::string>& buildRequires,
                     const std::vector<std::string>& buildGroup);

  const std::vector<LoadedRepo>& repos() const { return repos_; }
  /** Comps groups of all repositories (later repositories win on equal ids). */
  const CompsGroups& compsGroups() const { return comps_; }
  const Pool* pool() const { return pool_.get(); }

 private:
  bool hasWeakDependencies() const;
  void excludeOlderDuplicates(const std::vector<Repo*>& loaded);
  Repo* loadRepo(const std::string& dir, const std::string& cacheDir, LoadedRepo& info);
  void writeCache(Repo* repo, const std::string& path, Queue& addedFileProvides);
  Id parseDependency(const std::string& text);
  void ensureFileProviders(Id dep);
  const Queue& groupJobs(const std::vector<std::string>& buildGroup);
  void setSyntheticSource(const SourcePackage& source, const std::vector<Id>& requirements);
  void describeProblems(Solver* solver, std::vector<std::string>& problems);
  void sortByNameThenArch(std::vector<Install>& installs) const;
  void computeDistances(const std::vector<Id>& roots, std::vector<Install>& installs);
  template <typename Visit>
  void forInstalledProviders(Id dep, Visit&& visit);

  // pool_->considered when older duplicates are excluded. Declared before pool_ so that it
  // outlives the pool, which points to it (pool_free leaves the map alone).
  ScopedMap considered_;
  PoolPtr pool_;
  Repo* syntheticRepo_ = nullptr;
  Id syntheticSolvable_ = 0;
  bool ignoreWeakDeps_ = false;
  std::vector<LoadedRepo> repos_;

  CompsGroups comps_;
  // File paths already looked up in the file lists (their providers are set or known absent).
  std::unordered_set<Id> checkedPaths_;
  // The install jobs of the last build group, reused while the group stays the same.
  std::vector<std::string> lastGroup_;
  bool haveGroupJobs_ = false;
  ScopedQueue groupJobs_;
  // Per-solvable scratch space for distances: 0 = not installed, 1 = installed,
  // 2 + n = installed at distance n. Reset after every resolution.
  std::vector<uint8_t> mark_;
};

}  // namespace koschei
