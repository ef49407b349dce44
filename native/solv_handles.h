// Owners of libsolv (and stdio) objects, so that every one is freed on every path, exceptions
// included.
#pragma once

#include <cstdio>
#include <memory>

extern "C" {
#include <solv/bitmap.h>
#include <solv/chksum.h>
#include <solv/dataiterator.h>
#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/solver.h>
}

namespace koschei {

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

struct PoolDeleter {
  void operator()(Pool* pool) const { pool_free(pool); }
};
using PoolPtr = std::unique_ptr<Pool, PoolDeleter>;

struct SolverDeleter {
  void operator()(Solver* solver) const { solver_free(solver); }
};
using SolverPtr = std::unique_ptr<Solver, SolverDeleter>;

struct ChksumDeleter {
  void operator()(Chksum* sum) const { solv_chksum_free(sum, nullptr); }
};
using ChksumPtr = std::unique_ptr<Chksum, ChksumDeleter>;

/** A libsolv Queue that frees itself. */
struct ScopedQueue {
  Queue q;
  ScopedQueue() { queue_init(&q); }
  ~ScopedQueue() { queue_free(&q); }
  ScopedQueue(const ScopedQueue&) = delete;
  ScopedQueue& operator=(const ScopedQueue&) = delete;
};

/** A libsolv Map (bit set over solvable ids) that frees itself. */
struct ScopedMap {
  Map map;
  ScopedMap() { map_init(&map, 0); }
  ~ScopedMap() { map_free(&map); }
  ScopedMap(const ScopedMap&) = delete;
  ScopedMap& operator=(const ScopedMap&) = delete;
};

/** A libsolv Dataiterator that frees itself. */
struct ScopedDataiterator {
  Dataiterator di;
  ScopedDataiterator(Pool* pool, Repo* repo, Id solvable, Id keyname, const char* match,
                     int flags) {
    dataiterator_init(&di, pool, repo, solvable, keyname, match, flags);
  }
  ~ScopedDataiterator() { dataiterator_free(&di); }
  ScopedDataiterator(const ScopedDataiterator&) = delete;
  ScopedDataiterator& operator=(const ScopedDataiterator&) = delete;
};

}  // namespace koschei
