// `koschei frontend`: the web interface and JSON API on one HTTP port.
import { stringOption, type Command } from "../cli/command.js";
import { databaseTarget, loadConfig, type KoscheiConfig } from "../config/index.js";
import { openDatabase } from "../db/index.js";
import { createLogger } from "../log/logger.js";
import { createFrontend, parseListen } from "./server.js";

/** The secrets shipped in defaults and templates: a production frontend must not sign with them. */
const PLACEHOLDER_SECRETS = new Set(["isecretlylovebabymetal", "REPLACE_ME", ""]);

export function checkProductionSecret(config: KoscheiConfig): void {
  if (PLACEHOLDER_SECRETS.has(config.flask.SECRET_KEY)) {
    throw new Error(
      "flask.SECRET_KEY is the built-in placeholder: set a long random secret in the frontend configuration",
    );
  }
}

export function frontendCommand(): Command {
  return {
    name: "frontend",
    summary: "serve the web interface and the JSON API",
    description:
      "Serves the pages, /api/v1 and the static files over HTTP until SIGTERM or SIGINT. " +
      "Put a reverse proxy with TLS in front of it in production.",
    options: [
      { name: "listen", value: "HOST:PORT", help: "address to listen on (default 127.0.0.1:8080)" },
    ],
    async run(args) {
      const listen = parseListen(stringOption(args, "listen") ?? "127.0.0.1:8080");
      const config = loadConfig("frontend");
      checkProductionSecret(config);
      const logger = createLogger({ name: "frontend" });
      // JIT off: a page's queries are short, and a SET per request would cost round trips.
      const database = await openDatabase(databaseTarget(config), { logger, jit: false });
      const app = await createFrontend({ database, config, logger });
      const address = await app.listen(listen);
      logger.info({ address }, "frontend listening");
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      await app.close();
      await database.close();
    },
  };
}
