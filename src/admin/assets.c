#include "build_config.h"

#include "admin/admin.h"
#include "base/banned.h"

/*
 * The admin pages' script and style, served from /admin/static/ so that the
 * Content-Security-Policy can forbid every inline script and style. Kept here
 * as text so the binary needs no files at run time; the two handlers at the
 * end answer them.
 */

static const char admin_js[] =
	"/* gentrack admin: confirms actions, and refreshes the dashboard without\n"
	" * losing what the operator is typing. Loaded from /admin/static/ so the\n"
	" * Content-Security-Policy needs no inline script. */\n"
	"(function () {\n"
	"  'use strict';\n"
	"\n"
	"  document.addEventListener('submit', function (ev) {\n"
	"    var form = ev.target;\n"
	"    var question = form.getAttribute('data-confirm');\n"
	"    if (question && !window.confirm(question)) {\n"
	"      ev.preventDefault();\n"
	"      return;\n"
	"    }\n"
	"    var button = form.querySelector('button[type=submit]');\n"
	"    if (button) {\n"
	"      /* One click, one submit: the server applies a repeat once anyway. */\n"
	"      window.setTimeout(function () { button.disabled = true; }, 0);\n"
	"    }\n"
	"  });\n"
	"\n"
	"  var live = document.getElementById('live');\n"
	"  if (!live) {\n"
	"    return;\n"
	"  }\n"
	"  var url = live.getAttribute('data-refresh');\n"
	"  var note = function (text) {\n"
	"    var el = document.getElementById('refreshed');\n"
	"    if (el) {\n"
	"      el.textContent = text;\n"
	"    }\n"
	"  };\n"
	"\n"
	"  /* Someone is working in a form: leave the page alone. */\n"
	"  function busy() {\n"
	"    var active = document.activeElement;\n"
	"    if (active && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName)) {\n"
	"      return true;\n"
	"    }\n"
	"    var fields = document.querySelectorAll('input, textarea');\n"
	"    for (var i = 0; i < fields.length; i++) {\n"
	"      var f = fields[i];\n"
	"      if (f.type !== 'hidden' && f.value !== f.defaultValue) {\n"
	"        return true;\n"
	"      }\n"
	"    }\n"
	"    return false;\n"
	"  }\n"
	"\n"
	"  function refresh() {\n"
	"    if (document.hidden || busy()) {\n"
	"      return;\n"
	"    }\n"
	"    fetch(url, { credentials: 'same-origin', cache: 'no-store' })\n"
	"      .then(function (r) {\n"
	"        if (!r.ok) {\n"
	"          throw new Error('HTTP ' + r.status);\n"
	"        }\n"
	"        return r.text();\n"
	"      })\n"
	"      .then(function (html) {\n"
	"        if (busy()) {\n"
	"          return;\n"
	"        }\n"
	"        /* A fragment of our own origin, every value escaped by the server. */\n"
	"        live.innerHTML = html;\n"
	"        note('updated ' + new Date().toLocaleTimeString());\n"
	"      })\n"
	"      .catch(function (err) {\n"
	"        note('refresh failed (' + err.message + '); trying again in 15 s');\n"
	"      });\n"
	"  }\n"
	"\n"
	"  window.setInterval(refresh, 15000);\n"
	"}());\n";

