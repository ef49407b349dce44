// Asserting DepsolveErrors: the class and the code, then the message.

import assert from "node:assert/strict";
import { DepsolveError, type DepsolveErrorCode } from "../../src/depsolve/errors.js";

/** A validator for assert.throws / assert.rejects: a DepsolveError with this code and message. */
export function depsolveError(code: DepsolveErrorCode, message: RegExp) {
  return (error: unknown): true => {
    assert.ok(error instanceof DepsolveError, `${String(error)} is not a DepsolveError`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  };
}
