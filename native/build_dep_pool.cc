#include "build_dep_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <unordered_map>

#include "depsolve_error.h"
#include "solv_handles.h"

extern "C" {
#include <solv/dataiterator.h>
#include <solv/evr.h>
#include <solv/knownid.h>
#include <solv/pool_parserpmrichdep.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/repodata.h>
#include <solv/rules.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/util.h>
}

namespace koschei {
namespace {

// Distances are reported up to this depth (spec: null beyond 4).
constexpr int kMaxDistance = 4;
// Bumped whenever what we store in the .solv cache changes meaning.
constexpr const char* kCacheVersion = "3";
// libsolv parses, solves and prints rich dependencies recursively, one level per parenthesis
// and per operator, and so do our walks over them: deeper ones are refused rather than left to
// overflow the stack (real ones have a handful of levels).
constexpr size_t kMaxRichLevels = 256;

/** An upper bound of the recursion depth of a rich dependency: its parentheses and operators. */
size_t richLevels(const std::string& dep) {
  static const std::string_view operators[] = {"and",  "or",   "if",     "unless",
                                               "else", "with", "without"};
  size_t levels = 0;
  size_t position = 0;
  while (position < dep.size()) {
    if (dep[position] == '(') levels++;
    size_t end = dep.find_first_of(" ()", position);
    if (end == std::string::npos) end = dep.size();
    if (end == position) {
      position++;
      continue;
    }
    std::string_view word(dep.data() + position, end - position);
    if (std::find(std::begin(operators), std::end(operators), word) != std::end(operators)) {
      levels++;
    }
    position = end;
  }
  return levels;
}

bool isRichOperator(int flags) {
  switch (flags) {
    case REL_AND:
    case REL_OR:
    case REL_WITH:
    case REL_WITHOUT:
    case REL_COND:
    case REL_UNLESS:
    case REL_ELSE:
      return true;
    default:
      return false;
  }
}

// libsolv accepts any string as an architecture (an unknown one matches only itself and
// noarch), so a typo would silently resolve against nothing: only RPM's names are accepted.
bool isKnownArch(const std::string& arch) {
  static const char* const known[] = {
      "x86_64",   "i686",     "i586",    "i486",      "i386",     "athlon",   "ia64",
      "aarch64",  "armv7hnl", "armv7hl", "armv7l",    "armv6hl",  "armv6l",   "armv5tejl",
      "armv5tel", "armv5tl",  "armv5l",  "armv4tl",   "armv4l",   "armv3l",   "ppc64le",
      "ppc64",    "ppc64p7",  "ppc",     "s390x",     "s390",     "riscv64",  "loongarch64",
      "sparc64v", "sparc64",  "sparcv9v", "sparcv9",  "sparcv8",  "sparc",    "mips",
      "mipsel",   "mips64",   "mips64el", "m68k",     "sh3",      "sh4",      "sh4a",
      "noarch"};
  for (const char* name : known) {
    if (arch == name) return true;
  }
  return false;
}

// Keeps what resolving needs in the .solv cache (names, dependencies, file lists, repo meta
// data) and drops the descriptive package data, which makes the cache smaller and faster.
int cacheKeyFilter(Repo* repo, Repokey* key, void* data) {
  switch (key->name) {
    case SOLVABLE_SUMMARY:
    case SOLVABLE_DESCRIPTION:
    case SOLVABLE_DISTRIBUTION:
    case SOLVABLE_AUTHORS:
    case SOLVABLE_PACKAGER:
    case SOLVABLE_GROUP:
    case SOLVABLE_URL:
    case SOLVABLE_KEYWORDS:
    case SOLVABLE_LICENSE:
    case SOLVABLE_BUILDTIME:
    case SOLVABLE_BUILDHOST:
    case SOLVABLE_EULA:
    case SOLVABLE_INSTALLSIZE:
    case SOLVABLE_DOWNLOADSIZE:
    case SOLVABLE_MEDIADIR:
    case SOLVABLE_MEDIAFILE:
    case SOLVABLE_MEDIANR:
    case SOLVABLE_MEDIABASE:
    case SOLVABLE_SOURCEARCH:
    case SOLVABLE_SOURCENAME:
    case SOLVABLE_SOURCEEVR:
    case SOLVABLE_CHECKSUM:
    case SOLVABLE_PKGID:
    case SOLVABLE_HDRID:
    case SOLVABLE_LEADSIGID:
    case SOLVABLE_HEADEREND:
    case SOLVABLE_CHANGELOG:
    case SOLVABLE_CHANGELOG_AUTHOR:
    case SOLVABLE_CHANGELOG_TIME:
    case SOLVABLE_CHANGELOG_TEXT:
      return KEY_STORAGE_DROPPED;
    default:
      return repo_write_stdkeyfilter(repo, key, data);
  }
}

const RepodataKind kPrimary{"primary metadata", ErrorCode::RepoMetadataCorrupt};
const RepodataKind kFilelists{"filelists metadata", ErrorCode::RepoMetadataCorrupt};

/**
 * A file written under a name unique to this writer (threads share the pid) and renamed to
 * its final name by commit(), so that concurrent readers and writers never see half a file.
 * On every other path, an exception included, the temporary file is removed.
 */
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& target)
      : target_(target),
        temporary_(target + "." + std::to_string(getpid()) + "-" +
                   std::to_string(std::random_device{}()) + ".tmp"),
        file_(std::fopen(temporary_.c_str(), "w")) {}
  ~TemporaryFile() {
    if (file_) std::fclose(file_);
    if (!committed_) std::remove(temporary_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  /** The open file; null when it could not be created. */
  FILE* get() const { return file_; }

  /** Closes the file and renames it to the target; on failure it is removed. */
  void commit() {
    FILE* file = file_;
    file_ = nullptr;
    committed_ = std::fclose(file) == 0 && std::rename(temporary_.c_str(), target_.c_str()) == 0;
  }

 private:
  std::string target_;
  std::string temporary_;
  FILE* file_;
  bool committed_ = false;
};

bool fileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

std::string evrString(const SourcePackage& source) {
  std::string evr = source.epoch ? std::to_string(source.epoch) + ":" : "";
  evr += source.version;
  if (!source.release.empty()) evr += "-" + source.release;
  return evr;
}

}  // namespace

BuildDepPool::BuildDepPool(const PoolOptions& options)
    : pool_(pool_create()), ignoreWeakDeps_(options.ignoreWeakDeps) {
  pool_setdisttype(pool_.get(), DISTTYPE_RPM);
  if (!isKnownArch(options.arch)) {
    throw DepsolveFailure(ErrorCode::InvalidArgument,
                          "unknown architecture '" + options.arch + "'");
  }
  pool_setarch(pool_.get(), options.arch.c_str());
  if (options.repoDirs.empty()) {
    throw DepsolveFailure(ErrorCode::InvalidArgument, "no repository given");
  }

  std::vector<std::pair<Repo*, std::string>> toCache;
  std::vector<Repo*> loaded;  // in the order of repos_
  for (const std::string& dir : options.repoDirs) {
    LoadedRepo info;
    Repo* repo = loadRepo(dir, options.cacheDir, info);
    if (!info.fromCache && !options.cacheDir.empty()) {
      toCache.emplace_back(repo, options.cacheDir + "/" + info.cacheFile);
    }
    repos_.push_back(info);
    loaded.push_back(repo);
  }

  // File dependencies (including ones between repositories) become provides; the list of
  // added ones goes into the cache so that a warm load can skip the file list search.
  ScopedQueue addedFileProvides;
  pool_addfileprovides_queue(pool_.get(), &addedFileProvides.q, nullptr);
  for (auto& [repo, path] : toCache) writeCache(repo, path, addedFileProvides.q);

  // One reusable solvable stands for the source package being resolved; it provides
  // nothing, so whatprovides (created once, here) never needs rebuilding for it.
  syntheticRepo_ = repo_create(pool_.get(), "@builddeps");
  syntheticSolvable_ = repo_add_solvable(syntheticRepo_);
  // Before whatprovides is built, which then leaves the excluded packages out.
  if (options.excludeOlderDuplicates) excludeOlderDuplicates(loaded);
  pool_createwhatprovides(pool_.get());
  mark_.assign(pool_->nsolvables, 0);
  // Without any weak dependency in the repos, ignoring them changes no result but spares
  // libsolv its per-solve pass over every package looking for recommends and supplements.
  if (!hasWeakDependencies()) ignoreWeakDeps_ = true;
}

bool BuildDepPool::hasWeakDependencies() const {
  for (Id p = 2; p < pool_->nsolvables; p++) {
    const Solvable* s = pool_->solvables + p;
    if (s->repo && (s->recommends || s->suggests || s->supplements || s->enhances)) return true;
  }
  return false;
}

// What hawkey's add_excludes did for the original: of the installable packages sharing a name,
// those older than the newest are no longer considered, so whichever repository offers the
// newer version wins even where libsolv would fall back to an older one (a newer version that
// cannot be installed makes the resolution fail, as it would on a system updated from that
// repository). Packages with the newest EVR all stay: the arches of a multilib package, or the
// same build in two repositories.
void BuildDepPool::excludeOlderDuplicates(const std::vector<Repo*>& loaded) {
  Pool* pool = pool_.get();
  auto isCandidate = [&](Solvable* s) {
    return s->repo && s->repo != syntheticRepo_ && pool_installable(pool, s);
  };
  std::unordered_map<Id, Id> newestEvr;  // by name
  for (Id p = 2; p < pool->nsolvables; p++) {
    Solvable* s = pool->solvables + p;
    if (!isCandidate(s)) continue;
    auto [entry, first] = newestEvr.try_emplace(s->name, s->evr);
    if (!first && pool_evrcmp(pool, s->evr, entry->second, EVRCMP_COMPARE) > 0) {
      entry->second = s->evr;
    }
  }
  map_free(&considered_.map);
  map_init(&considered_.map, pool->nsolvables);
  map_setall(&considered_.map);
  for (Id p = 2; p < pool->nsolvables; p++) {
    Solvable* s = pool->solvables + p;
    if (!isCandidate(s) || pool_evrcmp(pool, s->evr, newestEvr[s->name], EVRCMP_COMPARE) >= 0) {
      continue;
    }
    MAPCLR(&considered_.map, p);
    auto repo = std::find(loaded.begin(), loaded.end(), s->repo);
    if (repo != loaded.end()) repos_[repo - loaded.begin()].excluded++;
  }
  pool->considered = &considered_.map;
}

Repo* BuildDepPool::loadRepo(const std::string& dir, const std::string& cacheDir,
                             LoadedRepo& info) {
  info.dir = dir;
  if (!fileExists(dir)) {
    throw DepsolveFailure(ErrorCode::RepoMetadataMissing, dir + ": no such repository directory");
  }
  Repomd repomd = readRepomd(dir);
  // Every file is checked against repomd.xml on every load, a warm one included: the cache
  // is named by what the files contain now, so a damaged or replaced file is never masked by a
  // .solv file built from its earlier content.
  std::string primaryDigest = verifiedDigest(repomd.primary);
  std::string filelistsDigest =
      repomd.filelists.path.empty() ? "none" : verifiedDigest(repomd.filelists);
  if (!repomd.group.path.empty()) {
    verifiedDigest(repomd.group);
    for (auto& [id, members] : readComps(repomd.group.path)) comps_[id] = members;
  }
  info.cacheFile = sha256Hex(std::string("koschei-solv-") + kCacheVersion + "\n" +
                             repomd.repomdSha256 + "\n" + primaryDigest + "\n" + filelistsDigest) +
                   ".solv";
  Repo* repo = repo_create(pool_.get(), info.cacheFile.c_str());

  if (!cacheDir.empty()) {
    FilePtr cached(std::fopen((cacheDir + "/" + info.cacheFile).c_str(), "r"));
    if (cached) {
      if (repo_add_solv(repo, cached.get(), 0) == 0) {
        info.fromCache = true;
        info.packages = repo->nsolvables;
        return repo;
      }
      repo_empty(repo, 1);  // unreadable cache: fall back to the XML
    }
  }

  parseRepodataFile(pool_.get(), repomd.primary.path, kPrimary,
                    [repo](FILE* in) { return repo_add_rpmmd(repo, in, nullptr, 0); });
  if (!repomd.filelists.path.empty()) {
    parseRepodataFile(pool_.get(), repomd.filelists.path, kFilelists, [repo](FILE* in) {
      return repo_add_rpmmd(repo, in, nullptr, REPO_EXTEND_SOLVABLES);
    });
  }
  info.packages = repo->nsolvables;
  return repo;
}

void BuildDepPool::writeCache(Repo* repo, const std::string& path, Queue& addedFileProvides) {
  Repodata* data = repo_last_repodata(repo);
  if (data && addedFileProvides.count) {
    repodata_set_idarray(data, SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &addedFileProvides);
    repodata_internalize(data);
  }
  // The cache is an optimisation: a directory we cannot write to is not an error.
  TemporaryFile file(path);
  if (!file.get()) return;
  if (repo_write_filtered(repo, file.get(), cacheKeyFilter, nullptr, nullptr) == 0) {
    file.commit();
  }
}

Id BuildDepPool::parseDependency(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return 0;
  size_t end = text.find_last_not_of(" \t");
  std::string dep = text.substr(begin, end - begin + 1);
  if (dep[0] == '(') {
    return richLevels(dep) > kMaxRichLevels ? 0 : pool_parserpmrichdep(pool_.get(), dep.c_str());
  }

  std::vector<std::string> words;
  size_t position = 0;
  while (position < dep.size()) {
    size_t stop = dep.find_first_of(" \t", position);
    if (stop == std::string::npos) stop = dep.size();
    words.push_back(dep.substr(position, stop - position));
    position = dep.find_first_not_of(" \t", stop);
    if (position == std::string::npos) break;
  }
  if (words.size() == 1) return pool_str2id(pool_.get(), words[0].c_str(), 1);
  if (words.size() != 3) return 0;
  static const struct {
    const char* op;
    int flags;
  } operators[] = {{"<", REL_LT},           {"<=", REL_LT | REL_EQ}, {"=", REL_EQ},
                   {"==", REL_EQ},          {">=", REL_GT | REL_EQ}, {">", REL_GT}};
  for (const auto& candidate : operators) {
    if (words[1] == candidate.op) {
      Id name = pool_str2id(pool_.get(), words[0].c_str(), 1);
      Id evr = pool_str2id(pool_.get(), words[2].c_str(), 1);
      return pool_rel2id(pool_.get(), name, evr, candidate.flags, 1);
    }
  }
  return 0;
}

void BuildDepPool::ensureFileProviders(Id dep) {
  if (ISRELDEP(dep)) {
    Reldep* relation = GETRELDEP(pool_.get(), dep);
    if (isRichOperator(relation->flags)) {
      ensureFileProviders(relation->name);
      ensureFileProviders(relation->evr);
    } else if (relation->flags < 8) {  // a version comparison: the name may be a path
      ensureFileProviders(relation->name);
    }
    return;
  }
  const char* name = pool_id2str(pool_.get(), dep);
  if (name[0] != '/' || !checkedPaths_.insert(dep).second) return;
  if (pool_->whatprovidesdata[pool_whatprovides(pool_.get(), dep)] != 0) return;
  // Nothing provides the path explicitly: like dnf, fall back to the file lists.
  ScopedQueue owners;
  ScopedDataiterator files(pool_.get(), nullptr, 0, SOLVABLE_FILELIST, name, SEARCH_STRING | SEARCH_FILES);
  while (dataiterator_step(&files.di)) {
    if (pool_installable(pool_.get(), pool_->solvables + files.di.solvid)) {
      queue_push(&owners.q, files.di.solvid);
    }
    dataiterator_skip_solvable(&files.di);
  }
  if (owners.q.count) pool_set_whatprovides(pool_.get(), dep, pool_queuetowhatprovides(pool_.get(), &owners.q));
}

const Queue& BuildDepPool::groupJobs(const std::vector<std::string>& buildGroup) {
  if (haveGroupJobs_ && buildGroup == lastGroup_) return groupJobs_.q;
  queue_empty(&groupJobs_.q);
  for (const std::string& member : buildGroup) {
    Id dep = parseDependency(member);
    if (!dep) continue;
    ensureFileProviders(dep);
    // Members nothing provides are skipped, as dnf does for missing group packages.
    if (pool_->whatprovidesdata[pool_whatprovides(pool_.get(), dep)] == 0) continue;
    queue_push2(&groupJobs_.q, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, dep);
  }
  lastGroup_ = buildGroup;
  haveGroupJobs_ = true;
  return groupJobs_.q;
}

void BuildDepPool::setSyntheticSource(const SourcePackage& source, const std::vector<Id>& requirements) {
  Solvable* s = pool_id2solvable(pool_.get(), syntheticSolvable_);
  s->name = pool_str2id(pool_.get(), ("@builddeps(" + source.name + ")").c_str(), 1);
  s->evr = pool_str2id(pool_.get(), evrString(source).c_str(), 1);
  s->arch = ARCH_NOARCH;
  // The synthetic repo holds only this solvable, so its id array is exactly these requires:
  // rewritten in place on every call instead of growing (index 0 stays the empty array).
  size_t count = requirements.size();
  syntheticRepo_->idarraydata =
      static_cast<Id*>(solv_realloc2(syntheticRepo_->idarraydata, count + 2, sizeof(Id)));
  syntheticRepo_->idarraydata[0] = 0;
  std::copy(requirements.begin(), requirements.end(), syntheticRepo_->idarraydata + 1);
  syntheticRepo_->idarraydata[count + 1] = 0;
  syntheticRepo_->idarraysize = static_cast<int>(count + 2);
  s->requires = count ? 1 : 0;
}

Resolution BuildDepPool::resolve(const SourcePackage& source,
                                 const std::vector<std::string>& buildRequires,
                                 const std::vector<std::string>& buildGroup) {
  Resolution result;
  std::vector<Id> requirements;
  requirements.reserve(buildRequires.size());
  for (const std::string& text : buildRequires) {
    Id dep = parseDependency(text);
    if (!dep) {
      std::string why = richLevels(text) > kMaxRichLevels
                            ? " (more than " + std::to_string(kMaxRichLevels) +
                                  " nested parentheses and operators)"
                            : "";
      result.problems.push_back("Problem: cannot parse the dependency '" + text + "'" + why);
      continue;
    }
    ensureFileProviders(dep);
    if (std::find(requirements.begin(), requirements.end(), dep) == requirements.end()) requirements.push_back(dep);
  }
  setSyntheticSource(source, requirements);

  ScopedQueue jobs;
  const Queue& group = groupJobs(buildGroup);
  for (int i = 0; i < group.count; i++) queue_push(&jobs.q, group.elements[i]);
  queue_push2(&jobs.q, SOLVER_INSTALL | SOLVER_SOLVABLE, syntheticSolvable_);

  SolverPtr solver(solver_create(pool_.get()));
  solver_set_flag(solver.get(), SOLVER_FLAG_IGNORE_RECOMMENDED, ignoreWeakDeps_ ? 1 : 0);
  if (solver_solve(solver.get(), &jobs.q) != 0) describeProblems(solver.get(), result.problems);
  if (!result.problems.empty()) return result;

  ScopedQueue decisions;
  solver_get_decisionqueue(solver.get(), &decisions.q);
  for (int i = 0; i < decisions.q.count; i++) {
    Id p = decisions.q.elements[i];
    if (p <= SYSTEMSOLVABLE || p == syntheticSolvable_) continue;
    Id arch = pool_->solvables[p].arch;
    if (arch == ARCH_SRC || arch == ARCH_NOSRC) continue;
    result.installs.push_back({p, 0});
  }
  computeDistances(requirements, result.installs);
  sortByNameThenArch(result.installs);
  result.resolved = true;
  return result;
}

void BuildDepPool::sortByNameThenArch(std::vector<Install>& installs) const {
  struct Keyed {
    const char* name;
    const char* arch;
    Install install;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(installs.size());
  for (const Install& install : installs) {
    const Solvable* s = pool_->solvables + install.solvable;
    keyed.push_back({pool_id2str(pool_.get(), s->name), pool_id2str(pool_.get(), s->arch), install});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    int byName = std::strcmp(a.name, b.name);
    return byName != 0 ? byName < 0 : std::strcmp(a.arch, b.arch) < 0;
  });
  for (size_t i = 0; i < keyed.size(); i++) installs[i] = keyed[i].install;
}

void BuildDepPool::describeProblems(Solver* solver, std::vector<std::string>& problems) {
  const size_t firstProblem = problems.size();
  unsigned count = solver_problem_count(solver);
  ScopedQueue rules;
  ScopedQueue infos;
  for (unsigned problem = 1; problem <= count; problem++) {
    solver_findallproblemrules(solver, problem, &rules.q);
    std::vector<std::pair<int, std::string>> lines;  // rule type, description
    for (int i = 0; i < rules.q.count; i++) {
      // One rule may stand for several facts (a conflict rule for both directions of a
      // mutual conflict): each is described.
      solver_allruleinfos(solver, rules.q.elements[i], &infos.q);
      for (int j = 0; j + 3 < infos.q.count; j += 4) {
        auto type = static_cast<SolverRuleinfo>(infos.q.elements[j]);
        // Our own install jobs only add "conflicting requests"; the other rules say why.
        if (type == SOLVER_RULE_JOB && rules.q.count > 1) continue;
        std::pair<int, std::string> line(
            type, solver_problemruleinfo2str(solver, type, infos.q.elements[j + 1],
                                             infos.q.elements[j + 2], infos.q.elements[j + 3]));
        if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
      }
    }
    // libsolv's order among the rules depends on the ids the pool handed out so far, which
    // differ between pools with different histories (e.g. worker threads): a fixed order
    // makes equal inputs give equal texts. It keeps libsolv's grouping (conflicts and
    // obsoletes, then requires, then missing providers) and sorts by text within a group.
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::string text = "Problem: ";
    for (size_t i = 0; i < lines.size(); i++) text += (i ? "\n - " : "") + lines[i].second;
    problems.push_back(text);
  }
  // The order in which libsolv finds separate problems follows the jobs and rules, and so may
  // depend on the build group's order and the pool's history too: sorted, equal inputs give
  // equal lists.
  std::sort(problems.begin() + firstProblem, problems.end());
}

// Calls visit(p) for each installed package that satisfies dep. For rich dependencies only
// the parts that are actually required count: the branches of if/unless, not their condition.
template <typename Visit>
void BuildDepPool::forInstalledProviders(Id dep, Visit&& visit) {
  if (ISRELDEP(dep)) {
    Reldep* relation = GETRELDEP(pool_.get(), dep);
    switch (relation->flags) {
      case REL_AND:
      case REL_OR:
        forInstalledProviders(relation->name, visit);
        forInstalledProviders(relation->evr, visit);
        return;
      case REL_COND:
      case REL_UNLESS:
        forInstalledProviders(relation->name, visit);
        if (ISRELDEP(relation->evr)) {
          Reldep* branches = GETRELDEP(pool_.get(), relation->evr);
          if (branches->flags == REL_ELSE) forInstalledProviders(branches->evr, visit);
        }
        return;
      default:
        break;  // plain or versioned names, with, without: libsolv knows their providers
    }
  }
  Pool* pool = pool_.get();  // FOR_PROVIDES expects a variable of that name
  Id p, pp;
  FOR_PROVIDES(p, pp, dep) {
    if (mark_[p]) visit(p);
  }
}

void BuildDepPool::computeDistances(const std::vector<Id>& roots, std::vector<Install>& installs) {
  if (mark_.size() < static_cast<size_t>(pool_->nsolvables)) mark_.resize(pool_->nsolvables, 0);
  for (const Install& install : installs) mark_[install.solvable] = 1;

  std::vector<Id> frontier;
  std::vector<Id> next;
  auto reach = [&](Id p, int distance) {
    if (mark_[p] != 1) return;
    mark_[p] = static_cast<uint8_t>(2 + distance);
    next.push_back(p);
  };
  for (Id dep : roots) forInstalledProviders(dep, [&](Id p) { reach(p, 1); });
  for (int distance = 2; distance <= kMaxDistance && !next.empty(); distance++) {
    frontier.swap(next);
    next.clear();
    for (Id p : frontier) {
      Solvable* s = pool_->solvables + p;
      if (!s->requires) continue;
      for (Id* req = s->repo->idarraydata + s->requires; *req; req++) {
        if (*req == SOLVABLE_PREREQMARKER) continue;
        forInstalledProviders(*req, [&](Id provider) { reach(provider, distance); });
      }
    }
  }

  for (Install& install : installs) {
    uint8_t mark = mark_[install.solvable];
    install.distance = mark >= 2 ? mark - 2 : 0;
    mark_[install.solvable] = 0;
  }
}

}  // namespace koschei
