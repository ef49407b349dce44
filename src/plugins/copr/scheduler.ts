// STUB — replaced by the copr backend work.
import type { ServiceDefinition } from "../../backend/registry.js";

export const coprSchedulerService: ServiceDefinition = {
  name: "copr-scheduler",
  summary: "submits the queued user rebuilds to Copr",
  configKey: "copr-scheduler",
  async runPass() {
    throw new Error("copr-scheduler not implemented yet");
  },
};
