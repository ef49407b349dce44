// STUB — replaced by the copr-resolver work.
import type { ServiceDefinition } from "../../backend/registry.js";

export const coprResolverService: ServiceDefinition = {
  name: "copr-resolver",
  summary: "resolves new user rebuild requests against their Copr repositories",
  configKey: "copr-resolver",
  async runPass() {
    throw new Error("copr-resolver not implemented yet");
  },
};
