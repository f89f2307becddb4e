package pipeline_test

import (
	"errors"
	"testing"

	"github.com/agentshape/agentshape/host/pipeline"
)

// FuzzParseManifest: any bytes give a manifest or a *ManifestError, never a
// panic.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		"version: 1\nplugins:\n  - path: a.wasm\n",
		"version: 1\nplugins:\n  - name: cv\n    path: a.wasm\n    config: {x: [1, {y: z}]}\n    limits: {timeout: 1s, poolSize: 2}\n",
		"version: 1\nplugins: [",
		"{version: 1, plugins: [{path: a.wasm, sha256: zz}]}",
		"&a [*a]",
		"version: 1\nplugins:\n  - path: a.wasm\n    limits: {memoryMaxPages: -1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := pipeline.ParseManifest(b, "fuzz.yaml", "/")
		if err != nil {
			var me *pipeline.ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a *ManifestError", err)
			}
			return
		}
		if m.Version != 1 || len(m.Plugins) == 0 {
			t.Fatalf("accepted manifest %+v", m)
		}
		for _, e := range m.Plugins {
			if e.Path == "" || e.Name == "" {
				t.Fatalf("accepted entry %+v", e)
			}
		}
	})
}
