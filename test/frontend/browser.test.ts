// Browser tests: Debian's chromium, driven by playwright-core, against a seeded site whose
// logins go through a real OpenID Connect provider on 127.0.0.1. The scenarios run with
// JavaScript off, as the pages must work without it; the screenshot tour runs with it on and
// fails on any console error (a Content Security Policy violation shows up there).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  launchBrowser,
  screenshot,
  seedSite,
  VIEWPORTS,
  type SeededSite,
} from "./browser-support.js";
import { testProvider, type TestProvider } from "./oidc-support.js";
import { webWorld, type WebWorld } from "./web-world.js";

describe("in a browser", () => {
  let world: WebWorld;
  let provider: TestProvider;
  let site: SeededSite;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    provider = await testProvider();
    world = await webWorld({
      configure: (config) => {
        provider.configure(config);
        // Logins go through the provider only.
        config.frontend.auth.trusted_proxies = [];
      },
    });
    provider.start(world.baseUrl);
    site = await seedSite(world);
    await world.db.insertInto("user").values({ name: "root-user", admin: true }).execute();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await world?.close();
    await provider?.close();
  });

  async function newPage(options: { javaScript?: boolean; width?: number } = {}): Promise<Page> {
    const context = await browser.newContext({
      baseURL: world.baseUrl,
      javaScriptEnabled: options.javaScript ?? false,
      viewport: { width: options.width ?? VIEWPORTS.desktop.width, height: 900 },
    });
    contexts.push(context);
    return context.newPage();
  }

  /** Clicks Log in, signs in at the provider's page and comes back logged in. */
  async function logIn(page: Page, account: string): Promise<void> {
    await page.goto("/collections");
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Test provider sign-in" }).waitFor();
    await page.getByLabel("User name").fill(account);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${world.baseUrl}/collections`);
    await page.getByText(`Logged in as user "${account}"`).waitFor();
  }

  let alice: Page;

  it("logs in through the OpenID Connect provider", async () => {
    alice = await newPage();
    await logIn(alice, "alice");
    await alice.getByText('New user "alice" was registered.').waitFor();
    assert.equal(await alice.locator(".kk-user-menu summary").textContent(), "alice");
    const user = await world.db
      .selectFrom("user")
      .selectAll()
      .where("name", "=", "alice")
      .executeTakeFirstOrThrow();
    assert.equal(user.admin, false);
  });

  it("edits a package's manual priority", async () => {
    await alice.goto("/package/rnv?collection=f30");
    await alice.getByText("Configure scheduling").click();
    await alice.getByLabel("Manual priority").fill("123");
    const form = alice.locator("form", { has: alice.getByLabel("Manual priority") });
    await form.getByRole("button", { name: "Save" }).click();
    await alice.getByText("Package modified").waitFor();
    assert.equal(new URL(alice.url()).pathname, "/package/rnv");
    const parameters = await alice.locator("main").textContent();
    assert.match(parameters ?? "", /Manual priority\s*123/);
    const pkg = await world.db
      .selectFrom("package")
      .select("manual_priority")
      .where("id", "=", site.packages.rnv!.id)
      .executeTakeFirstOrThrow();
    assert.equal(pkg.manual_priority, 123);
  });

  it("creates a group and edits it", async () => {
    await alice.goto("/add-group");
    assert.equal(await alice.getByLabel("Group maintainers:").inputValue(), "alice");
    await alice.getByLabel("Name:", { exact: true }).fill("tools");
    await alice.getByLabel("Packages in group:").fill("fop\nrnv");
    await alice.getByRole("button", { name: "Create" }).click();
    await alice.getByText("Group created").waitFor();
    assert.equal(new URL(alice.url()).pathname, "/groups/alice/tools");
    let table = (await alice.locator("main table").first().textContent()) ?? "";
    assert.ok(table.includes("fop") && table.includes("rnv"), table);

    await alice.goto("/groups/alice/tools/edit");
    await alice.getByLabel("Packages in group:").fill("fop, xpp3");
    await alice.getByRole("button", { name: "Update" }).click();
    await alice.getByText("Group modified").waitFor();
    table = (await alice.locator("main table").first().textContent()) ?? "";
    assert.ok(table.includes("xpp3") && !table.includes("rnv"), table);
    await alice.goto("/groups");
    await alice.getByRole("link", { name: "tools" }).first().waitFor();
  });

  it("shows no Cancel button to a user who is not an admin", async () => {
    await alice.goto(`/build/${site.runningBuild.id}`);
    await alice.getByRole("heading", { name: "Build details" }).waitFor();
    assert.equal(await alice.getByRole("button", { name: "Cancel" }).count(), 0);
  });

  it("cancels a running build as an admin", async () => {
    const admin = await newPage();
    await logIn(admin, "root-user");
    await admin.getByText("You have admin privileges.").waitFor();
    await admin.goto(`/build/${site.runningBuild.id}`);
    await admin.getByRole("button", { name: "Cancel" }).click();
    await admin.getByText("Cancelation request sent.").waitFor();
    assert.equal(new URL(admin.url()).pathname, "/package/xpp3");
    const build = await world.db
      .selectFrom("build")
      .select("cancel_requested")
      .where("id", "=", site.runningBuild.id)
      .executeTakeFirstOrThrow();
    assert.equal(build.cancel_requested, true);
  });

  it("renders the main pages at desktop and phone widths without console errors", async () => {
    const pages: [name: string, path: string][] = [
      ["front", "/"],
      ["packages-f30", "/packages?collection=f30"],
      ["package-fop", "/package/fop?collection=f30"],
      ["package-groovy", "/package/groovy?collection=f30"],
      ["build-fop", `/build/${site.failedBuild.id}`],
      ["collections", "/collections"],
      ["groups", "/groups"],
      ["group-java", "/groups/java"],
      ["stats", "/stats"],
      ["documentation", "/documentation"],
    ];
    for (const [viewport, { width }] of Object.entries(VIEWPORTS)) {
      const page = await newPage({ javaScript: true, width });
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
      for (const [name, path] of pages) {
        const response = await page.goto(path);
        assert.equal(response?.status(), 200, path);
        await screenshot(page, `${name}-${viewport}`);
        if (viewport === "phone") {
          // Readable at phone width: the page itself does not scroll sideways (wide tables
          // may scroll inside their own box).
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          assert.ok(overflow <= 1, `${path} is ${overflow}px wider than a phone`);
        }
      }
      assert.deepEqual(errors, []);
    }
  });
});
