// The shape of Koschei's configuration. Key names follow the original Python Koschei so an
// operator's knowledge (and existing configs, rewritten as YAML) carries over.

export type Component = "backend" | "frontend" | "admin";

/** A bad configuration file or value; the message is one line naming the file and key. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A free-form mapping whose keys are not interpreted by the config subsystem. */
export type ConfigMapping = Record<string, unknown>;

export interface DatabaseConfig {
  /** Only `postgresql` (optionally `postgresql+<driver>`) is supported. */
  drivername: string;
  /** Server host name; null means the local socket in /var/run/postgresql. */
  host: string | null;
  database?: string | null;
  username?: string | null;
  password?: string | null;
  port?: number | null;
  /** Seconds to wait for the server to accept a connection and answer its start-up. */
  connect_timeout: number;
  /** Seconds a statement may run before the server cancels it; 0 = no limit. */
  statement_timeout: number;
  /** Seconds a session may sit idle inside a transaction before the server ends it; 0 = no limit. */
  idle_in_transaction_timeout: number;
}

/** The PostgreSQL time limits of `database_config`, in seconds (0 = none, except connect). */
export type DatabaseTimeouts = Pick<
  DatabaseConfig,
  "connect_timeout" | "statement_timeout" | "idle_in_transaction_timeout"
>;

/** Back-off and time limits of the Koji client; names follow Koji's own session options. */
export interface KojiRetryConfig {
  /** Retry failed calls of anonymous sessions too (Koji retries only logged-in calls by default). */
  anon_retry: boolean;
  max_retries: number;
  /** Upper bound, in seconds, of the back-off between retries of a failed call. */
  retry_interval: number;
  /** Keep retrying, without counting, while the hub reports it is offline. */
  offline_retry: boolean;
  /** Seconds between retries while the hub is offline. */
  offline_retry_interval: number;
  /** Seconds a single call (one HTTP request, answer included) may take in all. */
  timeout: number;
  /** Seconds to establish the connection to the hub (TCP and TLS handshake). */
  connect_timeout: number;
  /** Seconds the hub may stay silent: before the answer starts, or within it. */
  idle_timeout: number;
}

export interface KojiConfig {
  /** Hub XML-RPC endpoint. */
  server: string;
  /** File server: repos, task results, SRPMs. */
  topurl: string;
  /** Web UI, for links. */
  weburl: string;
  /** Prefix of SRPM paths when building from a relative URL. */
  srpm_relative_path_root: string;
  /** Login method of the primary session; `logout` means anonymous. */
  login_method: string;
  /** Arguments of the login method, e.g. cert, ca, serverca. */
  login_args: ConfigMapping;
  /** Maximum number of Koschei builds running at once. */
  max_builds: number;
  /** Arches allowed for builds and counted in the Koji load. */
  build_arches: string[];
  /** Extra options of Koji's `build` call (scratch is always forced). */
  build_opts: ConfigMapping;
  /** No builds are submitted while the Koji load is above this. */
  load_threshold: number;
  task_priority: number;
  /** Seconds after which a running Koschei build is canceled. */
  task_timeout: number;
  /** Calls per Koji multicall. */
  multicall_chunk_size: number;
  /** Build against the resolved repo id instead of the target. */
  build_from_repo_id: boolean;
  /** Extra Koji client options; same-named keys override `retry`. */
  session_opts: ConfigMapping;
  /** Koji client back-off (extension of this port). */
  retry: KojiRetryConfig;
  /** Repo URL template with {build_tag}, {repo_id}, {arch} (repo_regen plugin, secondary). */
  repo_url?: string | null;
}

/** A Koji instance's settings as a Koji client uses them. */
export type KojiInstanceConfig = KojiConfig;

export interface DependencyConfig {
  ignore_weak_deps: boolean;
  persist_chunk_size: number;
  /** Seconds between progress reports. */
  perf_report_interval: number;
  dependency_cache_capacity: number;
  resolver_queue_size: number;
  /** Repos kept on disk. */
  cache_l2_capacity: number;
  resolve_for_arch: string;
  repo_arch: string;
  /** Seconds to establish a connection to a repo server (extension of this port). */
  repo_connect_timeout: number;
  /** Seconds a repo server may stay silent during a download (extension of this port). */
  repo_idle_timeout: number;
  /** Seconds one repo file's download may take in all (extension of this port). */
  repo_download_timeout: number;
}

export interface PrioritiesConfig {
  newly_added: number;
  build_threshold: number;
  package_update: number;
  failed_build_priority: number;
  /** Hours; time-priority formula. */
  t0: number;
  t1: number;
}

export interface ServiceConfig {
  /** Seconds to sleep between iterations. */
  interval: number;
  /** Touch the file named by $WATCHDOG_PATH on each iteration. */
  watchdog: boolean;
  /** Resident memory limit in KiB; the service exits with code 3 above it. */
  memory_limit?: number | null;
  virtual_memory_limit?: number | null;
}

export interface ServicesConfig {
  polling: ServiceConfig;
  scheduler: ServiceConfig;
  "repo-resolver": ServiceConfig;
  "build-resolver": ServiceConfig;
  watcher: ServiceConfig;
  /** Sends the fedora-messaging outbox (src/messaging). */
  publisher: ServiceConfig;
  "copr-resolver": ServiceConfig;
  "copr-scheduler": ServiceConfig;
}

export interface FedmsgConfig {
  /** Prefix of the Koji message topics the watcher consumes. */
  topic: string;
  /** Koji instance name carried by the messages to accept. */
  instance: string;
}

export interface FedmsgPublisherConfig {
  enabled: boolean;
  modname: string;
}

