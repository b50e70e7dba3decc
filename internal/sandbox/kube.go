package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// apiReady checks the apiserver's /readyz.
func apiReady(ctx context.Context, cfg *rest.Config) error {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	return httpOK(ctx, c, cfg.Host+"/readyz")
}

// readCRDs reads every CustomResourceDefinition in the yaml files of dir.
func readCRDs(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("cannot parse %s: %w", f, err)
			}
			u := &unstructured.Unstructured{Object: m}
			if m == nil || u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CRDs found in %s", dir)
	}
	return out, nil
}

// applyCRDs creates (or updates) crds and waits until all are Established.
func applyCRDs(ctx context.Context, dyn dynamic.Interface, crds []*unstructured.Unstructured, labels map[string]string) error {
	for _, u := range crds {
		if len(labels) > 0 {
			l := u.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			for k, v := range labels {
				l[k] = v
			}
			u.SetLabels(l)
		}
		// Create rather than server-side apply: the Argo CD CRDs are large and
		// SSA's field tracking over them costs seconds of apiserver CPU.
		_, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{FieldManager: "mc-sandbox"})
		if apierrors.IsAlreadyExists(err) {
			var cur *unstructured.Unstructured
			if cur, err = dyn.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
				u.SetResourceVersion(cur.GetResourceVersion())
				_, err = dyn.Resource(crdGVR).Update(ctx, u, metav1.UpdateOptions{FieldManager: "mc-sandbox"})
			}
		}
		if err != nil {
			return fmt.Errorf("cannot install CRD %s: %w", u.GetName(), err)
		}
	}
	for _, u := range crds {
		name := u.GetName()
		// Minutes, not seconds: on a loaded 2-core machine the apiserver
		// takes more than a minute to establish the large Argo CD and
		// Cluster API CRDs.
		err := waitFor(ctx, "CRD "+name+" to be established", 180e9, func(ctx context.Context) error {
			got, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == string(apiextensionsv1.Established) && m["status"] == "True" {
					return nil
				}
			}
			return errors.New("not established yet")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ignoreExists turns AlreadyExists into success.
func ignoreExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