static const char admin_css[] =
	"/* gentrack admin: readable at 1280 px and on a phone. */\n"
	":root { --fg: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; --link: #1f5fbf; }\n"
	"* { box-sizing: border-box; }\n"
	"body { margin: 0; font: 15px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif; color: var(--fg); background: var(--bg); }\n"
	"header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5em; padding: .6em 1em; background: #1d2330; color: #fff; }\n"
	"header a { color: #fff; }\n"
	".brand { font-weight: 700; text-decoration: none; }\n"
	"main { max-width: 1400px; margin: 0 auto; padding: 1em; }\n"
	"h1 { font-size: 1.35em; margin: .4em 0 .6em; word-break: break-all; }\n"
	"h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }\n"
	"a { color: var(--link); }\n"
	"section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .2em 1em .8em; margin-bottom: 1em; }\n"
	".tools { display: flex; flex-wrap: wrap; gap: 1em; padding-top: .8em; }\n"
	".tools form { display: flex; flex-wrap: wrap; align-items: center; gap: .4em; }\n"
	".table-wrap { overflow-x: auto; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }\n"
	"thead th { font-size: .85em; color: var(--muted); white-space: nowrap; }\n"
	".fields th { width: 14em; color: var(--muted); font-weight: 500; }\n"
	".num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
	".nowrap { white-space: nowrap; }\n"
	".muted { color: var(--muted); font-size: .9em; }\n"
	".empty { color: var(--muted); text-align: center; }\n"
	".id { font-family: ui-monospace, Menlo, Consolas, monospace; }\n"
	"code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }\n"
	"pre.json { margin: .3em 0; padding: .6em; background: #f3f5f8; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }\n"
	"details { margin: .3em 0; }\n"
	"summary { cursor: pointer; }\n"
	".cut { text-decoration: underline dotted; cursor: help; }\n"
	".st { display: inline-block; padding: .05em .55em; border-radius: 1em; font-size: .85em; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }\n"
	".st::before { content: \"\\25CF\\00A0\"; }\n"
	".st-pending { background: #eef1f6; color: #3b4a63; border-color: #c9d2e0; }\n"
	".st-processing { background: #e3efff; color: #0b4fa8; border-color: #a9c8f3; }\n"
	".st-completed { background: #e2f6e7; color: #17692f; border-color: #a6dcb4; }\n"
	".st-partial { background: #fff3d6; color: #7a5200; border-color: #f0d38a; }\n"
	".st-failed { background: #fde5e5; color: #a01919; border-color: #f1b0b0; }\n"
	".st-cancelled { background: #eeeeee; color: #4d4d4d; border-color: #cfcfcf; }\n"
	".st-paused { background: #fff0e0; color: #8a3b00; border-color: #f0b27a; }\n"
	".st-paused::before { content: \"\\2016\\00A0\"; }\n"
	".st-lost { background: #fde5e5; color: #a01919; border-color: #f1b0b0; }\n"
	"tr.lost td { background: #fff6f6; }\n"
	".chart-figure { margin: .4em 0; }\n"
	".chart { display: block; width: 100%; max-width: 960px; height: auto; }\n"
	".chart-nav a[aria-current] { font-weight: 700; color: var(--fg); text-decoration: none; }\n"
	".queue-actions form { display: flex; flex-wrap: wrap; align-items: center; gap: .4em; }\n"
	".flash { padding: .6em .9em; border-radius: 6px; font-weight: 600; }\n"
	".flash.ok { background: #e2f6e7; color: #17692f; border: 1px solid #a6dcb4; }\n"
	".flash.error { background: #fde5e5; color: #a01919; border: 1px solid #f1b0b0; }\n"
	".actions form { display: flex; flex-wrap: wrap; align-items: center; gap: .5em; margin: .5em 0; }\n"
	".actions input[type=text], .bulk-confirm input[type=text] { min-width: 18em; }\n"
	"input, select, button { font: inherit; padding: .3em .5em; }\n"
	"button { cursor: pointer; border: 1px solid #9aa5b4; border-radius: 4px; background: #fff; }\n"
	".action-fail button, button.danger { border-color: #c43b3b; color: #a01919; }\n"
	".preview { font-size: 1.1em; }\n"
	"@media (max-width: 700px) {\n"
	"  main { padding: .5em; }\n"
	"  section { padding: .2em .6em .6em; }\n"
	"  .fields th { width: auto; }\n"
	"  .actions input[type=text], .bulk-confirm input[type=text] { min-width: 0; width: 100%; }\n"
	"  .tools form { width: 100%; }\n"
	"  .search input { width: 100%; }\n"
	"  table.stack thead { display: none; }\n"
	"  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }\n"
	"  table.stack tr { border-bottom: 1px solid #d5dbe3; padding: .4em 0; }\n"
	"  table.stack td { display: flex; justify-content: space-between; gap: 1em; "
	"border: 0; padding: .15em .2em; text-align: right; overflow-wrap: anywhere; }\n"
	"  table.stack td::before { content: attr(data-label); font-weight: 600; "
	"color: #4a5568; text-align: left; }\n"
	"  table.stack td[colspan]::before { content: none; }\n"
	"  table.stack td.queue-actions { display: block; text-align: left; }\n"
	"  table.stack td.queue-actions::before { display: block; }\n"
	"}\n";

/*
 * The tab icon, linked from every admin page (<link rel="icon">), so the
 * browser does not go looking for /favicon.ico (a 404 in its console). SVG:
 * a few hundred bytes of text, no binary blob in the source.
 */
static const char admin_favicon[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
	"<rect width=\"32\" height=\"32\" rx=\"6\" fill=\"#1f4e79\"/>"
	"<path d=\"M22 11.5a7 7 0 1 0 0 9V17h-5\" fill=\"none\" stroke=\"#fff\" "
	"stroke-width=\"3.2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>"
	"</svg>\n";

static void answer_static(struct call *c, const char *type, const char *text)
{
	c->resp->status = 200;
	c->resp->content_type = type;
	strbuf_addstr(&c->resp->body, text);
}

void admin_static_js(struct call *c)
{
	answer_static(c, "text/javascript; charset=utf-8", admin_js);
}

void admin_static_css(struct call *c)
{
	answer_static(c, "text/css; charset=utf-8", admin_css);
}

void admin_static_favicon(struct call *c)
{
	answer_static(c, "image/svg+xml", admin_favicon);
}
