package ociplugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/agentshape/agentshape/host/abi"
)

// Media types of a plugin artifact.
const (
	// ConfigMediaType is the config of the WebAssembly OCI artifact layout
	// (CNCF TAG Runtime, wasm-oci-artifact).
	ConfigMediaType = "application/vnd.wasm.config.v0+json"
	// LayerMediaType is the layer holding the module, as pushed.
	LayerMediaType = "application/vnd.wasm.content.layer.v1+wasm"
	// cncfLayerMediaType is the CNCF layout's own layer type, accepted on
	// pull so that modules pushed by other wasm tools can be used.
	cncfLayerMediaType = "application/wasm"
	// legacyConfigMediaType is wasm-to-oci's config, accepted on pull.
	legacyConfigMediaType = "application/vnd.wasm.config.v1+json"
)

// Annotations a pushed manifest carries (the module's own facts, from
// internal/inspect).
const (
	// AnnotationABIVersion is the ABI version the module declares ("1").
	AnnotationABIVersion = "dev.agentshape.plugin.abi-version"
	// AnnotationKind is "reactor" or "command".
	AnnotationKind = "dev.agentshape.plugin.kind"
	// AnnotationSHA256 is the module's sha256, 64 hex digits: the value a
	// manifest entry's sha256 pins.
	AnnotationSHA256 = "dev.agentshape.plugin.sha256"
)

// acceptedManifestTypes is what a pull asks for: a plugin is one image
// manifest (an index is refused with a message).
var acceptedManifestTypes = []string{ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"}

// wasmMagic starts every WebAssembly binary module (version 1).
var wasmMagic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// Info is what a pushed manifest says about its module.
type Info struct {
	// ABIVersion is the ABI version the module declares (0: none).
	ABIVersion int
	// Kind is "reactor" or "command".
	Kind string
	// Title names the module's file, e.g. "endpoint.wasm" (optional).
	Title string
}

// wasmConfig is the CNCF layout's config for a core module.
type wasmConfig struct {
	Created      string   `json:"created"`
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	LayerDigests []string `json:"layerDigests"`
}

// created is the config's creation time: SOURCE_DATE_EPOCH when set (the
// reproducible-builds convention), else the Unix epoch, so that pushing the
// same module gives the same manifest digest and pins stay valid.
func created() string {
	sec := int64(0)
	if v, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil && v > 0 {
		sec = v
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

// artifact is a plugin's three blobs, ready to push.
type artifact struct {
	config, manifest    []byte
	configDesc, manDesc ocispec.Descriptor
	layerDesc           ocispec.Descriptor
}

// buildArtifact lays a module out as a plugin artifact.
func buildArtifact(module []byte, info Info) (*artifact, error) {
	layer := ocispec.Descriptor{MediaType: LayerMediaType, Digest: digest.FromBytes(module), Size: int64(len(module))}
	if info.Title != "" {
		layer.Annotations = map[string]string{ocispec.AnnotationTitle: info.Title}
	}
	cfg, err := json.Marshal(wasmConfig{Created: created(), Architecture: "wasm", OS: "wasip1", LayerDigests: []string{layer.Digest.String()}})
	if err != nil {
		return nil, err
	}
	cfgDesc := ocispec.Descriptor{MediaType: ConfigMediaType, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfgDesc,
		Layers:    []ocispec.Descriptor{layer},
		Annotations: map[string]string{
			AnnotationABIVersion: strconv.Itoa(info.ABIVersion),
			AnnotationKind:       info.Kind,
			AnnotationSHA256:     layer.Digest.Encoded(),
		},
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &artifact{
		config: cfg, manifest: mb, configDesc: cfgDesc, layerDesc: layer,
		manDesc: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb))},
	}, nil
}

// pluginManifest is a validated plugin manifest.
type pluginManifest struct {
	layer       ocispec.Descriptor
	annotations map[string]string
}

// parseManifest checks that a manifest is a plugin artifact this host can
// use, before any of its blobs is fetched: one wasm layer within the size
// limit, a wasm config, and annotations (when present) that agree with it.
func parseManifest(mediaType string, b []byte, maxModule int64) (*pluginManifest, error) {
	var m ocispec.Manifest
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: the manifest is not JSON: %v", ErrNotPlugin, err)
	}
	if m.MediaType != "" {
		mediaType = m.MediaType
	}
	switch mediaType {
	case ocispec.MediaTypeImageManifest:
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		return nil, fmt.Errorf("%w: it is an index of several manifests (%s); name the plugin's own manifest digest", ErrNotPlugin, mediaType)
	default:
		return nil, fmt.Errorf("%w: manifest media type %q; a plugin is an OCI image manifest (%s)", ErrNotPlugin, mediaType, ocispec.MediaTypeImageManifest)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: manifest schemaVersion %d, want 2", ErrNotPlugin, m.SchemaVersion)
	}
	if m.Config.MediaType != ConfigMediaType && m.Config.MediaType != legacyConfigMediaType {
		return nil, fmt.Errorf("%w: config media type %q, want %s (is it a container image?); push plugins with `agentshape plugin push`", ErrNotPlugin, m.Config.MediaType, ConfigMediaType)
	}
	if len(m.Layers) != 1 {
		return nil, fmt.Errorf("%w: %d layers; a plugin artifact has exactly one, the module", ErrNotPlugin, len(m.Layers))
	}
	layer := m.Layers[0]
	if layer.MediaType != LayerMediaType && layer.MediaType != cncfLayerMediaType {
		return nil, fmt.Errorf("%w: layer media type %q, want %s", ErrNotPlugin, layer.MediaType, LayerMediaType)
	}
	if layer.Digest.Algorithm() != digest.SHA256 || layer.Digest.Validate() != nil {
		return nil, fmt.Errorf("%w: layer digest %q is not a sha256 digest", ErrNotPlugin, layer.Digest)
	}
	if layer.Size <= 0 {
		return nil, fmt.Errorf("%w: layer size %d", ErrNotPlugin, layer.Size)
	}
	if layer.Size > maxModule {
		return nil, fmt.Errorf("%w: the module is %d bytes, over the limit of %d; refused before download", ErrTooLarge, layer.Size, maxModule)
	}
	a := m.Annotations
	if v, ok := a[AnnotationABIVersion]; ok && v != strconv.Itoa(abi.Version) {
		return nil, fmt.Errorf("%w: the module declares plugin ABI version %q; this agentshape speaks version %d", ErrNotPlugin, v, abi.Version)
	}
	if v, ok := a[AnnotationSHA256]; ok && !strings.EqualFold(v, layer.Digest.Encoded()) {
		return nil, fmt.Errorf("%w: annotation %s is %s but the layer is %s; the artifact contradicts itself", ErrDigestMismatch, AnnotationSHA256, v, layer.Digest)
	}
	return &pluginManifest{layer: layer, annotations: a}, nil
}
