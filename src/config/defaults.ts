// Built-in defaults of every configuration key. Pure: the few values that depend on the
// machine (directories, version) come in through DefaultsContext.
import { isAbsolute, join } from "node:path";
import type {
  AmqpConfig,
  DatabaseTimeouts,
  KojiConfig,
  KojiRetryConfig,
  KoscheiConfig,
  ServiceConfig,
} from "./types.js";

export interface DefaultsContext {
  /** Where the configuration files are read from (copr-config lives there too). */
  configDir: string;
  /** The package's root directory (templates, static files). */
  dataDir: string;
  cacheDir: string;
  stateDir: string;
  version: string;
}

/**
 * Per-user cache and state directories following the XDG base directory rules, so a
 * newcomer running from a checkout needs neither root nor /var.
 */
export function userDirectories(
  env: NodeJS.ProcessEnv,
  homeDir: string,
): { cacheDir: string; stateDir: string } {
  // The XDG specification says relative values are invalid and must be ignored.
  const xdg = (name: string, fallback: string): string => {
    const value = env[name];
    return value && isAbsolute(value) ? value : join(homeDir, fallback);
  };
  return {
    cacheDir: join(xdg("XDG_CACHE_HOME", ".cache"), "koschei"),
    stateDir: join(xdg("XDG_DATA_HOME", join(".local", "share")), "koschei"),
  };
}

/**
 * The back-off and time limits Koschei runs its Koji sessions with, also for clients made
 * without a configuration (Koji's own defaults are anon_retry false, 30 retries, 12 h).
 * `timeout` is the original's hour for a whole call; a hub that is down or stuck is noticed
 * sooner: 30 s covers connecting and the TLS handshake with any reachable hub, and 120 s of
 * silence exceeds the time a hub takes to compute a big answer (listTagged of a large
 * inherited tag) before sending its first byte.
 */
export const KOJI_RETRY_DEFAULTS: Readonly<KojiRetryConfig> = {
  anon_retry: true,
  max_retries: 1000,
  retry_interval: 20,
  offline_retry: true,
  offline_retry_interval: 120,
  timeout: 3600,
  connect_timeout: 30,
  idle_timeout: 120,
};

/**
 * Time limits of repo downloads, in seconds: a static file server answers at once, so 60 s
 * of silence means it is stuck; 30 min lets the largest metadata file (Fedora's filelists,
 * about 60 MB) arrive at 35 kB/s while a server trickling bytes is still given up on.
 */
export const REPO_DOWNLOAD_TIMEOUT_DEFAULTS = {
  repo_connect_timeout: 30,
  repo_idle_timeout: 60,
  repo_download_timeout: 1800,
} as const;

/**
 * PostgreSQL time limits, also for databases opened without a configuration: a server
 * that accepts connections but never answers fails start-up after 10 s instead of hanging;
 * no statement of the services (nor a migration step) is expected to run for 5 minutes;
 * a transaction left open by a stuck client stops holding its locks after 10 minutes.
 */
export const DATABASE_TIMEOUT_DEFAULTS: Readonly<DatabaseTimeouts> = {
  connect_timeout: 10,
  statement_timeout: 300,
  idle_in_transaction_timeout: 600,
};

/** The broker keys; src/messaging tells a key left at its default from an override with them. */
export const AMQP_DEFAULTS: Readonly<AmqpConfig> = {
  config_file: null,
  url: "amqp://guest:guest@localhost:5672/%2F",
  exchange: "amq.topic",
  queue: "koschei",
  topic_prefix: "org.fedoraproject.prod",
};

