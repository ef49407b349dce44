#include "build_dep_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string_view>

#include "solv_handles.h"

extern "C" {
#include <solv/dataiterator.h>
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
constexpr const char* kCacheVersion = "2";
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

BuildDepPool::BuildDepPool(const PoolOptions& options) : ignoreWeakDeps_(options.ignoreWeakDeps) {
  queue_init(&groupJobs_);
  pool_ = pool_create();
  try {
    pool_setdisttype(pool_, DISTTYPE_RPM);
    if (!isKnownArch(options.arch)) {
      throw std::runtime_error("unknown architecture '" + options.arch + "'");
    }
    pool_setarch(pool_, options.arch.c_str());
    if (options.repoDirs.empty()) throw std::runtime_error("no repository given");

    std::vector<std::pair<Repo*, std::string>> toCache;
    for (const std::string& dir : options.repoDirs) {
      LoadedRepo info;
      Repo* repo = loadRepo(dir, options.cacheDir, info);
      if (!info.fromCache && !options.cacheDir.empty()) {
        toCache.emplace_back(repo, options.cacheDir + "/" + repo->name);
      }
      repos_.push_back(info);
    }

    // File dependencies (including ones between repositories) become provides; the list of
    // added ones goes into the cache so that a warm load can skip the file list search.
    ScopedQueue addedFileProvides;
    pool_addfileprovides_queue(pool_, &addedFileProvides.q, nullptr);
    for (auto& [repo, path] : toCache) writeCache(repo, path, addedFileProvides.q);

    // One reusable solvable stands for the source package being resolved; it provides
    // nothing, so whatprovides (created once, here) never needs rebuilding for it.
    syntheticRepo_ = repo_create(pool_, "@builddeps");
    syntheticSolvable_ = repo_add_solvable(syntheticRepo_);
    pool_createwhatprovides(pool_);
    mark_.assign(pool_->nsolvables, 0);
    // Without any weak dependency in the repos, ignoring them changes no result but spares
    // libsolv its per-solve pass over every package looking for recommends and supplements.
    if (!hasWeakDependencies()) ignoreWeakDeps_ = true;
  } catch (...) {
    queue_free(&groupJobs_);
    pool_free(pool_);
    throw;
  }
}

bool BuildDepPool::hasWeakDependencies() const {
  for (Id p = 2; p < pool_->nsolvables; p++) {
    const Solvable* s = pool_->solvables + p;
    if (s->repo && (s->recommends || s->suggests || s->supplements || s->enhances)) return true;
  }
  return false;
}

BuildDepPool::~BuildDepPool() {
  queue_free(&groupJobs_);
  pool_free(pool_);
}

Repo* BuildDepPool::loadRepo(const std::string& dir, const std::string& cacheDir,
                             LoadedRepo& info) {
  info.dir = dir;
  if (!fileExists(dir)) throw std::runtime_error(dir + ": no such repository directory");
  Repomd repomd = readRepomd(dir);
  if (!repomd.group.path.empty()) {
    for (auto& [id, members] : readComps(repomd.group.path)) comps_[id] = members;
  }
  // The repo's name is its cache file name: repomd.xml identifies the whole metadata set.
  std::string cacheName = repomd.repomdSha256 + "-" + kCacheVersion + ".solv";
  Repo* repo = repo_create(pool_, cacheName.c_str());
  info.cacheFile = cacheName;

  if (!cacheDir.empty()) {
    FilePtr cached(std::fopen((cacheDir + "/" + cacheName).c_str(), "r"));
    if (cached) {
      if (repo_add_solv(repo, cached.get(), 0) == 0) {
        info.fromCache = true;
        info.packages = repo->nsolvables;
        return repo;
      }
      repo_empty(repo, 1);  // unreadable cache: fall back to the XML
    }
  }

  verifyChecksum(repomd.primary);
  FilePtr primary(solv_xfopen(repomd.primary.path.c_str(), "r"));
  if (!primary) throw std::runtime_error(repomd.primary.path + ": cannot be opened");
  if (repo_add_rpmmd(repo, primary.get(), nullptr, 0) != 0) {
    throw std::runtime_error(repomd.primary.path + ": " + pool_errstr(pool_));
  }
  if (!repomd.filelists.path.empty()) {
    verifyChecksum(repomd.filelists);
    FilePtr filelists(solv_xfopen(repomd.filelists.path.c_str(), "r"));
    if (!filelists) throw std::runtime_error(repomd.filelists.path + ": cannot be opened");
    if (repo_add_rpmmd(repo, filelists.get(), nullptr, REPO_EXTEND_SOLVABLES) != 0) {
      throw std::runtime_error(repomd.filelists.path + ": " + pool_errstr(pool_));
    }
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
  // Written under a name unique to this writer (threads share the pid) and renamed, so that
  // concurrent readers and writers never see half a file.
  std::string temporary =
      path + "." + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}()) + ".tmp";
  FILE* file = std::fopen(temporary.c_str(), "w");
  if (!file) return;  // the cache is an optimisation: an unwritable directory is not an error
  bool written = repo_write_filtered(repo, file, cacheKeyFilter, nullptr, nullptr) == 0;
  written = std::fclose(file) == 0 && written;
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
  }
}

