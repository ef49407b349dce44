import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KojiConfig } from "../../src/config/index.js";
import {
  buildKojiUrls,
  kojiLogUrl,
  kojiRealBuildUrl,
  kojiTaskResultsUrl,
  kojiTaskUrl,
} from "../../src/frontend/koji-links.js";

const config = {
  koji_config: {
    weburl: "https://primary-koji.test/koji",
    topurl: "https://primary-koji.test",
  } as KojiConfig,
  secondary_koji_config: {
    weburl: "https://secondary-koji.test/koji",
    topurl: "https://secondary-koji.test",
  } as KojiConfig,
};

describe("Koji links (spec 12 D12)", () => {
  it("puts scratch builds and real builds of primary collections on the primary Koji", () => {
    for (const [real, secondary_mode] of [
      [false, false],
      [false, true],
      [true, false],
    ] as const) {
      const urls = buildKojiUrls(config, { real }, { secondary_mode });
      assert.equal(
        kojiTaskUrl(urls, 456789),
        "https://primary-koji.test/koji/taskinfo?taskID=456789",
      );
      assert.equal(
        kojiTaskResultsUrl(urls, 456789),
        "https://primary-koji.test/work/tasks/6789/456789",
      );
    }
  });

  it("puts real builds of secondary-mode collections on the secondary Koji", () => {
    const urls = buildKojiUrls(config, { real: true }, { secondary_mode: true });
    assert.equal(
      kojiTaskUrl(urls, 456789),
      "https://secondary-koji.test/koji/taskinfo?taskID=456789",
    );
    assert.equal(
      kojiLogUrl(urls, 456789, "root.log"),
      "https://secondary-koji.test/work/tasks/6789/456789/root.log",
    );
  });

  it("links a real build to Koji's exact build search, each part encoded", () => {
    assert.equal(
      kojiRealBuildUrl(
        config,
        { secondary_mode: false },
        { name: "c++lib", version: "1", release: "1.fc25" },
      ),
      "https://primary-koji.test/koji/search?match=exact&type=build&terms=c%2B%2Blib-1-1.fc25",
    );
    assert.match(
      kojiRealBuildUrl(
        config,
        { secondary_mode: true },
        { name: "rnv", version: "1", release: "2" },
      ),
      /^https:\/\/secondary-koji\.test\/koji\/search\?/,
    );
  });
});
