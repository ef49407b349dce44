// Bounded LRU of expensively loaded values (downloaded repositories, solver pools) handed out
// as reference-counted leases. Concurrent acquisitions of one key share a single load; beyond
// capacity the least recently used entries without users are disposed; an entry evicted while
// in use is disposed only after its last user releases it.

export interface RefCountedLruOptions<K, V> {
  /** Maximum number of entries kept (entries in use may exceed it until released). */
  capacity: number;
  /**
   * Frees an entry that left the cache and has no users. `value` is undefined for an entry
   * added by adopt() that was never loaded.
   */
  dispose: (key: K, value: V | undefined) => void;
}

/** One use of a cached value; call release() when done (further calls do nothing). */
export interface Lease<V> {
  value: V;
  release(): void;
}

interface Slot<K, V> {
  key: K;
  users: number;
  /** The load in progress or done; absent for an adopted entry not loaded yet. */
  value?: Promise<V>;
  /** Set once the load succeeded. */
  loaded?: { value: V };
  /** Removed from the cache: dispose as soon as the last user releases. */
  evicted: boolean;
}

export class RefCountedLru<K, V> {
  private readonly capacity: number;
  private readonly dispose: (key: K, value: V | undefined) => void;
  /** Least recently used first. */
  private readonly slots = new Map<K, Slot<K, V>>();

  constructor(options: RefCountedLruOptions<K, V>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`cache capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.dispose = options.dispose;
  }

  /**
   * Adds an entry that exists but is not loaded (e.g. found on disk at start-up) as the most
   * recently used; it is loaded by its first acquisition. A known key is left as it is.
   */
  adopt(key: K): void {
    if (this.slots.has(key)) return;
    this.slots.set(key, { key, users: 0, evicted: false });
    this.evictUnused();
  }

  /**
   * Holds the value for `key` until the lease is released, loading it with `load` unless it is
   * loaded or being loaded. A failed load is reported to every waiter and forgotten.
   */
  async acquire(key: K, load: (key: K) => Promise<V>): Promise<Lease<V>> {
    const slot = this.slots.get(key) ?? { key, users: 0, evicted: false };
    this.slots.delete(key);
    this.slots.set(key, slot);
    slot.users++;
    let value: V;
    try {
      value = await (slot.value ??= load(key));
      slot.loaded = { value };
    } catch (error) {
      slot.users--;
      if (this.slots.get(key) === slot) this.slots.delete(key);
      throw error;
    }
    this.evictUnused();
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        slot.users--;
        if (slot.evicted && slot.users === 0) this.dispose(key, value);
        else this.evictUnused();
      },
    };
  }

  private evictUnused(): void {
    let excess = this.slots.size - this.capacity;
    for (const slot of [...this.slots.values()]) {
      if (excess <= 0) break;
      if (slot.users > 0) continue;
      this.slots.delete(slot.key);
      slot.evicted = true;
      this.dispose(slot.key, slot.loaded?.value);
      excess--;
    }
  }
}
