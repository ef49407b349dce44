// `set-notice` and `clear-notice` (spec 07 §2.4–2.5): the notice shown atop every web page.
import { adminCommand } from "./admin-command.js";

/** The only admin_notice key Koschei uses. */
const GLOBAL_NOTICE = "global_notice";

export const setNoticeCommand = adminCommand({
  name: "set-notice",
  summary: "set the notice shown at the top of every web page",
  description:
    "Stores CONTENT (surrounding whitespace removed) as the notice, replacing any previous " +
    "one. It may contain links written as [text](https://…). Audit-logged.",
  positionals: [{ name: "CONTENT", help: "the notice text (quote it if it has spaces)" }],
  async execute(tx, args) {
    const content = args.positionals[0]!.trim();
    await tx.db
      .insertInto("admin_notice")
      .values({ key: GLOBAL_NOTICE, content })
      .onConflict((conflict) => conflict.column("key").doUpdateSet({ content }))
      .execute();
    await tx.audit(`Admin notice added: ${content}`);
  },
});

export const clearNoticeCommand = adminCommand({
  name: "clear-notice",
  summary: "remove the notice shown at the top of every web page",
  description: "Removes the notice, if there is one. Audit-logged either way.",
  async execute(tx) {
    await tx.db.deleteFrom("admin_notice").where("key", "=", GLOBAL_NOTICE).execute();
    await tx.audit("Admin notice cleared");
  },
});
