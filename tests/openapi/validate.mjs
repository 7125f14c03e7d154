// Checks recorded HTTP answers against the OpenAPI document.
//
//   node validate.mjs OPENAPI.json RECORD...             every answer conforms
//   node validate.mjs --coverage OPENAPI.json RECORD...  and which documented
//                                                        operation/status pairs
//                                                        no answer exercised
//
// A record file has one answer a line, as tests/harness/lib.sh's req() writes
// them: METHOD \t PATH[?QUERY] \t STATUS \t CONTENT-TYPE \t BASE64(BODY)
// [\t BASE64(HEADER BLOCK)]. Each answer is matched to its operation (path
// template and method) and must have a documented status, the response's
// required headers with values their schemas accept (and any other
// documented header it sends, too), a documented media type (or no body
// where the document gives no content), and a JSON body that its schema accepts:
// the resource schemas allow no member they do not list, so a field the
// code sends and the document lacks fails, and so does a documented
// required one that the code left out. Paths the document does not
// describe (the admin's HTML pages, nginx's own, a test's made-up path) are
// not checked; a documented path asked with a method it does not take must
// answer 405 problem+json (but the admin pages' paths, whose GET previews
// the document leaves out).
//
// ajv comes from the npm folder of tests/browser/package-lock.json,
// GT_NPM_DIR (tests/harness/lib.sh installs it). Exit 0 when every answer
// conforms, 1 when one does not, 2 on a usage or setup error.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const coverage = args[0] === '--coverage';
if (coverage) args.shift();
if (args.length < 1) {
  console.error('usage: validate.mjs [--coverage] OPENAPI.json RECORD...');
  process.exit(2);
}
const npmDir = process.env.GT_NPM_DIR;
if (!npmDir) {
  console.error('GT_NPM_DIR is not set (the folder whose node_modules has ajv)');
  process.exit(2);
}
const require = createRequire(path.resolve(npmDir, 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const docFile = args.shift();
const doc = JSON.parse(fs.readFileSync(docFile, 'utf8'));
const DOC_ID = 'openapi.json';
// OpenAPI's own keywords (description, examples...) are no validation
// keywords: strict mode off, but unknown formats still fail.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(doc, DOC_ID);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function pointer(parts) {
  return '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

// A component's $ref ("#/components/responses/X") as its object and pointer parts.
function deref(obj, parts) {
  while (obj && obj.$ref) {
    if (!obj.$ref.startsWith('#/')) throw new Error(`external $ref ${obj.$ref} not supported`);
    parts = obj.$ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    obj = parts.reduce((o, k) => (o ? o[k] : undefined), doc);
  }
  return [obj, parts];
}

// Path templates as regular expressions; literal ones first.
const templates = Object.keys(doc.paths)
  .map((t) => {
    const params = (t.match(/\{[^}]+\}/g) || []).length;
    const re = new RegExp(
      '^' + t.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+') + '$');
    return { t, re, params };
  })
  .sort((a, b) => a.params - b.params);

function templateOf(p) {
  const hit = templates.find((x) => x.re.test(p));
  return hit ? hit.t : null;
}

const validators = new Map();
function validatorFor(parts) {
  const ref = DOC_ID + pointer(parts);
  let v = validators.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    validators.set(ref, v);
  }
  return v;
}

function isJson(mediaType) {
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(mediaType);
}

// The last header block of a curl -D file (after any 100 Continue), names lowercased.
function parseHeaders(b64) {
  const blocks = Buffer.from(b64, 'base64').toString('latin1').split(/\r?\n\r?\n/).filter((b) => b.trim());
  const out = new Map();
  for (const line of (blocks[blocks.length - 1] || '').split(/\r?\n/).slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return out;
}

// Documented headers: the required ones present, every one sent valid.
function checkHeaders(resp, parts, got, fail) {
  for (const [name, h0] of Object.entries(resp.headers || {})) {
    const [h, hparts] = deref(h0, [...parts, 'headers', name]);
    const value = got.get(name.toLowerCase());
    if (value === undefined) {
      if (h.required) fail(`no ${name} header, which the document requires here`);
      continue;
    }
    if (!h.schema) continue;
    const t = h.schema.type;
    const v = validatorFor([...hparts, 'schema']);
    const typed = (t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (!v(typed)) fail(`${name}: ${value}: ${ajv.errorsText(v.errors)}`);
  }
}

const seen = new Set(); // "METHOD template status"
let checked = 0;
let skipped = 0;
const failures = [];

function check(rec, where) {
  const [method, target, statusText, contentType, body64, headers64] = rec;
  const status = statusText;
  const p = target.split('?')[0];
  const body = Buffer.from(body64 || '', 'base64').toString('utf8');
  const what = `${method} ${target} -> ${status}`;
  const fail = (msg) => failures.push(`${where}: ${what}: ${msg}` +
    (body ? `\n         body: ${body.slice(0, 300)}` : ''));
  if (status === '000') {
    skipped++; // no answer at all (a timeout the test provoked)
    return;
  }
  const t = templateOf(p);
  if (!t) {
    skipped++;
    return;
  }
  checked++;
  const item = doc.paths[t];
  const m = method.toLowerCase();
  const mediaType = (contentType || '').split(';')[0].trim().toLowerCase();
  let op = item[m];
  if (!op && m === 'head') op = item.get; // HEAD answers as GET does, without the body
  if (!op && status !== '405' && Object.entries(item).every(([k, o]) => k === 'parameters' ||
      (o.tags || []).includes('admin-pages'))) {
    skipped++; // a page the document leaves out beside a form it lists (a bulk form's preview)
    return;
  }
  if (!op) {
    if (status !== '405' || mediaType !== 'application/problem+json') {
      fail(`${method} is not documented for ${t} (only a 405 problem may answer it)`);
      return;
    }
    const v = validatorFor(['components', 'schemas', 'Problem']);
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      fail('a 405 whose body is not JSON');
      return;
    }
    if (!v(parsed)) fail('a 405 that is no problem: ' + ajv.errorsText(v.errors));
    return;
  }
  const responses = op.responses || {};
  const key = responses[status] ? status : responses[status[0] + 'XX'] ? status[0] + 'XX' : 'default';
  if (!responses[key]) {
    fail(`status ${status} is not documented for ${method} ${t}`);
    return;
  }
  seen.add(`${method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase()} ${t} ${key}`);
  const base = op === item[m] ? ['paths', t, m, 'responses', key] : ['paths', t, 'get', 'responses', key];
  const [resp, parts] = deref(responses[key], base);
  if (headers64 !== undefined) checkHeaders(resp, parts, parseHeaders(headers64), fail);
  const content = resp.content || {};
  if (m === 'head') return; // no body to check
  if (Object.keys(content).length === 0) {
    if (body.length) fail(`a body where ${method} ${t} ${status} documents none`);
    return;
  }
  if (!content[mediaType]) {
    fail(`Content-Type '${contentType}' is not documented for ${method} ${t} ${status} ` +
         `(${Object.keys(content).join(', ')})`);
    return;
  }
  if (!isJson(mediaType) || !content[mediaType].schema) return;
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    fail(`a ${mediaType} body that is not JSON`);
    return;
  }
  const v = validatorFor([...parts, 'content', mediaType, 'schema']);
  if (!v(parsed)) {
    const errs = v.errors.slice(0, 6).map((e) => {
      const extra = e.params && e.params.unevaluatedProperty ? ` '${e.params.unevaluatedProperty}'`
        : e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : '';
      return `${e.instancePath || '/'} ${e.message}${extra}`;
    });
    fail('the body does not match the schema: ' + errs.join('; '));
  }
}

for (const file of args) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  text.split('\n').forEach((line, i) => {
    if (!line) return;
    const rec = line.split('\t');
    if (rec.length < 4) {
      failures.push(`${path.basename(file)}:${i + 1}: not a record: ${line.slice(0, 120)}`);
      return;
    }
    check(rec, `${path.basename(file)}:${i + 1}`);
  });
}

for (const f of failures) console.log(f);
console.log(`${checked} answers checked against ${path.basename(docFile)}, ${failures.length} not conforming, ` +
            `${skipped} on paths it does not describe`);

if (coverage) {
  const missing = [];
  for (const [t, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      const codes = Object.keys(item[m].responses || {});
      const hit = codes.filter((c) => seen.has(`${m.toUpperCase()} ${t} ${c}`));
      if (!hit.length) missing.push(`${m.toUpperCase()} ${t}: no answer at all`);
      else missing.push(...codes.filter((c) => !hit.includes(c)).map((c) => `${m.toUpperCase()} ${t} ${c}: not seen`));
    }
  }
  console.log(missing.length ? missing.join('\n') : 'every documented operation and status was seen');
}
process.exit(failures.length ? 1 : 0);
