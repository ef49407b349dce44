// Bounded in-memory LRU cache of expensive loaded values (e.g. solver pools built from a repo).
// Concurrent requests for one key share a single load; a value evicted while in use is disposed
// only after its last user releases it.

export interface PoolCacheOptions<T> {
  /** Maximum number of values kept (values in use may exceed it until released). */
  capacity: number;
  load: (key: string) => Promise<T>;
  /** Frees a value that left the cache and has no users. */
  dispose: (value: T) => void;
}

/** One use of a cached value; call release() when done (further calls do nothing). */
export interface PoolLease<T> {
  value: T;
  release(): void;
}

interface Slot<T> {
  key: string;
  users: number;
  value: Promise<T>;
  /** Set once the load succeeded (a slot without users always has it). */
  loaded?: { value: T };
  /** Removed from the cache: dispose as soon as the last user releases. */
  evicted: boolean;
}

export class PoolCache<T> {
  private readonly capacity: number;
  private readonly load: (key: string) => Promise<T>;
  private readonly dispose: (value: T) => void;
  /** Least recently used first. */
  private readonly slots = new Map<string, Slot<T>>();

  constructor(options: PoolCacheOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`pool cache capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.load = options.load;
    this.dispose = options.dispose;
  }

  /** Number of values currently cached (including loads in progress). */
  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Loads (or reuses) the value for `key` and holds it until the lease is released. */
  async acquire(key: string): Promise<PoolLease<T>> {
    let slot = this.slots.get(key);
    if (slot) {
      this.slots.delete(key);
    } else {
      slot = { key, users: 0, value: this.load(key), evicted: false };
    }
    this.slots.set(key, slot);
    slot.users++;
    let value: T;
    try {
      value = await slot.value;
      slot.loaded = { value };
    } catch (error) {
      slot.users--;
      if (this.slots.get(key) === slot) this.slots.delete(key);
      throw error;
    }
    this.evictUnused();
    let released = false;
    const owner = slot;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        owner.users--;
        if (owner.evicted && owner.users === 0) this.dispose(value);
        else this.evictUnused();
      },
    };
  }

  /** Runs `fn` with the value for `key`, holding it for the duration. */
  async use<R>(key: string, fn: (value: T) => Promise<R> | R): Promise<R> {
    const lease = await this.acquire(key);
    try {
      return await fn(lease.value);
    } finally {
      lease.release();
    }
  }

  /**
   * The value for `key` without holding it: it stays valid until evicted, which can happen as
   * soon as another key is loaded. Prefer use() when the value is used across awaits.
   */
  async get(key: string): Promise<T> {
    const lease = await this.acquire(key);
    lease.release();
    return lease.value;
  }

  /** Removes every value; those in use are disposed when released. */
  clear(): void {
    for (const slot of [...this.slots.values()]) this.remove(slot);
  }

  private evictUnused(): void {
    let excess = this.slots.size - this.capacity;
    for (const slot of [...this.slots.values()]) {
      if (excess <= 0) break;
      if (slot.users > 0) continue;
      this.remove(slot);
      excess--;
    }
  }

  private remove(slot: Slot<T>): void {
    this.slots.delete(slot.key);
    slot.evicted = true;
    if (slot.users === 0 && slot.loaded) this.dispose(slot.loaded.value);
  }
}
