// The Koji sessions of a Koschei process (03-backend-services.md §0): the primary hub, logged
// in with the configured method, builds; an optional secondary hub, anonymous and read-only,
// supplies packages, builds and repos for collections in secondary mode.

import { kojiConfig, type KoscheiConfig } from "../config/index.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { KojiApi } from "./api.js";
import { KojiClient, type KojiClientOptions } from "./client.js";

export type KojiId = "primary" | "secondary";

export class KojiSessions {
  private constructor(
    readonly primary: KojiApi,
    /** The primary session itself when the configuration is not in secondary mode. */
    readonly secondary: KojiApi,
  ) {}

  /**
   * Creates the clients and logs the primary in. Without a secondary section the secondary
   * session is the primary one. The clients log their retries to `logger`, tagged with `koji`
   * (the session's id).
   */
  static async open(
    primary: KojiClientOptions,
    secondary: KojiClientOptions | null,
    logger: Logger = silentLogger,
  ): Promise<KojiSessions> {
    const primaryApi = new KojiApi(
      new KojiClient({ ...primary, logger: logger.child({ koji: "primary" }) }),
    );
    await primaryApi.client.login();
    const secondaryApi = secondary
      ? new KojiApi(
          new KojiClient({
            ...secondary,
            login_method: "logout",
            readOnly: true,
            logger: logger.child({ koji: "secondary" }),
          }),
        )
      : primaryApi;
    return new KojiSessions(primaryApi, secondaryApi);
  }

  /** Sessions as a loaded Koschei configuration describes them. */
  static fromConfig(config: KoscheiConfig, logger?: Logger): Promise<KojiSessions> {
    return KojiSessions.open(
      kojiConfig(config, "primary"),
      config.secondary_mode ? kojiConfig(config, "secondary") : null,
      logger,
    );
  }

  get secondaryMode(): boolean {
    return this.secondary !== this.primary;
  }

  /** The session a collection's packages, builds and repos come from. */
  forCollection(collection: { secondary_mode: boolean }): KojiApi {
    return collection.secondary_mode ? this.secondary : this.primary;
  }

  /** Which configured instance a session is (names cache namespaces and URLs). */
  idOf(api: KojiApi): KojiId {
    return api === this.primary ? "primary" : "secondary";
  }

  /** Logs the primary out and closes idle connections. */
  async close(): Promise<void> {
    try {
      await this.primary.client.logout();
    } finally {
      this.primary.client.close();
      this.secondary.client.close();
    }
  }
}
