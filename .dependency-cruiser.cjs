/**
 * The layering rules of docs/architecture.md, checked by `npm run layering` (part of `npm test`).
 * Imports point down only; a layer never imports one above it. Change a rule here and in
 * docs/architecture.md together.
 */

/** Top to bottom. Each entry is a layer: a name and the paths in it. */
const layers = [
  { name: "entries", path: "^(src/(server|worker)\\.ts|src/(node|workers)/|scripts/|bench/)" },
  { name: "app", path: "^src/((app|routes|maintenance|config)\\.ts$|open311/)" },
  { name: "domains", path: "^src/domains/" },
  { name: "shared/api", path: "^src/shared/api/" },
  { name: "shared/store", path: "^src/shared/store/" },
  { name: "shared/request", path: "^src/shared/request/" },
  { name: "shared/auth", path: "^src/shared/auth/" },
  { name: "shared/http", path: "^src/shared/http/" },
  // Leaves: crypto, net and the single files at the root of shared/ (calendar, log, recent, …).
  { name: "shared leaves", path: "^src/shared/(crypto/|net/|[^/]+\\.ts$)" },
  { name: "db", path: "^src/db/" },
];

/**
 * Domains, lowest first. A domain may import another domain's `tables.ts` (its tables and their
 * status values), and only of a domain listed before it; nothing else of another domain.
 */
const domains = [
  "tenants",
  "divisions",
  "organisations",
  "reports",
  "lists",
  "activities",
  "governance",
  "emergency",
  "property",
  "newemployment",
  "certificates",
  "stats",
  "audit",
  "access",
  "webhooks",
  "system",
  "docs",
  "console",
];

const layerRules = layers.slice(1).map((layer, index) => ({
  name: `layer-${layer.name.replace(/[ /]/g, "-")}`,
  comment: `${layer.name} imports only layers below it (${layers
    .slice(index + 2)
    .map((l) => l.name)
    .join(", ")}): see docs/architecture.md`,
  severity: "error",
  from: { path: layer.path },
  to: {
    path: layers
      .slice(0, index + 1)
      .map((l) => l.path)
      .join("|"),
  },
}));

const domainRules = domains.map((domain, index) => ({
  name: `domain-${domain}`,
  comment: `domains/${domain} reaches into another domain only through the tables.ts of a domain listed before it in .dependency-cruiser.cjs (${
    domains.slice(0, index).join(", ") || "none"
  }): see docs/architecture.md`,
  severity: "error",
  from: { path: `^src/domains/${domain}/` },
  to: {
    path: "^src/domains/[^/]+/",
    pathNot: [
      `^src/domains/${domain}/`,
      ...(index > 0 ? [`^src/domains/(${domains.slice(0, index).join("|")})/tables\\.ts$`] : []),
    ],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles, type-only imports included.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "unlisted-domain",
      comment:
        "Every folder in src/domains/ is listed in `domains` in .dependency-cruiser.cjs (and in docs/architecture.md).",
      severity: "error",
      from: { path: "^src/domains/", pathNot: `^src/domains/(${domains.join("|")})/` },
      to: {},
    },
    {
      name: "unlisted-layer",
      comment: "Every module under src/ belongs to a layer in .dependency-cruiser.cjs (and in docs/architecture.md).",
      severity: "error",
      from: { path: "^src/", pathNot: layers.map((l) => l.path) },
      to: {},
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that resolves to nothing is a typo or a missing package.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    ...layerRules,
    ...domainRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/|\\.d\\.ts$" },
    // Type-only imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
