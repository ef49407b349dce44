import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The architecture's import boundaries (see README, "Parts"): the product's services never
// import the simulators, pure domain logic imports nothing with I/O, and the workspace
// packages import nothing of the product.
const simulatorImport = {
  group: [
    "@koschei/koji-sim",
    "@koschei/koji-sim/*",
    "**/packages/koji-sim/**",
    "@koschei/copr-sim",
    "@koschei/copr-sim/*",
    "**/packages/copr-sim/**",
  ],
  message:
    "only the composition roots (src/cli/sim-command.ts, src/cli/demo.ts) may import a simulator",
};
const productImport = {
  group: ["**/src/**", "../../*", "koschei", "koschei/*"],
  message: "a workspace package must not import the product",
};

export default tseslint.config(
  { ignores: ["**/dist/", "build/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["src/**/*.ts", "src/**/*.tsx"],
    ignores: ["src/cli/sim-command.ts", "src/cli/demo.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [simulatorImport] }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/(koji|copr)-sim/]",
          message: simulatorImport.message,
        },
      ],
    },
  },
  {
    files: ["src/model/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../*", "@koschei/koji-sim", "@koschei/koji-sim/*", "node:*"],
              message:
                "src/model is pure domain logic: it imports only itself and the Koji vocabulary of @koschei/koji-protocol",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/koji-protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            productImport,
            { group: ["@koschei/*"], message: "the protocol package imports nothing of ours" },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/koji-sim/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            productImport,
            {
              group: ["@koschei/*", "!@koschei/koji-protocol"],
              message: "the simulator imports only @koschei/koji-protocol of ours",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/copr-sim/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            productImport,
            { group: ["@koschei/*"], message: "the Copr simulator imports nothing of ours" },
          ],
        },
      ],
    },
  },
  {
    files: ["static/**/*.js"],
    languageOptions: { globals: { document: "readonly" } },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
