// User rebuilds explained: the paragraph the request lists open with, and the plugin's section
// of the user documentation page.
import type { KoscheiConfig } from "../../../config/index.js";
import type { DocumentationSection } from "../../plugin.js";

/** What user rebuilds are for, in one paragraph. */
export function UserRebuildsIntro() {
  return (
    <p class="kk-copr-description">
      User rebuilds test a package update before it lands in the distribution. You name a Copr
      project holding the new packages; Koschei resolves the build dependencies of the whole
      collection with and without that project's repository, and queues the packages whose
      dependencies change, those most likely affected first. You may edit the queue while it waits.
      The first builds of the queue start automatically, in Copr projects Koschei manages (not the
      one you named), and this page shows which packages they fixed or broke.
    </p>
  );
}

/** The body of the documentation section on user rebuilds. */
export function UserRebuildsDocumentation({ config }: { config: KoscheiConfig }) {
  const copr = config.copr;
  return (
    <>
      <UserRebuildsIntro />
      <p>
        Log in and open <em>My user rebuilds</em> in the user menu
        {copr.require_admin ? " (on this site only administrators may create requests)" : ""}.
        Choose the collection to test against, name the Copr project as <code>owner/name</code> (or
        just <code>name</code> for a project of your own; groups are <code>@group/name</code>
        ), and say how many builds may start automatically (by default {copr.default_schedule_count}
        ; 0 starts none).
      </p>
      <p>
        A request is <em>new</em> until it is resolved, then <em>in progress</em> while builds are
        being submitted, <em>scheduled</em> when its count is reached or its queue is empty, and{" "}
        <em>finished</em> when all its builds are done; a request whose project cannot be used{" "}
        <em>failed</em>, and its page tells why. The request's page lists the packages whose
        dependencies can no longer (or now can) be installed, the builds run so far — green when the
        build fixed a package that failed before, red when it broke one — and the queue, where
        packages in grey are beyond the count and will not be built.
      </p>
      <p>
        The requester and administrators may move a package to the top of the queue (which also
        raises the count by one, so it gets built) or remove it, cancel a request (builds already
        running finish in Copr, no more are started), and reschedule a request the services are done
        with: a resolved request goes back to submitting builds, one whose resolution failed or
        found nothing is resolved again. Old requests and their Copr projects are deleted by the
        periodic cleanup.
      </p>
    </>
  );
}

export const userRebuildsSection: DocumentationSection = {
  id: "user-rebuilds",
  title: "What are user rebuilds?",
  Content: UserRebuildsDocumentation,
};
