package inputlimit

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// BenchmarkYAMLPreScan: what the depth pre-scan costs next to what it
// guards, on the example pipeline manifest and on a 64 KiB manifest of
// nested flow sequences (depth 120, under the limit): the scan, go-yaml's
// lexer alone (the cheapest part of go-yaml that could have measured depth)
// and go-yaml's parser, in the same run. Reported: scan-ns/op, lexer-ns/op,
// parse-ns/op per document and scan/parse; the variants alternate.
func BenchmarkYAMLPreScan(b *testing.B) {
	example, err := os.ReadFile("../../plugins/examples/pipeline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	nested := "version: 1\nplugins:\n  - path: a.wasm\n    config:\n      a:\n"
	for one := "        - " + strings.Repeat("[", 120) + strings.Repeat("]", 120) + "\n"; len(nested)+len(one) < MaxYAMLBytes; {
		nested += one
	}
	for _, doc := range []struct {
		name string
		data []byte
	}{{"example", example}, {"nested64KiB", []byte(nested)}} {
		b.Run(doc.name, func(b *testing.B) {
			var scan, lex, parse time.Duration
			for b.Loop() {
				t0 := time.Now()
				if yamlDepthOver(doc.data, MaxDepth) != 0 {
					b.Fatal("refused")
				}
				t1 := time.Now()
				lexer.Tokenize(string(doc.data))
				t2 := time.Now()
				if _, err := parser.ParseBytes(doc.data, 0); err != nil {
					b.Fatal(err)
				}
				scan, lex, parse = scan+t1.Sub(t0), lex+t2.Sub(t1), parse+time.Since(t2)
			}
			n := float64(b.N)
			b.ReportMetric(float64(scan.Nanoseconds())/n, "scan-ns/op")
			b.ReportMetric(float64(lex.Nanoseconds())/n, "lexer-ns/op")
			b.ReportMetric(float64(parse.Nanoseconds())/n, "parse-ns/op")
			b.ReportMetric(float64(scan)/float64(parse), "scan/parse")
		})
	}
}

// BenchmarkYAMLPreScanAllocs: the scan alone allocates one buffer of 1.5 KiB
// on a document within the limits, whatever its size.
func BenchmarkYAMLPreScanAllocs(b *testing.B) {
	example, err := os.ReadFile("../../plugins/examples/pipeline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		yamlDepthOver(example, MaxDepth)
	}
}
