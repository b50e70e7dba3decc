package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// byohCRDFiles are the CRDs of Cluster API's "bring your own host"
// infrastructure provider (BYOH), written for this project from BYOH's
// published v1beta1 API (its Go module is not on the module proxy). See
// crds/byoh/README.md.
//
//go:embed crds/byoh/*.yaml
var byohCRDFiles embed.FS

// annotationCRDDigest records the digest of the manifest a CRD was
// installed from, so that Up can tell a current CRD from an outdated one
// without comparing schemas.
const annotationCRDDigest = "mc.mcplatform.dev/manifest-digest"

// BYOHCRDNames returns the names of the BYOH CRDs the sandbox installs, such
// as byoclusters.infrastructure.cluster.x-k8s.io.
func BYOHCRDNames() ([]string, error) {
	crds, err := byohCRDs()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(crds))
	for i, u := range crds {
		names[i] = u.GetName()
	}
	return names, nil
}

// byohCRDs parses the embedded BYOH CRDs, each annotated with the digest of
// its file.
func byohCRDs() ([]*unstructured.Unstructured, error) {
	files, err := fs.Glob(byohCRDFiles, "crds/byoh/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("cannot list the BYOH CRDs: %w", err)
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := byohCRDFiles.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		sum := sha256.Sum256(b)
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("cannot parse %s: %w", path.Base(f), err)
			}
			if m == nil {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GetKind() != "CustomResourceDefinition" {
				return nil, fmt.Errorf("cannot use %s: it holds a %s, not a CustomResourceDefinition", path.Base(f), u.GetKind())
			}
			a := u.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a[annotationCRDDigest] = hex.EncodeToString(sum[:])
			u.SetAnnotations(a)
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("cannot find the BYOH CRDs: none embedded")
	}
	return out, nil
}

// installBYOHCRDs creates the BYOH CRDs, or updates those installed from an
// older manifest, and waits until they are established. CRDs that are
// current are left alone, so that it is cheap on a running platform.
func installBYOHCRDs(ctx context.Context, dyn dynamic.Interface) error {
	crds, err := byohCRDs()
	if err != nil {
		return err
	}
	var todo []*unstructured.Unstructured
	for _, u := range crds {
		cur, err := dyn.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			todo = append(todo, u)
		case err != nil:
			return fmt.Errorf("cannot read CRD %s: %w", u.GetName(), err)
		case cur.GetAnnotations()[annotationCRDDigest] != u.GetAnnotations()[annotationCRDDigest] || !established(cur):
			todo = append(todo, u)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := applyCRDs(ctx, dyn, todo, nil); err != nil {
		return fmt.Errorf("cannot install the BYOH CRDs: %w", err)
	}
	return nil
}

// established reports whether a CRD has the condition Established=True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// ensureBYOHCRDs installs the BYOH CRDs into a running platform that
// predates them (or has older ones).
func (p *Platform) ensureBYOHCRDs(ctx context.Context) error {
	cfg, err := p.RESTConfig()
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("cannot create a client of the sandbox apiserver: %w", err)
	}
	return installBYOHCRDs(ctx, dyn)
}