/** fedora-messaging connection (extension of this port). */
export interface AmqpConfig {
  /** fedora-messaging's config.toml; unset: $FEDORA_MESSAGING_CONF, else none (src/messaging). */
  config_file: string | null;
  url: string;
  exchange: string;
  /** Queue the watcher consumes from; "" lets the broker name a transient queue. */
  queue: string;
  /** Prepended to the topic of every published message. */
  topic_prefix: string;
}

export interface PagureConfig {
  owner_alias_url: string;
}

export interface CoprConfig {
  frontend_url: string;
  /** Template with {copr_owner}, {copr_name}, {copr_chroot}, {build_id:08d}, {package_name}. */
  build_log_url: string;
  copr_owner: string;
  chroot_name: string;
  /** INI file of the copr client ([copr-cli] login, username, token, copr_url). */
  config_path: string;
  overriding_by_exclusions: boolean;
  max_builds: number;
  fedmsg_topic: string;
  default_schedule_count: number;
  name_prefix: string;
  require_admin: boolean;
  /** Project description; {request_id} is replaced. */
  description: string;
  instructions: string;
}

export interface OsciConfig {
  namespace: string;
  build_artifact_type: string;
  build_group_artifact_type: string;
  contact: {
    name: string;
    team: string;
    docs: string;
    email: string;
    irc: string;
    url: string;
  };
  pipeline: { id: string; name: string };
  test: { type: string; category: string; namespace: string };
}

export interface DirectoriesConfig {
  /** Downloaded repos (repodata/), copr repos (user_repos/), cache files. */
  cachedir: string;
  /** Persistent state; the embedded PGlite database lives in <statedir>/pglite. */
  statedir: string;
  templates: string;
  static_folder: string;
  static_url: string;
  datadir: string;
}

export interface FrontendConfig {
  /** Externally visible URL; unset means the request's host. */
  external_url?: string | null;
  /** View bound to `/`: package_list, collection_list, groups_overview or login. */
  frontpage: string;
  frontpage_kwargs: ConfigMapping;
  packages_per_page: number;
  builds_per_page: number;
  /**
   * Seconds a package list or package page rendered for a visitor who is not logged in is
   * served again to such visitors (0: never).
   */
  anonymous_page_cache: number;
  auth: {
    /** Must match the whole identity; group 1 is the user name. */
    user_re: string;
    /** Request variable holding the identity set by the web server. */
    user_env: string;
    /**
     * HTTP request header in which a reverse proxy that authenticated the user passes the
     * identity to `/login`; read only from `trusted_proxies`.
     */
    user_header: string;
    /** Addresses of the reverse proxies allowed to set `user_header` (none: header login off). */
    trusted_proxies: string[];
    /**
     * Password-less login by typing a user name: only for the demo, whose configuration sets
     * it. Never enable it where the site is reachable by others.
     */
    demo_login: boolean;
    oidc: OidcConfig;
  };
  fedora_assets_url: string;
  fedmenu_url?: string | null;
  fedmenu_data_url?: string | null;
}

/** OpenID Connect login (authorization code with PKCE); off while `issuer` is unset. */
export interface OidcConfig {
  /** The provider's issuer URL, e.g. https://id.fedoraproject.org/openidc/. */
  issuer?: string | null;
  client_id?: string | null;
  /** Unset for a public client (PKCE alone). */
  client_secret?: string | null;
  /**
   * Where the provider sends the browser back; unset means
   * `<frontend.external_url>/login/oidc/callback`, or the request's own host without it.
   */
  redirect_url?: string | null;
  scopes: string[];
  /** The claim (ID token or userinfo) that gives the user name: `nickname` for Fedora Accounts. */
  username_claim: string;
  /** Seconds to wait for the provider's discovery document and token answers. */
  timeout: number;
}

export interface LinkConfig {
  name: string;
  /** Template with {package.name}, {package.collection.…}. */
  url: string;
}

export interface BugreportConfig {
  /** Bugzilla enter_bug URL with a {query} placeholder. */
  url: string;
  /** Bugzilla fields; values are templates. */
  template: Record<string, string>;
}

export interface KoscheiConfig {
  database_config: DatabaseConfig;
  /** Full PostgreSQL URL; overrides database_config when set. */
  db_url?: string | null;
  /** Role granted DML rights after create-db and migrations. */
  unpriv_db_username?: string | null;
  koji_config: KojiConfig;
  /** After loading: koji_config overlaid with the configured secondary entries. */
  secondary_koji_config: KojiConfig;
  /** Derived: true iff the files configured any secondary_koji_config entry. */
  secondary_mode: boolean;
  dependency: DependencyConfig;
  priorities: PrioritiesConfig;
  services: ServicesConfig;
  plugins: string[];
  fedmsg: FedmsgConfig;
  "fedmsg-publisher": FedmsgPublisherConfig;
  amqp: AmqpConfig;
  pagure: PagureConfig;
  copr: CoprConfig;
  osci: OsciConfig;
  /** Cache regions by (dotted) name, passed to the caches verbatim. */
  caching: ConfigMapping;
  directories: DirectoriesConfig;
  /** Web framework settings, e.g. SECRET_KEY for signing session cookies. */
  flask: ConfigMapping & { SECRET_KEY: string };
  frontend: FrontendConfig;
  /** Logging levels by logger name, Python dictConfig shape. */
  logging: ConfigMapping;
  links: LinkConfig[];
  bugreport: BugreportConfig;
  version: string;
  real_builds_insert_chunk: number;
  /** Development only: log everybody in as this (admin) user. */
  bypass_login?: string | null;
}

export type DatabaseTarget =
  | { kind: "postgresql"; url: string; timeouts?: DatabaseTimeouts }
  | { kind: "pglite"; dataDir: string };