export function builtInDefaults(context: DefaultsContext): KoscheiConfig {
  const koji: KojiConfig = {
    server: "https://koji.fedoraproject.org/kojihub",
    topurl: "https://kojipkgs.fedoraproject.org",
    weburl: "https://koji.fedoraproject.org/koji",
    srpm_relative_path_root: "..",
    login_method: "logout",
    login_args: {},
    max_builds: 30,
    build_arches: ["i386", "x86_64", "armhfp"],
    build_opts: {},
    load_threshold: 0.5,
    task_priority: 30,
    task_timeout: 48 * 3600,
    multicall_chunk_size: 100,
    build_from_repo_id: false,
    session_opts: {},
    retry: { ...KOJI_RETRY_DEFAULTS },
  };
  const service = (overrides: Partial<ServiceConfig> = {}): ServiceConfig => ({
    interval: 3,
    watchdog: false,
    ...overrides,
  });
  return {
    database_config: {
      drivername: "postgresql",
      host: "localhost",
      ...DATABASE_TIMEOUT_DEFAULTS,
    },
    koji_config: koji,
    // Empty: primary mode. loadConfig overlays koji_config with whatever the files set here.
    secondary_koji_config: {} as KojiConfig,
    secondary_mode: false,
    dependency: {
      ignore_weak_deps: false,
      persist_chunk_size: 150,
      perf_report_interval: 60,
      dependency_cache_capacity: 3000,
      resolver_queue_size: 300,
      cache_l2_capacity: 100,
      resolve_for_arch: "x86_64",
      repo_arch: "x86_64",
      ...REPO_DOWNLOAD_TIMEOUT_DEFAULTS,
    },
    priorities: {
      newly_added: 3000,
      build_threshold: 256,
      package_update: 256,
      failed_build_priority: 200,
      t0: 6,
      t1: 7 * 24,
    },
    services: {
      polling: service({ interval: 20 * 60 }),
      scheduler: service(),
      "repo-resolver": service(),
      "build-resolver": service(),
      watcher: service(),
      publisher: service(),
      "copr-resolver": service(),
      "copr-scheduler": service(),
    },
    plugins: [],
    fedmsg: { topic: "org.fedoraproject.prod.buildsys", instance: "primary" },
    "fedmsg-publisher": { enabled: false, modname: "koschei" },
    amqp: { ...AMQP_DEFAULTS },
    pagure: {
      owner_alias_url: "https://src.fedoraproject.org/extras/pagure_owner_alias.json",
    },
    copr: {
      frontend_url: "https://copr.fedorainfracloud.org/",
      build_log_url:
        "https://copr-be.cloud.fedoraproject.org/results/" +
        "{copr_owner}/{copr_name}/{copr_chroot}/{build_id:08d}-{package_name}/build.log.gz",
      copr_owner: "koschei",
      chroot_name: "custom-1-x86_64",
      config_path: join(context.configDir, "copr-config"),
      overriding_by_exclusions: true,
      max_builds: 15,
      fedmsg_topic: "org.fedoraproject.prod.copr.build.end",
      default_schedule_count: 8,
      name_prefix: "k",
      require_admin: false,
      description:
        "Koschei created this Copr project for its rebuild request {request_id}. " +
        "The Koschei documentation explains what such projects are for.",
      instructions:
        "Koschei uses this project internally; its packages are not meant to be installed.",
    },
    osci: {
      namespace: "osci",
      build_artifact_type: "koji-build",
      build_group_artifact_type: "koji-build-group",
      contact: {
        name: "Koschei",
        team: "Koschei team",
        docs: "https://koschei.test/docs.html",
        email: "koschei@example.com",
        irc: "#koschei",
        url: "https://koschei.test/",
      },
      pipeline: { id: "koschei-pipeline", name: "Koschei pipeline" },
      test: { type: "koschei", category: "integration", namespace: "koschei" },
    },
    caching: {
      build_group: { backend: "dogpile.cache.memory" },
      koji_arches: { backend: "dogpile.cache.memory", expiration_time: 3600 },
      rpm_requires: {
        backend: "dogpile.cache.dbm",
        expiration_time: null,
        arguments: { filename: join(context.cacheDir, "rpm-requires-cache.dbm") },
      },
      pagure: {
        users: {
          backend: "dogpile.cache.dbm",
          expiration_time: 600,
          arguments: { filename: join(context.cacheDir, "pagure-user-cache.dbm") },
        },
      },
    },
    directories: {
      cachedir: context.cacheDir,
      statedir: context.stateDir,
      templates: join(context.dataDir, "templates"),
      static_folder: join(context.dataDir, "static"),
      static_url: "/static",
      datadir: context.dataDir,
    },
    flask: { SECRET_KEY: "isecretlylovebabymetal" },
    frontend: {
      frontpage: "package_list",
      frontpage_kwargs: {},
      packages_per_page: 100,
      builds_per_page: 15,
      anonymous_page_cache: 2,
      auth: {
        user_re: "(.+)",
        user_env: "REMOTE_USER",
        user_header: "X-Remote-User",
        trusted_proxies: [],
        demo_login: false,
        oidc: {
          issuer: null,
          client_id: null,
          client_secret: null,
          redirect_url: null,
          scopes: ["openid", "profile"],
          username_claim: "preferred_username",
          timeout: 10,
        },
      },
      fedora_assets_url: "https://apps.fedoraproject.org/global",
    },
    logging: {
      version: 1,
      loggers: {
        "": { level: "INFO", handlers: ["stderr"] },
        "dogpile.core.dogpile": { level: "INFO" },
        // The copr client logs expected, handled failures as errors.
        copr: { level: "CRITICAL" },
      },
      handlers: { stderr: { class: "logging.StreamHandler", stream: "ext://sys.stderr" } },
    },
    links: [
      { name: "Packages", url: "https://packages.fedoraproject.org/pkgs/{package.name}" },
      {
        name: "Bugzilla",
        url:
          "https://bugzilla.redhat.com/buglist.cgi" +
          "?product={package.collection.bugzilla_product}&component={package.name}",
      },
      { name: "Bodhi", url: "https://bodhi.fedoraproject.org/updates?packages={package.name}" },
      { name: "Dist-git", url: "https://src.fedoraproject.org/rpms/{package.name}.git" },
      {
        name: "Koji",
        url: "https://koji.fedoraproject.org/koji/packageinfo?packageID={package.name}",
      },
    ],
    bugreport: {
      url: "https://bugzilla.redhat.com/enter_bug.cgi?{query}",
      template: {
        product: "{collection.bugzilla_product}",
        component: "{name}",
        version: "{collection.bugzilla_version}",
        short_desc: "{name}: FTBFS in {collection}",
        bug_file_loc: "{url}",
        comment: [
          "Description of problem:",
          "{name} no longer builds from source in {collection}.",
          "",
          "Version-Release of the failing build:",
          "{version}-{release}",
          "",
          "How to reproduce:",
          "koji build --scratch {collection.target} {name}-{version}-{release}.{arch}.rpm",
          "",
          "More information:",
          "Koschei tracks this package at",
          "{url}",
        ].join("\n"),
      },
    },
    version: context.version,
    real_builds_insert_chunk: 50,
  };
}
