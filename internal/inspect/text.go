package inspect

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for a person: one fact per line, then the
// findings, then the verdict.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	if r.File != "" {
		p("file\t%s", r.File)
	}
	p("kind\t%s", r.Kind)
	if r.ABIVersion > 0 {
		p("abi\tv%d (exports agentshape_abi_v%d)", r.ABIVersion, r.ABIVersion)
	} else {
		p("abi\tnone (no agentshape_abi_v1 export)")
	}
	p("size\t%s (%d bytes)", humanBytes(r.Size), r.Size)
	p("sha256\t%s", r.SHA256)
	p("memory\t%s", r.memoryLine())
	for i, e := range r.Exports {
		label := ""
		if i == 0 {
			label = "exports"
		}
		p("%s\t%s\t%s", label, e.Name, exportType(e))
	}
	if len(r.Exports) == 0 {
		p("exports\t(none)")
	}
	for i, imp := range r.Imports {
		label := ""
		if i == 0 {
			label = "imports"
		}
		status := "ok"
		if !imp.Allowed {
			status = "REFUSED"
		}
		t := imp.Type
		if t == "" {
			t = imp.Kind
		}
		p("%s\t%s.%s\t%s\t%s", label, imp.Module, imp.Name, t, status)
	}
	if len(r.Imports) == 0 {
		p("imports\t(none)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range r.Findings {
		if _, err := fmt.Fprintf(w, "%s: %s: %s\n", f.Severity, f.Code, f.Message); err != nil {
			return err
		}
	}
	verdict := "the host accepts this plugin"
	if !r.Accepted {
		verdict = "the host will REFUSE this plugin (see the refused findings above)"
	}
	_, err := fmt.Fprintf(w, "verdict: %s\n", verdict)
	return err
}

func exportType(e Export) string {
	if e.Type != "" {
		return e.Type
	}
	return e.Kind
}

func (r *Report) memoryLine() string {
	m := r.Memory
	if m == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "min %s (%s)", pages(m.MinPages), humanBytes(int(m.MinPages)*65536))
	if m.MaxPages != nil {
		fmt.Fprintf(&b, ", max %s", pages(*m.MaxPages))
	} else {
		b.WriteString(", no declared max")
	}
	fmt.Fprintf(&b, "; host limit %d pages (%s)", r.MemoryMaxPages, humanBytes(int(r.MemoryMaxPages)*65536))
	if m.Imported {
		b.WriteString("; imported")
	}
	if m.Shared {
		b.WriteString("; shared")
	}
	if m.Memory64 {
		b.WriteString("; 64-bit")
	}
	return b.String()
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func pages(n uint64) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}
