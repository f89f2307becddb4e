package docsite

import "html/template"

// pages are the site's templates. Every page is one file with its styles
// inline; only the index has a script (the filter), also inline, and it
// writes nothing to the console.
var pages = template.Must(template.New("site").Funcs(funcs).Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} — agentshape living documentation</title>
<style>
:root { --ok:#1b7f3b; --bad:#b42318; --skip:#8a6d00; --none:#5b6475; --ink:#1d2330; --muted:#5b6475; --line:#e3e6ec; --bg:#f6f7f9; --sf:#0b5cab; --as:#6b3fa0; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 20px 20px 64px; }
nav.top { background:#1d2330; color:#fff; }
nav.top div { max-width:1100px; margin:0 auto; padding:10px 20px; display:flex; gap:18px; flex-wrap:wrap; align-items:baseline; }
nav.top a { color:#fff; text-decoration:none; } nav.top a:hover { text-decoration:underline; }
nav.top b { margin-right:12px; }
h1 { font-size: 26px; margin: 8px 0 6px; } h2 { font-size: 20px; margin: 28px 0 8px; } h3 { font-size: 16px; margin: 0 0 6px; }
.run { color: var(--muted); margin: 0 0 16px; }
.counts { display:flex; gap:10px; margin: 0 0 18px; flex-wrap: wrap; }
.count { background:#fff; border:1px solid var(--line); border-radius:8px; padding:8px 14px; min-width:110px; }
.count b { display:block; font-size:20px; }
.count.passed b { color:var(--ok); } .count.failed b { color:var(--bad); } .count.skipped b { color:var(--skip); } .count.not-run b { color:var(--none); }
table { border-collapse: collapse; background:#fff; width:100%; margin: 6px 0 14px; }
th, td { border:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
th { background:#eef0f4; font-weight:600; }
.badge { display:inline-block; border-radius:4px; padding:0 7px; font-size:12px; font-weight:600; color:#fff; white-space:nowrap; }
.badge.passed { background:var(--ok); } .badge.failed { background:var(--bad); } .badge.skipped { background:var(--skip); } .badge.not-run { background:var(--none); }
.src { display:inline-block; border-radius:4px; padding:0 7px; font-size:12px; border:1px solid; white-space:nowrap; }
.src.salesforce-documented, .src.salesforce-observed { color:var(--sf); border-color:var(--sf); } .src.agentshape-decision { color:var(--as); border-color:var(--as); }
.src.none { color:var(--bad); border-color:var(--bad); }
.tag { color: var(--muted); font-size: 12px; margin-right:6px; }
button.chip { font: inherit; font-size: 13px; border:1px solid var(--line); background:#fff; border-radius: 14px; padding: 2px 10px; margin: 0 6px 6px 0; cursor: pointer; }
button.chip[aria-pressed="true"] { background:#1d2330; color:#fff; border-color:#1d2330; }
.filters { background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 14px; margin: 0 0 14px; }
.filters input { font: inherit; width: 100%; max-width: 420px; padding: 5px 8px; border:1px solid #c9ced8; border-radius:6px; margin-bottom: 8px; }
.desc { white-space: pre-line; margin: 0 0 10px; }
section.scenario { background:#fff; border:1px solid var(--line); border-left:5px solid var(--none); border-radius:8px; padding:12px 16px; margin: 0 0 12px; }
section.scenario.passed { border-left-color: var(--ok); } section.scenario.failed { border-left-color: var(--bad); } section.scenario.skipped { border-left-color: var(--skip); }
section.rule { margin: 18px 0; }
ol.steps { list-style:none; padding:0; margin:8px 0 0; }
ol.steps li { padding: 2px 0 2px 10px; border-left: 3px solid transparent; }
ol.steps li.passed { border-left-color: var(--ok); } ol.steps li.failed { border-left-color: var(--bad); background:#fdf1f0; } ol.steps li.skipped { border-left-color: var(--skip); }
.kw { font-weight: 600; color: #34405a; }
pre { background:#f0f2f6; border:1px solid var(--line); border-radius:6px; padding:8px 10px; overflow:auto; font-size:13px; }
pre.error { background:#fdf1f0; border-color:#f1c6c1; color:#7a1d14; white-space: pre-wrap; }
.doc { background:#fff; border:1px solid var(--line); border-radius:10px; padding: 8px 28px 20px; }
.doc code { background:#f0f2f6; padding: 0 3px; border-radius:3px; }
.doc pre code { background:none; padding:0; }
.toc { font-size: 14px; }
footer { color: var(--muted); font-size: 13px; margin-top: 32px; }
[hidden] { display: none !important; }
</style>
</head>
{{end}}

{{define "nav"}}<nav class="top"><div><b><a href="index.html">agentshape living documentation</a></b>
<a href="index.html">Features and results</a>{{range .Docs}}<a href="{{.Page}}">{{.Title}}</a>{{end}}</div></nav>
{{end}}

{{define "run"}}<p class="run" id="run">Run of {{date .RunAt}} · agentshape <span id="version">{{.Version}}</span> (commit <span id="commit" title="{{.Commit}}">{{short .Commit}}</span>)</p>{{end}}

{{define "counts"}}<div class="counts">
<div class="count passed" id="count-passed"><b>{{.Passed}}</b> passed</div>
<div class="count failed" id="count-failed"><b>{{.Failed}}</b> failed</div>
<div class="count skipped" id="count-skipped"><b>{{.Skipped}}</b> skipped</div>
<div class="count not-run" id="count-not-run"><b>{{.NotRun}}</b> not run</div>
</div>{{end}}

{{define "source"}}{{if .}}<span class="src {{slice . 1}}">{{sourceLabel .}}</span>{{else}}<span class="src none">no source tag</span>{{end}}{{end}}

{{define "table"}}<table>{{range $i, $row := .}}<tr>{{range $row}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>{{end}}</table>{{end}}

{{define "steps"}}<ol class="steps">{{range .}}<li class="{{statusClass .Status}}"><span class="kw">{{.Keyword}}</span> {{.Text}}{{if .Table}}{{template "table" .Table}}{{end}}{{if .DocString}}<pre>{{.DocString}}</pre>{{end}}{{if .Error}}<pre class="error">{{.Error}}</pre>{{end}}</li>{{end}}</ol>{{end}}

{{define "index"}}{{template "head" "Features and results"}}<body>
{{template "nav" .}}
<main>
<h1>Features and results</h1>
{{template "run" .}}
<p>Every scenario below is executed; this page shows the result of the run above. Each carries a source tag: <span class="src salesforce-documented">Salesforce, documented</span> and <span class="src salesforce-observed">Salesforce, observed</span> describe Salesforce's behaviour, as its documentation states it or as it was seen; <span class="src agentshape-decision">agentshape's decision</span> describes agentshape's own behaviour where Salesforce is silent (<a href="reading-the-features.html">how to read the features</a>). The facts behind them are in the <a href="agent-api.html">Agent API reference</a>.</p>
{{template "counts" .Counts}}

<h2>Features</h2>
<table id="features">
<tr><th>Feature</th><th>Folder</th><th>Passed</th><th>Failed</th><th>Skipped</th><th>Not run</th></tr>
{{range .Features}}<tr class="feature" data-feature="{{.Path}}" data-passed="{{.Counts.Passed}}" data-failed="{{.Counts.Failed}}" data-skipped="{{.Counts.Skipped}}" data-not-run="{{.Counts.NotRun}}"><td><a href="{{featurePage .}}">{{.Name}}</a></td><td>{{.Folder}}</td><td>{{.Counts.Passed}}</td><td>{{.Counts.Failed}}</td><td>{{.Counts.Skipped}}</td><td>{{.Counts.NotRun}}</td></tr>
{{end}}</table>

<h2>Scenarios</h2>
<div class="filters">
<input id="q" type="search" placeholder="Search scenarios, features and tags" aria-label="Search scenarios">
<div id="source-filter">{{range sourceTags}}<button class="chip" type="button" data-tag="{{.}}" aria-pressed="false">{{sourceLabel .}}</button>{{end}}</div>
<div id="status-filter"><button class="chip" type="button" data-status="passed" aria-pressed="false">passed</button><button class="chip" type="button" data-status="failed" aria-pressed="false">failed</button><button class="chip" type="button" data-status="skipped" aria-pressed="false">skipped</button><button class="chip" type="button" data-status="not-run" aria-pressed="false">not run</button></div>
<div id="tag-filter">{{range .Tags}}<button class="chip" type="button" data-tag="{{.Tag}}" aria-pressed="false">{{.Tag}} ({{.Count}})</button>{{end}}</div>
<p id="shown" aria-live="polite"></p>
</div>
{{range .Folders}}<h3 id="folder-{{.Name}}" class="folder">{{.Title}}</h3><p>{{.Blurb}}</p>
<table class="scenarios" data-folder="{{.Name}}">
<tr><th>Result</th><th>Scenario</th><th>Feature</th><th>Source</th><th>Tags</th></tr>
{{range $f := .Features}}{{range .Scenarios}}<tr class="scenario" data-status="{{statusClass .Status}}" data-tags="{{join .Tags " "}}" data-search="{{search $f .}}"><td><span class="badge {{statusClass .Status}}">{{.Status}}</span></td><td><a href="{{featurePage $f}}#{{.Anchor}}">{{.Name}}</a></td><td>{{$f.Name}}</td><td>{{template "source" .Source}}</td><td>{{range otherTags .Tags}}<span class="tag">{{.}}</span>{{end}}</td></tr>
{{end}}{{end}}</table>
{{end}}
<footer>Generated by <code>make docs</code> from the feature files and the reports of the run. Self-contained: no network needed.</footer>
</main>
<script>
(function () {
  var q = document.getElementById("q");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.scenario"));
  var tables = Array.prototype.slice.call(document.querySelectorAll("table.scenarios"));
  var chips = Array.prototype.slice.call(document.querySelectorAll("button.chip"));
  var state = { tag: "", status: "" };
  function read() {
    var h = window.location.hash.replace(/^#/, "").split("&");
    for (var i = 0; i < h.length; i++) {
      var kv = h[i].split("=");
      var v = decodeURIComponent(kv[1] || "");
      if (kv[0] === "tag") { state.tag = v; }
      if (kv[0] === "status") { state.status = v; }
      if (kv[0] === "q") { q.value = v; }
    }
  }
  function apply() {
    var term = q.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!state.tag || (" " + r.getAttribute("data-tags") + " ").indexOf(" " + state.tag + " ") >= 0) &&
        (!state.status || r.getAttribute("data-status") === state.status) &&
        (!term || r.getAttribute("data-search").indexOf(term) >= 0);
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    tables.forEach(function (t) {
      var any = t.querySelector("tr.scenario:not([hidden])") !== null;
      t.hidden = !any;
      var h = document.getElementById("folder-" + t.getAttribute("data-folder"));
      if (h) { h.hidden = !any; if (h.nextElementSibling) { h.nextElementSibling.hidden = !any; } }
    });
    chips.forEach(function (c) {
      var on = (c.hasAttribute("data-tag") && c.getAttribute("data-tag") === state.tag) ||
        (c.hasAttribute("data-status") && c.getAttribute("data-status") === state.status);
      c.setAttribute("aria-pressed", on ? "true" : "false");
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " scenarios shown";
  }
  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      if (c.hasAttribute("data-tag")) { state.tag = state.tag === c.getAttribute("data-tag") ? "" : c.getAttribute("data-tag"); }
      if (c.hasAttribute("data-status")) { state.status = state.status === c.getAttribute("data-status") ? "" : c.getAttribute("data-status"); }
      apply();
    });
  });
  q.addEventListener("input", apply);
  window.addEventListener("hashchange", function () { read(); apply(); });
  read();
  apply();
})();
</script>
</body>
</html>
{{end}}

{{define "feature"}}{{template "head" .Feature.Name}}<body>
{{template "nav" .}}
<main>
{{with .Feature}}
<p><a href="index.html#folder-{{.Folder}}">← {{.Folder}}</a> · <code>features/{{.Path}}</code></p>
<h1 id="feature" data-feature="{{.Path}}">{{.Name}}</h1>
{{end}}
{{template "run" .}}
{{template "counts" .Feature.Counts}}
{{range descBlocks .Feature.Description}}{{if .Table}}{{template "table" .Table}}{{else}}<p class="desc">{{$.Linkify .Text}}</p>{{end}}{{end}}
{{with .Feature.Tags}}<p>{{range .}}<span class="tag">{{.}}</span>{{end}}</p>{{end}}
{{with .Feature.Background}}<h2>Background</h2>{{template "steps" .}}{{end}}
{{range .Feature.Sections}}<section class="rule">
{{if .Name}}<h2>Rule: {{.Name}}</h2>{{end}}
{{with .Description}}<p class="desc">{{$.Linkify .}}</p>{{end}}
{{with .Background}}<h3>Background</h3>{{template "steps" .}}{{end}}
{{range .Scenarios}}<section class="scenario {{statusClass .Status}}" id="{{.Anchor}}" data-status="{{statusClass .Status}}">
<h3><span class="badge {{statusClass .Status}}">{{.Status}}</span> {{.Name}}</h3>
<p>{{template "source" .Source}}{{with .Example}} <span class="tag">examples: {{.}}</span>{{end}} {{range otherTags .Tags}}<span class="tag">{{.}}</span>{{end}}</p>
{{template "steps" .Steps}}
</section>
{{end}}</section>
{{end}}
<footer>From <code>features/{{.Feature.Path}}</code>, run of {{date .RunAt}}.</footer>
</main>
</body>
</html>
{{end}}

{{define "doc"}}{{template "head" .Doc.Title}}<body>
{{template "nav" .}}
<main>
<p class="run">Rendered from <code>{{.Doc.Source}}</code> at commit {{short .Commit}}.</p>
{{with .Doc.TOC}}<details class="toc"><summary>Contents</summary><ul>{{range .}}<li><a href="#{{index . 0}}">{{index . 1}}</a></li>{{end}}</ul></details>{{end}}
<article class="doc">
{{rawHTML .Doc.HTML}}
</article>
</main>
</body>
</html>
{{end}}
`))
