package shapekit_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

func shape(env shapekit.Envelope) (shapekit.Request, error) {
	domain := env.Context.Org.MyDomain
	if domain == "" {
		return nil, shapekit.Refuse("no_my_domain", "context.org.myDomain is empty: pass the org's My Domain name, e.g. acme")
	}
	// Set takes the path first, then the value.
	if err := env.Request.Set("instanceConfig.endpoint", "https://"+domain+".my.salesforce.com"); err != nil {
		return nil, err
	}
	return env.Request, nil
}

// The package documentation's plugin, run natively through Handle as the
// wasm shape export runs it: a request, then a refusal.
func Example() {
	fmt.Println(string(shapekit.Handle(shape, []byte(`{"abi":1,"context":{"org":{"myDomain":"acme"}},"request":{"externalSessionKey":"k1"}}`))))
	fmt.Println(string(shapekit.Handle(shape, []byte(`{"abi":1,"context":{},"request":{}}`))))
	// Output:
	// {"request":{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}}
	// {"error":{"code":"no_my_domain","message":"context.org.myDomain is empty: pass the org's My Domain name, e.g. acme"}}
}

// TestDocShowsTheExample: the shape function in the package documentation
// (doc.go) is this file's, which Example compiles and runs, so the
// documentation cannot drift from code that works.
func TestDocShowsTheExample(t *testing.T) {
	fset := token.NewFileSet()
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(fset, "example_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "shape" {
			code = string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, line := range strings.Split(string(doc), "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			shown = append(shown, rest)
		} else if line == "//" {
			shown = append(shown, "")
		}
	}
	if code == "" || !strings.Contains(strings.Join(shown, "\n"), code) {
		t.Fatalf("doc.go does not show example_test.go's shape function; copy it into the package documentation:\n%s", code)
	}
}
