// The types of gentrack.mjs for `import ... from './gentrack.mjs'`: TypeScript
// looks for gentrack.d.mts beside a .mjs. They live in gentrack.d.ts.
export * from './gentrack.js';