Id BuildDepPool::parseDependency(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return 0;
  size_t end = text.find_last_not_of(" \t");
  std::string dep = text.substr(begin, end - begin + 1);
  if (dep[0] == '(') {
    return richLevels(dep) > kMaxRichLevels ? 0 : pool_parserpmrichdep(pool_, dep.c_str());
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
  if (words.size() == 1) return pool_str2id(pool_, words[0].c_str(), 1);
  if (words.size() != 3) return 0;
  static const struct {
    const char* op;
    int flags;
  } operators[] = {{"<", REL_LT},           {"<=", REL_LT | REL_EQ}, {"=", REL_EQ},
                   {"==", REL_EQ},          {">=", REL_GT | REL_EQ}, {">", REL_GT}};
  for (const auto& candidate : operators) {
    if (words[1] == candidate.op) {
      Id name = pool_str2id(pool_, words[0].c_str(), 1);
      Id evr = pool_str2id(pool_, words[2].c_str(), 1);
      return pool_rel2id(pool_, name, evr, candidate.flags, 1);
    }
  }
  return 0;
}

void BuildDepPool::ensureFileProviders(Id dep) {
  if (ISRELDEP(dep)) {
    Reldep* relation = GETRELDEP(pool_, dep);
    if (isRichOperator(relation->flags)) {
      ensureFileProviders(relation->name);
      ensureFileProviders(relation->evr);
    } else if (relation->flags < 8) {  // a version comparison: the name may be a path
      ensureFileProviders(relation->name);
    }
    return;
  }
  const char* name = pool_id2str(pool_, dep);
  if (name[0] != '/' || !checkedPaths_.insert(dep).second) return;
  if (pool_->whatprovidesdata[pool_whatprovides(pool_, dep)] != 0) return;
  // Nothing provides the path explicitly: like dnf, fall back to the file lists.
  ScopedQueue owners;
  ScopedDataiterator files(pool_, nullptr, 0, SOLVABLE_FILELIST, name, SEARCH_STRING | SEARCH_FILES);
  while (dataiterator_step(&files.di)) {
    if (pool_installable(pool_, pool_->solvables + files.di.solvid)) {
      queue_push(&owners.q, files.di.solvid);
    }
    dataiterator_skip_solvable(&files.di);
  }
  if (owners.q.count) pool_set_whatprovides(pool_, dep, pool_queuetowhatprovides(pool_, &owners.q));
}

const Queue& BuildDepPool::groupJobs(const std::vector<std::string>& buildGroup) {
  if (haveGroupJobs_ && buildGroup == lastGroup_) return groupJobs_;
  queue_empty(&groupJobs_);
  for (const std::string& member : buildGroup) {
    Id dep = parseDependency(member);
    if (!dep) continue;
    ensureFileProviders(dep);
    // Members nothing provides are skipped, as dnf does for missing group packages.
    if (pool_->whatprovidesdata[pool_whatprovides(pool_, dep)] == 0) continue;
    queue_push2(&groupJobs_, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, dep);
  }
  lastGroup_ = buildGroup;
  haveGroupJobs_ = true;
  return groupJobs_;
}

void BuildDepPool::setSyntheticSource(const SourcePackage& source, const std::vector<Id>& requirements) {
  Solvable* s = pool_id2solvable(pool_, syntheticSolvable_);
  s->name = pool_str2id(pool_, ("@builddeps(" + source.name + ")").c_str(), 1);
  s->evr = pool_str2id(pool_, evrString(source).c_str(), 1);
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

  SolverPtr solver(solver_create(pool_));
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
    keyed.push_back({pool_id2str(pool_, s->name), pool_id2str(pool_, s->arch), install});
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
    Reldep* relation = GETRELDEP(pool_, dep);
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
          Reldep* branches = GETRELDEP(pool_, relation->evr);
          if (branches->flags == REL_ELSE) forInstalledProviders(branches->evr, visit);
        }
        return;
      default:
        break;  // plain or versioned names, with, without: libsolv knows their providers
    }
  }
  Pool* pool = pool_;  // FOR_PROVIDES expects a variable of that name
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
