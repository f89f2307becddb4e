package kits

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
	"github.com/agentshape/agentshape/plugins/kits/internal/kittest"
)

var updateGoKit = flag.Bool("update-gokit", false, "rewrite go/shapekit.txtar from plugins/kits/go/shapekit (go generate ./plugins/kits)")

// TestGoKitBundleIsCurrent: the Go kit the CLI carries (go/shapekit.txtar)
// is the kit module in this checkout, file for file and byte for byte.
func TestGoKitBundleIsCurrent(t *testing.T) {
	files, err := ReadGoKit(filepath.Join("go", "shapekit"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := formatBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	if *updateGoKit {
		if err := os.WriteFile(filepath.FromSlash(GoKitBundle), want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(goKitBundle, want) {
		t.Fatalf("plugins/kits/%s is not the Go kit in plugins/kits/go/shapekit: run `go generate ./plugins/kits` and commit the result", GoKitBundle)
	}
	got, err := GoKit()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, files) {
		t.Fatalf("GoKit() does not read back the files the bundle was written from")
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Name)
	}
	for _, need := range []string{"go.mod", "doc.go", "shapekit.go", "export_wasip1.go"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+need+" ") {
			t.Errorf("the Go kit bundle lacks %s: %v", need, names)
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			t.Errorf("the Go kit bundle carries the test %s", n)
		}
	}
}

// TestGoKitIsStandardLibraryOnly: the kit module requires nothing, so a
// plugin project that vendors it needs no module download at all.
func TestGoKitIsStandardLibraryOnly(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("go", "shapekit", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(mod), "module "+GoKitModule+"\n") {
		t.Errorf("the kit's go.mod does not declare module %s:\n%s", GoKitModule, mod)
	}
	for _, directive := range []string{"require", "replace", "toolchain"} {
		if strings.Contains(string(mod), "\n"+directive) {
			t.Errorf("the kit's go.mod has a %s directive; the kit must depend on the standard library only:\n%s", directive, mod)
		}
	}
}

func TestBundleRefusesMarkers(t *testing.T) {
	if _, err := formatBundle([]File{{Name: "a.go", Data: []byte("x\n-- b.go --\n")}}); err == nil {
		t.Fatal("a file with a marker line was bundled")
	}
	if _, err := formatBundle([]File{{Name: "a.go", Data: []byte("x")}}); err == nil {
		t.Fatal("a file without a final newline was bundled")
	}
	files := []File{{Name: "a.go", Data: []byte("package a\n\n\n")}, {Name: "b/c.go", Data: []byte("-- not a marker\n")}}
	b, err := formatBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parseBundle(b); err != nil || !reflect.DeepEqual(got, files) {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if _, err := parseBundle([]byte("just a comment\n")); err == nil {
		t.Fatal("a bundle without files parsed")
	}
}

// TestGoKitContextMirrorsABI keeps the kit's Context in step with
// host/abi.Context: every JSON member the host sends is decoded by the kit.
// (It lives here, not in the kit, because the kit module must not import
// the host's.)
func TestGoKitContextMirrorsABI(t *testing.T) {
	c := kittest.FullContext(t, "shapekit")
	cj, _ := json.Marshal(c)
	env := `{"abi":1,"plugin":{"name":"t","config":{}},"context":` + string(cj) + `,"request":{}}`
	e, err := shapekit.Decode([]byte(env))
	if err != nil {
		t.Fatal(err)
	}
	want := shapekit.Context{AgentID: c.AgentID, Channel: c.Channel, ConversationID: c.ConversationID,
		Org:  shapekit.Org{MyDomain: "example-co", Kind: "sandbox", Sandbox: "uat"},
		User: shapekit.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{"tier": "gold"}}}
	if !reflect.DeepEqual(e.Context, want) {
		t.Fatalf("decoded context %+v, want %+v", e.Context, want)
	}
	if reflect.TypeOf(shapekit.Context{}).NumField() != reflect.TypeOf(abi.Context{}).NumField() ||
		reflect.TypeOf(shapekit.Org{}).NumField() != reflect.TypeOf(abi.Org{}).NumField() ||
		reflect.TypeOf(shapekit.User{}).NumField() != reflect.TypeOf(abi.User{}).NumField() {
		t.Fatal("shapekit.Context/Org/User and abi.Context/Org/User have different fields")
	}
}
