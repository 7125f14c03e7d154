// The route table against the OpenAPI document, both ways: every route of
// src/bin/routes.c under /api/, /admin/api/, /healthz and /metrics is a
// documented operation, and every documented operation (but a CORS
// preflight, which the dispatcher answers for its routes; the admin pages'
// forms are documented too) is a route.
//
//   node routes.mjs ROUTES.c OPENAPI.json
//
// Prints one line per operation missing on either side; exit 0 when none.
import fs from 'node:fs';

const [routesFile, docFile] = process.argv.slice(2);
if (!docFile) {
  console.error('usage: routes.mjs ROUTES.c OPENAPI.json');
  process.exit(2);
}
const src = fs.readFileSync(routesFile, 'utf8');
const doc = JSON.parse(fs.readFileSync(docFile, 'utf8'));

const macros = {};
for (const m of src.matchAll(/^#define\s+([A-Z_]+)\s+"([^"]*)"/gm)) macros[m[1]] = m[2];

// Path parameters by position only: the table says {type}, the document {entity_type}.
const shape = (p) => p.replace(/\{[^}]+\}/g, '{}');
const described = (p) => /^\/(api\/|admin\/api\/|healthz$|metrics$)/.test(p);

const routes = new Set(); // the JSON ones, which must be documented
const all = new Set();
for (const m of src.matchAll(/\{\s*"([A-Z]+)",\s*(?:([A-Z_]+)\s*)?(?:"([^"]*)")?\s*,/g)) {
  const p = (m[2] ? macros[m[2]] ?? `?${m[2]}?` : '') + (m[3] ?? '');
  all.add(`${m[1]} ${shape(p)}`);
  if (described(p)) routes.add(`${m[1]} ${shape(p)}`);
}
const operations = new Set();
for (const [p, item] of Object.entries(doc.paths)) {
  for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
    if (item[method]) operations.add(`${method.toUpperCase()} ${shape(p)}`);
  }
}
let missing = 0;
for (const r of routes) {
  if (!operations.has(r)) {
    console.log(`route ${r} is not described in ${docFile}`);
    missing++;
  }
}
for (const o of operations) {
  if (!all.has(o)) {
    console.log(`operation ${o} of ${docFile} is no route of ${routesFile}`);
    missing++;
  }
}
if (routes.size < 10) {
  console.log(`only ${routes.size} routes read from ${routesFile}: has its format changed?`);
  missing++;
}
process.exit(missing ? 1 : 0);
