package conformance

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteHTML writes the report as one self-contained HTML page (inline CSS,
// no scripts, no external assets): the verdict, what was checked (the
// agentshape version, the org, every plugin's sha256), every failure with
// its reproducer — the envelope embedded — then each feature's scenarios
// and steps.
func (r *Report) WriteHTML(w io.Writer) error {
	p, f, s := r.Counts()
	data := struct {
		*Report
		Verdict                 string
		Passed, Failed, Skipped int
		When                    string
		Took                    string
	}{r, "passed", p, f, s, r.Started.UTC().Format(time.RFC1123), r.Duration.Round(time.Millisecond).String()}
	if r.Failed() || r.DiffFails() {
		data.Verdict = "failed"
	}
	return htmlPage.Execute(w, data)
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string {
		if d < time.Millisecond {
			return "<1 ms"
		}
		return d.Round(time.Millisecond).String()
	},
	"lower": strings.ToLower,
	"slug": func(s string) string {
		return strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
	},
	"envelope": embeddedEnvelope,
	"seeds":    seedList,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agentshape conformance — {{.Verdict}} — {{.Target}}</title>
<style>
:root { --ok:#1b7f3b; --bad:#b42318; --skip:#8a6d00; --ink:#1d2330; --muted:#5b6475; --line:#e3e6ec; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 64px; }
header.verdict { border-radius: 10px; padding: 18px 22px; color: #fff; margin-bottom: 20px; }
header.passed { background: var(--ok); } header.failed { background: var(--bad); }
header h1 { margin:0 0 4px; font-size: 24px; }
header p { margin: 0; opacity: .92; }
.counts { display:flex; gap:12px; margin: 0 0 24px; flex-wrap: wrap; }
.count { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 16px; min-width:120px; }
.count b { display:block; font-size:22px; }
.count.passed b { color: var(--ok); } .count.failed b { color: var(--bad); } .count.skipped b { color: var(--skip); }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding: 16px 20px; margin-bottom: 18px; }
h2 { font-size: 18px; margin: 0 0 6px; }
.desc { color: var(--muted); white-space: pre-line; margin: 0 0 10px; }
.failure { border-left: 4px solid var(--bad); background:#fff5f4; padding: 10px 14px; margin: 10px 0; border-radius: 0 6px 6px 0; }
.failure .check { font-weight: 600; color: var(--bad); text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
.kv { display:grid; grid-template-columns: 90px 1fr; gap: 2px 10px; margin-top: 6px; font-size: 13px; }
.kv dt { color: var(--muted); } .kv dd { margin:0; word-break: break-all; }
.kv.wide { grid-template-columns: 110px 1fr; font-size: 14px; }
details.envelope { margin-top: 6px; } details.envelope summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.similar { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
code, pre { font-family: ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-word; background:#f3f4f6; padding:8px 10px; border-radius:6px; margin:6px 0 0; }
details.scenario { border-top: 1px solid var(--line); padding: 8px 0; }
details.scenario summary { cursor: pointer; list-style: none; display:flex; gap:10px; align-items: baseline; }
details.scenario summary::-webkit-details-marker { display:none; }
.badge { font-size: 12px; font-weight: 600; border-radius: 999px; padding: 1px 9px; color:#fff; min-width: 58px; text-align:center; }
.badge.passed { background: var(--ok); } .badge.failed { background: var(--bad); } .badge.skipped { background: var(--skip); }
.tags { color: var(--muted); font-size: 12px; }
ol.steps { list-style: none; margin: 8px 0 4px; padding: 0 0 0 8px; }
ol.steps li { padding: 3px 0 3px 22px; position: relative; }
ol.steps li::before { position:absolute; left:0; font-weight:700; }
ol.steps li.passed::before { content:"✓"; color: var(--ok); }
ol.steps li.failed::before, ol.steps li.undefined::before, ol.steps li.pending::before { content:"✗"; color: var(--bad); }
ol.steps li.skipped::before { content:"–"; color: var(--skip); }
.kw { font-weight: 600; color: var(--muted); }
.dur { color: var(--muted); font-size: 12px; }
table.diff { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
table.diff td, table.diff th { border-top: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; word-break: break-all; }
.fuel.over { color: var(--bad); font-weight: 600; } .fuel-warning { color: var(--skip); font-weight: 600; }
footer { color: var(--muted); font-size: 13px; text-align: center; }
</style>
</head>
<body>
<main>
<header class="verdict {{.Verdict}}" id="verdict" data-verdict="{{.Verdict}}">
  <h1>Conformance {{.Verdict}}</h1>
  <p><code>{{.Target}}</code> — seed {{.Seed}}, {{.Cases}} generated cases, {{.When}}, took {{.Took}}</p>
</header>
<section id="run">
  <h2>What was checked</h2>
  <dl class="kv wide">
    <dt>agentshape</dt><dd id="agentshape-version">{{.Version}}</dd>
    <dt>org</dt><dd id="org">{{if .Org.Demo}}the built-in demo org <code>{{.Org.MyDomain}}</code> — no <code>--org</code> was given: pass <code>--org ORG.yaml</code> to check against your own org (<code>agentshape emulator --print-org</code> is the template){{else}}<code>{{.Org.MyDomain}}</code> from <code>{{.Org.File}}</code>{{end}}, agent <code>{{.Org.AgentID}}</code></dd>
    {{range .Plugins}}<dt>plugin</dt><dd class="plugin"><code>{{.Name}}</code> sha256 <code class="sha256">{{.SHA256}}</code> <span class="path">{{.Path}}</span>{{with .Fuel}} — <span class="fuel{{if .OverBudget}} over{{else if .Warning}} warn{{end}}" data-fuel-max="{{.Max}}" data-fuel-median="{{.Median}}" data-fuel-max-seed="{{.MaxSeed}}" data-fuel-seeds="{{seeds .Seeds}}" data-fuel-spread="{{printf "%.2f" .SpreadPct}}" data-fuel-recommended="{{.Recommended}}">{{.}}</span>{{with .Warning}} <span class="fuel-warning">warning: {{.}}</span>{{end}}{{end}}</dd>
    {{end}}
  </dl>
</section>
<div class="counts">
  <div class="count passed" id="count-passed"><b>{{.Passed}}</b>scenarios passed</div>
  <div class="count failed" id="count-failed"><b>{{.Failed}}</b>failed</div>
  <div class="count skipped" id="count-skipped"><b>{{.Skipped}}</b>skipped</div>
</div>
{{if .Failures}}
<section id="failures">
  <h2>Failures and how to reproduce them</h2>
  {{range $i, $f := .Failures}}
  <div class="failure">
    <div class="check">{{$f.Check}}</div>
    <div>{{$f.Message}}</div>
    {{if $f.Detail}}<pre class="detail">{{$f.Detail}}</pre>{{end}}
    <dl class="kv">
      {{if $f.Plugin}}<dt>plugin</dt><dd><code>{{$f.Plugin}}</code></dd>{{end}}
      {{if $f.Case}}<dt>case</dt><dd>{{$f.Case}}</dd>{{end}}
      {{if $f.Envelope}}<dt>envelope</dt><dd><code>{{$f.Envelope}}</code></dd>{{end}}
    </dl>
    {{if $f.Command}}<pre>{{$f.Command}}</pre>{{end}}
    {{with envelope $f}}<details class="envelope"><summary>reproducer envelope</summary><pre class="envelope">{{.}}</pre></details>{{end}}
    {{if $f.Similar}}<p class="similar">and {{$f.Similar}} more failure(s) like this one, differing only in numbers, left out</p>{{end}}
  </div>
  {{end}}
</section>
{{end}}
{{with .Diff}}
<section id="diff" data-differs="{{if .Changed}}true{{else}}false{{end}}">
  <h2>Behaviour diff against the baseline</h2>
  <p class="desc">{{.Summary}}</p>
  <dl class="kv wide">
    {{range .Plugins}}<dt>baseline</dt><dd class="plugin"><code>{{.Name}}</code> sha256 <code class="sha256">{{.SHA256}}</code> <span class="path">{{.Path}}</span></dd>
    {{end}}
  </dl>
  {{range .Listed}}
  <h3 class="case">{{.Case}}</h3>
  <table class="diff">
    <tr><th>field</th><th>baseline</th><th>this version</th></tr>
    {{if ne .Old .New}}<tr class="answer"><td>(answer)</td><td>{{.OldText}}</td><td>{{.NewText}}</td></tr>{{end}}
    {{range .Changes}}<tr class="field"><td><code>{{.Pointer}}</code></td><td><code>{{.Old}}</code></td><td><code>{{.New}}</code></td></tr>
    {{end}}
    {{if .MoreChanges}}<tr><td colspan="3">and {{.MoreChanges}} more changed field(s)</td></tr>{{end}}
    {{range .Fuel}}<tr class="fuel"><td>fuel of <code>{{.Plugin}}</code></td><td>{{.OldText}}</td><td>{{.NewText}}</td></tr>
    {{end}}
  </table>
  {{end}}
</section>
{{end}}
{{range .Features}}
<section class="feature" id="feature-{{slug .Name}}">
  <h2>{{.Name}}</h2>
  {{if .Description}}<p class="desc">{{.Description}}</p>{{end}}
  {{range .Scenarios}}{{$st := .Status}}
  <details class="scenario {{$st}}" {{if eq $st "failed"}}open{{end}}>
    <summary><span class="badge {{$st}}">{{$st}}</span> <span class="name">{{.Name}}</span> <span class="tags">{{range .Tags}}{{.}} {{end}}</span></summary>
    <ol class="steps">
      {{range .Steps}}<li class="{{lower .Status}}"><span class="kw">{{.Keyword}}</span> {{.Text}} <span class="dur">{{ms .Duration}}</span>{{if .Error}}<pre>{{.Error}}</pre>{{end}}</li>
      {{end}}
    </ol>
  </details>
  {{end}}
</section>
{{end}}
<footer>agentshape conformance — the plugin contract is documented in features/plugincontract</footer>
</main>
</body>
</html>
`))

// maxEmbeddedEnvelope bounds the envelope bytes the HTML report embeds per
// failure; the file holds the whole of it.
const maxEmbeddedEnvelope = 64 << 10

// embeddedEnvelope is f's reproducer envelope as the HTML report shows it:
// indented, cut at maxEmbeddedEnvelope bytes with a note naming the file.
func embeddedEnvelope(f Failure) string {
	if len(f.envelope) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, f.envelope, "", "  ") != nil {
		b.Reset()
		b.Write(f.envelope)
	}
	if b.Len() <= maxEmbeddedEnvelope {
		return b.String()
	}
	cut := b.Bytes()[:maxEmbeddedEnvelope]
	for !utf8.Valid(cut) && len(cut) > 0 {
		cut = cut[:len(cut)-1]
	}
	return string(cut) + "\n… (cut at " + strconv.Itoa(maxEmbeddedEnvelope) + " bytes; the whole envelope is in " + f.Envelope + ")"
}
