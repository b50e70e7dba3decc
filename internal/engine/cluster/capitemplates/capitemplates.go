// Package capitemplates reads Cluster API's own cluster templates and
// ClusterClasses, exactly as they ship in the sigs.k8s.io/cluster-api/test
// module (test/infrastructure/docker/templates), and applies them to a
// management cluster with their variables substituted the way clusterctl
// does. Tests use it to make topology clusters the way a new user would.
package capitemplates

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// Module is the Cluster API test module whose templates are read; its
// version is the Cluster API version the sandbox runs.
const Module = "sigs.k8s.io/cluster-api/test@v1.14.2"

// The templates of CAPD's in-memory backend.
const (
	// InMemoryClusterClass is the in-memory ClusterClass "in-memory" and
	// its templates (no variables).
	InMemoryClusterClass = "infrastructure/docker/templates/clusterclass-in-memory.yaml"
	// InMemoryClusterTemplate is a topology Cluster of InMemoryClusterClass,
	// with the variables CLUSTER_NAME, NAMESPACE, KUBERNETES_VERSION,
	// CONTROL_PLANE_MACHINE_COUNT and WORKER_MACHINE_COUNT.
	InMemoryClusterTemplate = "infrastructure/docker/templates/cluster-template-in-memory.yaml"
)

// Dir is the directory of Module in the module cache, downloaded when
// missing (the test plane build downloads it too).
func Dir() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", Module)
	cmd.Dir = os.TempDir() // outside any module: go.mod and go.sum stay as they are
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cannot download %s: %v: %s", Module, err, stderr.String())
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		return "", fmt.Errorf("cannot read go mod download's answer for %s: %w", Module, err)
	}
	if m.Dir == "" {
		return "", fmt.Errorf("cannot download %s: %s", Module, m.Error)
	}
	return m.Dir, nil
}

// variable is clusterctl's variable syntax: ${NAME} or ${NAME:=default}.
var variable = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}`)

// Substitute replaces the variables of a template by vars, or by their
// defaults; a variable with neither is an error naming it.
func Substitute(template []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	out := variable.ReplaceAllFunc(template, func(m []byte) []byte {
		parts := variable.FindSubmatch(m)
		if v, ok := vars[string(parts[1])]; ok {
			return []byte(v)
		}
		if bytes.Contains(m, []byte(":=")) {
			return parts[2]
		}
		missing = append(missing, string(parts[1]))
		return m
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("template variables without a value: %v", missing)
	}
	return out, nil
}

// Read reads the template at path (one of the constants) from Module and
// substitutes vars.
func Read(path string, vars map[string]string) ([]*unstructured.Unstructured, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return nil, err
	}
	text, err := Substitute(raw, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var objs []*unstructured.Unstructured
	for _, doc := range bytes.Split(text, []byte("\n---")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs, nil
}

// Apply creates objs in namespace ns with strict field validation; objects
// that exist are left as they are.
func Apply(ctx context.Context, dc dynamic.Interface, ns string, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, u := range objs {
		gvr, _ := meta.UnsafeGuessKindToResource(u.GroupVersionKind())
		u.SetNamespace(ns)
		_, err := dc.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			errs = append(errs, fmt.Errorf("cannot create %s %s/%s: %w", u.GetKind(), ns, u.GetName(), err))
		}
	}
	return errors.Join(errs...)
}
