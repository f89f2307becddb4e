package ociplugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/agentshape/agentshape/host/ociplugin"
)

// BenchmarkWarmPull is one plugin's resolve from a warm cache: the manifest
// read and verified, the module found; no network.
func BenchmarkWarmPull(b *testing.B) {
	ctx := context.Background()
	reg := startFake(b)
	c := newClient(b, ociplugin.Options{})
	pushed, err := c.Push(ctx, reg.host+"/bench/endpoint:1", pluginBytes(b, "endpoint.wasm"), info)
	if err != nil {
		b.Fatal(err)
	}
	ref := pushed.Ref.URI()
	b.ReportAllocs()
	for b.Loop() {
		m, err := c.Pull(ctx, ref, ociplugin.PullOptions{})
		if err != nil || !m.Cached {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmResolveVsOCILayout is RATIONALE.md's measurement for the
// plugin cache (internal/cas) against oras-go's OCI image-layout store
// (content/oci), both warm and holding n plugins: one plugin resolved by
// digest as a fresh `shape` process does it — ours: Pull from the cache;
// oras: open the store (oci.New reads index.json and every manifest it
// lists), resolve the digest, read the manifest, check the module is
// there. The variants alternate; reported, as medians (a busy machine's
// stalls aside): cas-us/op, ocilayout-us/op and ocilayout/cas.
func BenchmarkWarmResolveVsOCILayout(b *testing.B) {
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("plugins=%d", n), func(b *testing.B) {
			ctx := context.Background()
			reg := startFake(b)
			c := newClient(b, ociplugin.Options{})
			layoutDir := b.TempDir()
			store, err := oci.New(layoutDir)
			if err != nil {
				b.Fatal(err)
			}
			repo, err := remote.NewRepository(reg.host + "/bench/p")
			if err != nil {
				b.Fatal(err)
			}
			repo.PlainHTTP = true
			var last *ociplugin.Pushed
			for i := range n {
				// n distinct small modules: the wasm header and a custom
				// section whose payload differs.
				mod := append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 0, 5, 1, 'x'}, byte(i), byte(i>>8), byte(i>>16))
				tag := fmt.Sprintf("v%d", i)
				if last, err = c.Push(ctx, reg.host+"/bench/p:"+tag, mod, info); err != nil {
					b.Fatal(err)
				}
				if _, err := oras.Copy(ctx, repo, tag, store, tag, oras.DefaultCopyOptions); err != nil {
					b.Fatal(err)
				}
			}
			ref := last.Ref.URI()
			digest := last.Ref.Digest
			layout := func() error {
				s, err := oci.New(layoutDir)
				if err != nil {
					return err
				}
				desc, err := s.Resolve(ctx, digest)
				if err != nil {
					return err
				}
				mb, err := content.FetchAll(ctx, s, desc)
				if err != nil {
					return err
				}
				var m ocispec.Manifest
				if err := json.Unmarshal(mb, &m); err != nil {
					return err
				}
				ok, err := s.Exists(ctx, m.Layers[0])
				if err != nil || !ok {
					return fmt.Errorf("module missing: %v", err)
				}
				return nil
			}
			var tc, tl []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := c.Pull(ctx, ref, ociplugin.PullOptions{}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := layout(); err != nil {
					b.Fatal(err)
				}
				tc = append(tc, t1.Sub(t0))
				tl = append(tl, time.Since(t1))
			}
			mc, ml := median(tc), median(tl)
			b.ReportMetric(float64(mc.Nanoseconds())/1e3, "cas-us/op")
			b.ReportMetric(float64(ml.Nanoseconds())/1e3, "ocilayout-us/op")
			b.ReportMetric(float64(ml)/float64(mc), "ocilayout/cas")
		})
	}
}

// median returns the middle value (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
