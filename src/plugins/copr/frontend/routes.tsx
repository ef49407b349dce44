// STUB — replaced by the copr frontend work.
import type { RouteModule } from "../../../frontend/routes/index.js";
import type { UserTab } from "../../plugin.js";

export const registerCoprRoutes: RouteModule = () => {};

export const userRebuildsTab: UserTab = {
  label: "My user rebuilds",
  href: (userName) => `/rebuild-request/user/${encodeURIComponent(userName)}`,
};
