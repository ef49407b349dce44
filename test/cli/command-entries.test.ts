import assert from "node:assert/strict";
import { test } from "node:test";
import { adminCommands } from "../../src/admin/commands.js";
import { koscheiCommands } from "../../src/cli/commands.js";

// The overview lists each entry's summary without loading its module; the command's own
// --help shows the command's summary. Both must say the same.
for (const [program, entries] of [
  ["koschei", koscheiCommands],
  ["koschei-admin", adminCommands],
] as const) {
  test(`${program}: every entry loads its command, with the same name and summary`, async () => {
    for (const entry of entries) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.equal(command.summary, entry.summary, `${program} ${entry.name}`);
    }
  });
}
