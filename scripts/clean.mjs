// Removes every build output (dist/ of the product and of each workspace package, and the
// incremental-build records), so that a deleted source or test cannot live on in dist/.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const roots = [".", ...readdirSync("packages").map((name) => join("packages", name))];
for (const root of roots) {
  rmSync(join(root, "dist"), { recursive: true, force: true });
  rmSync(join(root, "tsconfig.tsbuildinfo"), { force: true });
}
