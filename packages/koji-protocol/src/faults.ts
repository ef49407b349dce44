// Errors raised by the Koji client: hub faults, undecodable XML-RPC and transport failures.

/**
 * Koji's exception classes (koji/__init__.py) with their fault codes and parents. A fault whose
 * code is listed here is a Koji error of that class; any other code (notably 1, an unhandled
 * exception on the hub or builder) stays a raw XML-RPC fault, which Koschei treats differently.
 */
const KOJI_ERROR_CLASSES = {
  GenericError: { code: 1000, parent: null },
  LockError: { code: 1001, parent: "GenericError" },
  AuthError: { code: 1002, parent: "GenericError" },
  TagError: { code: 1003, parent: "GenericError" },
  ActionNotAllowed: { code: 1004, parent: "GenericError" },
  BuildError: { code: 1005, parent: "GenericError" },
  AuthLockError: { code: 1006, parent: "AuthError" },
  AuthExpired: { code: 1007, parent: "AuthError" },
  SequenceError: { code: 1008, parent: "AuthError" },
  RetryError: { code: 1009, parent: "AuthError" },
  PreBuildError: { code: 1010, parent: "BuildError" },
  PostBuildError: { code: 1011, parent: "BuildError" },
  BuildrootError: { code: 1012, parent: "BuildError" },
  FunctionDeprecated: { code: 1013, parent: "GenericError" },
  ServerOffline: { code: 1014, parent: "GenericError" },
  LiveCDError: { code: 1015, parent: "GenericError" },
  PluginError: { code: 1016, parent: "GenericError" },
  CallbackError: { code: 1017, parent: "PluginError" },
  ApplianceError: { code: 1018, parent: "GenericError" },
  ParameterError: { code: 1019, parent: "GenericError" },
  ImportError: { code: 1020, parent: "GenericError" },
  ConfigurationError: { code: 1021, parent: "GenericError" },
  LiveMediaError: { code: 1022, parent: "GenericError" },
  GSSAPIAuthError: { code: 1023, parent: "AuthError" },
  NameValidationError: { code: 1024, parent: "GenericError" },
} as const satisfies Record<string, { code: number; parent: string | null }>;

export type KojiErrorClass = keyof typeof KOJI_ERROR_CLASSES;

const CLASS_BY_CODE = new Map<number, KojiErrorClass>(
  Object.entries(KOJI_ERROR_CLASSES).map(([name, { code }]) => [code, name as KojiErrorClass]),
);

/** The fault code Koji assigns to an error class, e.g. `BuildError` → 1005. */
export function kojiFaultCode(kojiClass: KojiErrorClass): number {
  return KOJI_ERROR_CLASSES[kojiClass].code;
}

/** An XML-RPC fault answered by the hub (or stored as a failed task's result). */
export class KojiFault extends Error {
  /** The Koji exception class for the code, or null for a raw fault (code 1, unknown codes). */
  readonly kojiClass: KojiErrorClass | null;

  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(faultString);
    this.name = "KojiFault";
    this.kojiClass = CLASS_BY_CODE.get(faultCode) ?? null;
  }

  /** True for every Koji error class (code 1000–1024): what Python catches as GenericError. */
  get isKojiError(): boolean {
    return this.kojiClass !== null;
  }

  /**
   * Whether this fault is an instance of a Koji class, following the class hierarchy:
   * a BuildError `is("GenericError")`, an AuthExpired `is("AuthError")`.
   */
  is(kojiClass: KojiErrorClass): boolean {
    let current: KojiErrorClass | null = this.kojiClass;
    while (current !== null) {
      if (current === kojiClass) return true;
      current = KOJI_ERROR_CLASSES[current].parent;
    }
    return false;
  }
}

/** The hub's answer (or a request) is not well-formed XML-RPC; `position` is a character offset. */
export class XmlRpcParseError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`malformed XML-RPC at position ${position}: ${reason}`);
    this.name = "XmlRpcParseError";
  }
}

/** A value that XML-RPC cannot carry (e.g. an integer beyond 64 bits). */
export class XmlRpcEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlRpcEncodeError";
  }
}

/**
 * The hub could not be reached or answered outside XML-RPC: connection refused or reset,
 * timeout, TLS failure, or a non-2xx HTTP status (`httpStatus`).
 */
export class KojiConnectionError extends Error {
  constructor(
    message: string,
    readonly details: { httpStatus?: number; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = "KojiConnectionError";
  }

  get httpStatus(): number | undefined {
    return this.details.httpStatus;
  }

  /** False for failures that repeating cannot fix, such as a rejected TLS certificate. */
  get retryable(): boolean {
    return this.details.retryable ?? true;
  }
}

/** The hub answered well-formed XML-RPC of an unexpected shape (e.g. a struct for a list). */
export class KojiProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KojiProtocolError";
  }
}
