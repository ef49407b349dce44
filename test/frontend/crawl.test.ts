// A crawl of the whole site on a seeded database, anonymous and as a logged-in admin (who
// sees every form): every internal link answers without error, and every page passes
// html-validate.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message } from "html-validate";
import { htmlValidator } from "./html-validator.js";
import { seedSite } from "./browser-support.js";
import { insertCollection, loginAs, webWorld, type WebClient, type WebWorld } from "./web-world.js";

const MAX_PAGES = 400;
/**
 * Sorting, pagination and collection links multiply a page into many URLs that render the
 * same template: a few variants of each path are enough to validate them.
 */
const MAX_VARIANTS_PER_PATH = 6;

/** Paths the crawl must not follow, and why. */
function skipped(path: string): boolean {
  // /login would log the crawler in or out of another method, /logout ends its session.
  if (path.startsWith("/login") || path === "/logout") return true;
  return false;
}

/** Every href and src of a page, resolved against its URL, that stays on the site. */
function internalLinks(html: string, pageUrl: URL): string[] {
  const links: string[] = [];
  for (const match of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const raw = match[1]!.replaceAll("&amp;", "&").replaceAll("&quot;", '"');
    const url = new URL(raw, pageUrl);
    if (url.origin !== pageUrl.origin) continue;
    url.hash = "";
    links.push(url.pathname + url.search);
  }
  return links;
}

interface CrawlResult {
  pages: number;
  broken: string[];
  invalid: string[];
  visited: Set<string>;
}

async function crawl(world: WebWorld, client: WebClient): Promise<CrawlResult> {
  const queue = ["/"];
  const visited = new Set(queue);
  const variants = new Map<string, number>();
  const result: CrawlResult = { pages: 0, broken: [], invalid: [], visited };
  while (queue.length > 0 && result.pages < MAX_PAGES) {
    const path = queue.shift()!;
    const response = await client.get(path);
    result.pages++;
    const enqueue = (link: string) => {
      if (visited.has(link) || skipped(link)) return;
      const pathname = link.split("?")[0]!;
      const seen = variants.get(pathname) ?? 0;
      if (seen >= MAX_VARIANTS_PER_PATH) return;
      variants.set(pathname, seen + 1);
      visited.add(link);
      queue.push(link);
    };
    if (response.status >= 300 && response.status < 400) {
      const target = new URL(response.headers.get("location") ?? "/", world.baseUrl + path);
      if (target.origin === world.baseUrl) enqueue(target.pathname + target.search);
      continue;
    }
    if (response.status >= 400) {
      result.broken.push(`${path} → ${response.status}`);
      continue;
    }
    if (!(response.headers.get("content-type") ?? "").startsWith("text/html")) continue;
    const html = await response.text();
    const report = await htmlValidator.validateString(html, path);
    if (!report.valid) {
      const messages = report.results.flatMap((r) => r.messages);
      result.invalid.push(`${path}:\n${messages.map(formatMessage).join("\n")}`);
    }
    for (const link of internalLinks(html, new URL(path, world.baseUrl))) enqueue(link);
  }
  return result;
}

function formatMessage(message: Message): string {
  return `  ${message.selector ?? `${message.line}:${message.column}`} ${message.ruleId}: ${message.message}`;
}

describe("site crawl", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    await seedSite(world);
  });
  after(() => world.close());

  for (const who of ["anonymous", "admin"] as const) {
    it(`finds no broken link and no invalid page (${who})`, async (t) => {
      const client = world.client();
      if (who === "admin") await loginAs(world, client, "root-user", { admin: true });
      const result = await crawl(world, client);
      t.diagnostic(`${result.pages} pages crawled`);
      assert.ok(result.pages > 20, `only ${result.pages} pages reached`);
      assert.deepEqual(
        { broken: result.broken, invalid: result.invalid },
        { broken: [], invalid: [] },
      );
      for (const page of ["/packages", "/collections", "/groups", "/stats", "/documentation"]) {
        assert.ok(result.visited.has(page), `${page} is linked from the site`);
      }
    });
  }

  it("renders error pages and the demo login form as valid HTML", async () => {
    const demo = await webWorld({
      configure: (config) => (config.frontend.auth.demo_login = true),
    });
    try {
      await insertCollection(demo.db, "f29");
      const client = demo.client();
      for (const [path, status] of [
        ["/login", 200],
        ["/no/such/page", 404],
        ["/collections?collection=nope", 404],
        ["/login/oidc/callback", 404],
      ] as const) {
        const response = await client.get(path);
        assert.equal(response.status, status, path);
        const report = await htmlValidator.validateString(await response.text(), path);
        assert.ok(report.valid, JSON.stringify(report.results, null, 1));
      }
    } finally {
      await demo.close();
    }
  });

  it("documents how Koschei works", async () => {
    const response = await world.client().get("/documentation");
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.ok(html.includes("How it works?"));
    assert.ok(html.includes("<h1"));
  });
});
