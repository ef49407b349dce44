import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bugReportUrl, dedent, externalLinks } from "../../src/frontend/package-links.js";

describe("externalLinks", () => {
  const pkg = { name: "c++", collection: { bugzilla_product: "Fedora", bugzilla_version: null } };

  it("fills package attributes URL-encoded", () => {
    assert.deepEqual(
      externalLinks(
        [
          {
            name: "Bugzilla",
            url: "https://b.test/?product={package.collection.bugzilla_product}&component={package.name}",
          },
        ],
        pkg,
      ),
      [{ name: "Bugzilla", url: "https://b.test/?product=Fedora&component=c%2B%2B" }],
    );
  });

  it("leaves out links naming unset, unknown or non-package values", () => {
    assert.deepEqual(
      externalLinks(
        [
          { name: "a", url: "https://a.test/{package.collection.bugzilla_version}" },
          { name: "b", url: "https://a.test/{package.nope}" },
          { name: "c", url: "https://a.test/{collection.name}" },
          { name: "d", url: "https://a.test/{package.collection}" },
          { name: "e", url: "https://a.test/plain" },
        ],
        pkg,
      ).map((link) => link.name),
      ["e"],
    );
  });
});

describe("bugReportUrl (spec 12 W32)", () => {
  it("fills the template and form-encodes it in order", () => {
    const url = bugReportUrl(
      {
        url: "https://bugzilla.redhat.com/enter_bug.cgi?{query}",
        template: {
          product: "{collection.bugzilla_product}",
          component: "{name}",
          short_desc: "{name}: FTBFS in {collection}",
          comment:
            "\n    Version: {version}-{release}\n    koji build --scratch {collection.target} {name}-{version}-{release}.{arch}.rpm\n  ",
        },
      },
      {
        name: "groovy",
        version: "1",
        release: "1.fc25",
        arch: "src",
        url: "http://example.com/package/groovy",
        package: { name: "groovy" },
        collection: { display_name: "Fedora Rawhide", bugzilla_product: "Fedora", target: "f25" },
      },
    );
    const parsed = new URL(url);
    assert.equal(parsed.origin + parsed.pathname, "https://bugzilla.redhat.com/enter_bug.cgi");
    assert.deepEqual(
      [...parsed.searchParams],
      [
        ["product", "Fedora"],
        ["component", "groovy"],
        ["short_desc", "groovy: FTBFS in Fedora Rawhide"],
        ["comment", "Version: 1-1.fc25\nkoji build --scratch f25 groovy-1-1.fc25.src.rpm"],
      ],
    );
    assert.match(url, /short_desc=groovy%3A\+FTBFS\+in\+Fedora\+Rawhide/);
  });

  it("dedents by the common indentation of non-blank lines", () => {
    assert.equal(dedent("\n  a\n\n    b\n  "), "a\n\n  b");
  });
});
