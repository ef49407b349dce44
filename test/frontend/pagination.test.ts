// Pagination (spec 08 §3.5) and the sort keys and header links of package tables (§3.8).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  headerOrder,
  headerSortState,
  orderText,
  parseOrder,
} from "../../src/frontend/package-query.js";
import { pageNumbers, paginate, paginationText, parsePage } from "../../src/frontend/pagination.js";
import type { Collection } from "../../src/frontend/request-state.js";

describe("pagination", () => {
  it("parses the page parameter: missing is 1, anything but a positive integer is refused", () => {
    assert.equal(parsePage(undefined), 1);
    assert.equal(parsePage("1"), 1);
    assert.equal(parsePage("17"), 17);
    assert.equal(parsePage(" 3 "), 3);
    assert.equal(parsePage("+2"), 2);
    for (const bad of ["", "0", "-1", "1.5", "x", "1e3", "0x10", "99999999999999999999"]) {
      assert.equal(parsePage(bad), null, bad);
    }
  });

  it("computes first, last and total, and refuses a page past the end", () => {
    assert.deepEqual(paginate(1, 100, 0), {
      page: 1,
      perPage: 100,
      total: 0,
      pages: 0,
      first: 1,
      last: 0,
      offset: 0,
      hasPrevious: false,
      hasNext: false,
    });
    const middle = paginate(2, 100, 250)!;
    assert.equal(middle.first, 101);
    assert.equal(middle.last, 200);
    assert.equal(middle.offset, 100);
    assert.ok(middle.hasPrevious && middle.hasNext);
    const last = paginate(3, 100, 250)!;
    assert.equal(last.last, 250);
    assert.ok(!last.hasNext);
    assert.equal(paginate(4, 100, 250), null);
    assert.equal(paginate(2, 100, 0), null);
    assert.equal(paginate(2, 100, 100), null);
    assert.throws(() => paginate(1, 0, 10));
  });

  it("reads '{what} from {first} to {last} from total {total}'", () => {
    assert.equal(
      paginationText("Packages", paginate(1, 100, 0)!),
      "Packages from 1 to 0 from total 0",
    );
    assert.equal(
      paginationText("Tracked packages", paginate(2, 20, 30)!),
      "Tracked packages from 21 to 30 from total 30",
    );
  });

  it("offers the first 2, 2 before, the current, 4 after and the last 2 pages with gaps", () => {
    assert.deepEqual(pageNumbers(1, 0), []);
    assert.deepEqual(pageNumbers(1, 1), [1]);
    assert.deepEqual(pageNumbers(1, 5), [1, 2, 3, 4, 5]);
    assert.deepEqual(pageNumbers(1, 20), [1, 2, 3, 4, 5, null, 19, 20]);
    assert.deepEqual(pageNumbers(10, 20), [1, 2, null, 8, 9, 10, 11, 12, 13, 14, null, 19, 20]);
    assert.deepEqual(pageNumbers(20, 20), [1, 2, null, 18, 19, 20]);
    assert.deepEqual(pageNumbers(5, 20), [1, 2, 3, 4, 5, 6, 7, 8, 9, null, 19, 20]);
    assert.deepEqual(pageNumbers(15, 20), [1, 2, null, 13, 14, 15, 16, 17, 18, 19, 20]);
  });
});

const collection = (name: string) => ({ id: name.length, name, display_name: name }) as Collection;

describe("sort keys", () => {
  const one = [collection("f25")];
  const two = [collection("f25"), collection("epel7")];

  it("defaults to the view's order and ignores unknown and repeated keys", () => {
    assert.equal(orderText(parseOrder(undefined, one)), "running,state,name");
    assert.equal(orderText(parseOrder("", two)), "running,failing,name");
    assert.equal(orderText(parseOrder("-task_id,bogus,name,-name", one)), "-task_id,name");
    assert.equal(orderText(parseOrder("failing,task_id", one)), "task_id", "no unified keys");
    assert.equal(
      orderText(parseOrder("-state-epel7,state-f26,failing", two)),
      "-state-epel7,failing",
    );
    assert.equal(orderText(parseOrder("state", two)), "");
  });

  it("header links reverse the primary key or put the column first", () => {
    const order = parseOrder("running,state,name", one);
    assert.equal(headerOrder(order, "running"), "-running,state,name");
    assert.equal(headerOrder(order, "name"), "name,running,state");
    assert.equal(headerOrder(parseOrder("-running,name", one), "running"), "running,name");
    assert.equal(headerOrder(parseOrder("-state-f25", two), "state-f25"), "state-f25");
    assert.equal(headerSortState(order, "running"), "ascending");
    assert.equal(headerSortState(order, "state"), "none");
    assert.equal(headerSortState(parseOrder("-name", one), "name"), "descending");
  });
});
