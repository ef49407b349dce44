// The pagure plugin (spec 11 §3): the user-packages page lists what Pagure's owner aliases
// give the user, from one download shared by all users until it expires; Pagure answering
// with an error status counts as "owns nothing", Pagure unreachable flashes an error and the
// page still shows the packages of the user's groups. Pagure is a real HTTP server here.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { packagesByUser } from "../../src/plugins/pagure/owner-aliases.js";
import { insertGroup, insertPackage } from "../frontend/group-seed.js";
import { insertCollection, loginAs, webWorld, type WebWorld } from "../frontend/web-world.js";

/** A stand-in for src.fedoraproject.org's alias file, counting the downloads. */
class AliasServer {
  status = 200;
  body = "";
  downloads = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((_request, response) => {
      this.downloads++;
      response.writeHead(this.status, { "content-type": "application/json" });
      response.end(this.body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/extras/pagure_owner_alias.json`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const ALIASES = {
  rpms: {
    "avalon-framework": ["mizdebsk", "@java-sig"],
    fop: ["mizdebsk"],
    rnv: ["msimacek"],
  },
  container: { fop: ["someone-else"] },
};

function normalized(html: string): string {
  return html.replace(/\s+/g, " ");
}

describe("owner aliases turned around", () => {
  it("gives each user and group their rpms, ignoring other namespaces and odd entries", () => {
    const byUser = packagesByUser({
      rpms: { ...ALIASES.rpms, broken: "mizdebsk", odd: [42, "mizdebsk"] },
      container: ALIASES.container,
    });
    assert.deepEqual(byUser.get("mizdebsk"), ["avalon-framework", "fop", "odd"]);
    assert.deepEqual(byUser.get("@java-sig"), ["avalon-framework"]);
    assert.equal(byUser.get("someone-else"), undefined);
  });

  it("keeps __proto__ as an ordinary name", () => {
    const byUser = packagesByUser(
      JSON.parse('{"rpms": {"__proto__": ["mallory"], "x": ["__proto__"]}}'),
    );
    assert.deepEqual(byUser.get("mallory"), ["__proto__"]);
    assert.deepEqual(byUser.get("__proto__"), ["x"]);
    assert.deepEqual(packagesByUser("not an object").size, 0);
  });
});

describe("a user's packages with pagure enabled (§3)", () => {
  const pagure = new AliasServer();
  let world: WebWorld;

  before(async () => {
    const url = await pagure.start();
    world = await webWorld({
      configure: (config) => {
        config.plugins = ["pagure"];
        config.pagure.owner_alias_url = url;
      },
    });
    const f25 = await insertCollection(world.db, "f25");
    for (const name of ["avalon-framework", "fop", "xyzzy", "rnv"]) {
      await insertPackage(world.db, f25, name);
    }
  });
  after(async () => {
    await world.close();
    await pagure.stop();
  });
  beforeEach(() => {
    pagure.status = 200;
    pagure.body = JSON.stringify(ALIASES);
  });

  const page = async (user: string) => {
    const client = world.client();
    await loginAs(world, client, "viewer");
    const response = await client.get(`/user/${user}`);
    assert.equal(response.status, 200);
    return normalized(await response.text());
  };

  it("lists the packages Pagure gives the user, not the others, from one shared download", async () => {
    const before = pagure.downloads;
    const mizdebsk = await page("mizdebsk");
    assert.ok(mizdebsk.includes("packages from 1 to 2 from total 2"), mizdebsk);
    assert.ok(mizdebsk.includes("avalon-framework") && mizdebsk.includes(">fop<"));
    assert.ok(!mizdebsk.includes("xyzzy"));
    const msimacek = await page("msimacek");
    assert.ok(msimacek.includes("packages from 1 to 1 from total 1"));
    assert.equal(pagure.downloads - before, 1, "one download serves both users");
  });
});

describe("pagure failing", () => {
  const pagure = new AliasServer();
  let world: WebWorld;
  let f25: number;

  before(async () => {
    const url = await pagure.start();
    world = await webWorld({
      configure: (config) => {
        config.plugins = ["pagure"];
        config.pagure.owner_alias_url = url;
        // Every page asks again, so each test sees its own answer.
        (config.caching.pagure as { users: { expiration_time: number } }).users.expiration_time = 0;
      },
    });
    f25 = await insertCollection(world.db, "f25");
    for (const name of ["avalon-framework", "fop"]) await insertPackage(world.db, f25, name);
    await insertGroup(world.db, {
      namespace: "mizdebsk",
      name: "java",
      packages: ["fop"],
      owners: ["mizdebsk"],
    });
  });
  after(() => world.close());

  const page = async () => {
    const client = world.client();
    await loginAs(world, client, "viewer");
    await client.get("/groups"); // takes the login flashes
    return normalized(await (await client.get("/user/mizdebsk")).text());
  };

  it("an error status counts as owning nothing, without an error on the page", async () => {
    pagure.status = 503;
    pagure.body = "<html>maintenance</html>";
    const html = await page();
    assert.ok(!html.includes("Error retrieving user's packages"));
    assert.ok(html.includes("packages from 1 to 1 from total 1"), "the group's package stays");
  });

  it("an answer that is not JSON flashes the error and shows the group's packages", async () => {
    pagure.status = 200;
    pagure.body = "{not json";
    const html = await page();
    assert.ok(html.includes("Error retrieving user's packages"));
    assert.ok(html.includes("packages from 1 to 1 from total 1"));
  });

  it("Pagure unreachable flashes the error and shows the group's packages", async () => {
    await pagure.stop();
    const html = await page();
    assert.ok(html.includes("Error retrieving user's packages"));
    assert.ok(html.includes("packages from 1 to 1 from total 1"));
  });
});

describe("pagure disabled", () => {
  it("is never asked", async () => {
    const pagure = new AliasServer();
    const url = await pagure.start();
    const world = await webWorld({
      configure: (config) => {
        config.pagure.owner_alias_url = url;
      },
    });
    try {
      await insertCollection(world.db, "f25");
      const client = world.client();
      await loginAs(world, client, "viewer");
      assert.equal((await client.get("/user/mizdebsk")).status, 200);
      assert.equal(pagure.downloads, 0);
    } finally {
      await world.close();
      await pagure.stop();
    }
  });
});
