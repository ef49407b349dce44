import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeySources, mergeConfig } from "../../src/config/merge.js";

describe("mergeConfig", () => {
  it("merges mappings recursively at every depth, later values winning", () => {
    const base = { a: { b: { c: 1, d: 2 }, e: "kept" }, top: true };
    const overlay = { a: { b: { c: 10, f: 3 } } };
    assert.deepEqual(mergeConfig(base, overlay), {
      a: { b: { c: 10, d: 2, f: 3 }, e: "kept" },
      top: true,
    });
  });

  it("replaces lists instead of concatenating them", () => {
    const merged = mergeConfig({ arches: ["i386", "x86_64"] }, { arches: ["aarch64"] });
    assert.deepEqual(merged, { arches: ["aarch64"] });
  });

  it("lets null replace a scalar or a whole mapping", () => {
    const merged = mergeConfig({ host: "localhost", db: { name: "x" } }, { host: null, db: null });
    assert.deepEqual(merged, { host: null, db: null });
  });

  it("replaces a scalar by a mapping and a mapping by a scalar", () => {
    assert.deepEqual(mergeConfig({ a: 1, b: { c: 1 } }, { a: { x: 1 }, b: 2 }), {
      a: { x: 1 },
      b: 2,
    });
  });

  it("mutates neither input and shares no mapping with the overlay", () => {
    const base = { a: { b: { c: 1 } } };
    const overlay = { a: { b: { d: 2 } }, fresh: { e: 1 } };
    const merged = mergeConfig(base, overlay);
    assert.deepEqual(base, { a: { b: { c: 1 } } });
    assert.deepEqual(overlay, { a: { b: { d: 2 } }, fresh: { e: 1 } });
    (merged.fresh as Record<string, unknown>).e = 99;
    assert.equal(overlay.fresh.e, 1);
  });

  it("merging an empty mapping changes nothing", () => {
    assert.deepEqual(mergeConfig({ a: { b: 1 } }, { a: {} }), { a: { b: 1 } });
  });
});

describe("KeySources", () => {
  it("names the layer that set a key, or its nearest recorded ancestor", () => {
    const sources = new KeySources();
    const first = { a: { b: 1, c: 2 } };
    sources.record({}, first, "first");
    const second = { a: { c: 3 } };
    sources.record(first, second, "second");
    assert.equal(sources.sourceOf(["a", "b"]), "first");
    assert.equal(sources.sourceOf(["a", "c"]), "second");
    assert.equal(sources.sourceOf(["a", "c", "deeper"]), "second");
    assert.equal(sources.sourceOf(["unknown"]), undefined);
  });

  it("attributes a mapping that replaced a scalar to the replacing layer", () => {
    const sources = new KeySources();
    const first = { a: { b: "flat" } };
    sources.record({}, first, "first");
    sources.record(first, { a: { b: { c: 1 } } }, "second");
    assert.equal(sources.sourceOf(["a", "b", "c"]), "second");
    assert.equal(sources.sourceOf(["a", "b"]), "second");
  });
});

describe("mergeConfig: keys named like Object.prototype's properties", () => {
  it("keeps __proto__ of a parsed file as an own key instead of a prototype", () => {
    const overlay = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"b": 1}}}');
    const merged = mergeConfig({ a: { c: 2 } }, overlay);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.equal(Object.getPrototypeOf(merged.a), Object.prototype);
    assert.equal(merged.polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value, {
      polluted: true,
    });
    assert.deepEqual(Object.keys(merged.a as object), ["c", "__proto__"]);
  });

  it("KeySources records __proto__ as the layer's own key", () => {
    const sources = new KeySources();
    sources.record({}, JSON.parse('{"__proto__": {"polluted": true}}'), "first");
    assert.equal(sources.sourceOf(["__proto__"]), "first");
  });
});
