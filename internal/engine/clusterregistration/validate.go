package clusterregistration

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ParseID splits "<site>/<name>".
func ParseID(id string) (site, name string, err error) {
	site, name, ok := strings.Cut(id, "/")
	if !ok || site == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not <site>/<name>", id)
	}
	return site, name, nil
}

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined. A missing
// token is not checked here: an Update may keep the registered one.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks of unknown arguments are skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if err := registry.ValidateName(s.Site); err != nil {
		v.Add("site", "%v", err)
	}
	if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
		v.Add("name", "%q is not a valid cluster name: %s", s.Name, strings.Join(errs, "; "))
	}
	if err := engine.CheckURL(s.Server, engine.KubernetesAPI); err != nil {
		v.Add("server", "%v", err)
	}
	if s.CACertificate != "" {
		if err := validatePEM(s.CACertificate); err != nil {
			v.Add("ca_certificate", "%v", err)
		}
	}
	if s.TokenVersion < 0 {
		v.Add("token_version", "%d is negative", s.TokenVersion)
	}
	seen := map[string]int{}
	for i, ns := range s.Namespaces {
		at := fmt.Sprintf("namespaces[%d]", i)
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			v.Add(at, "%q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		} else if j, dup := seen[ns]; dup {
			v.Add(at, "namespace %q is already listed as namespaces[%d]", ns, j)
		}
		seen[ns] = i
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.Add("labels", "label key %q is invalid: %s", k, strings.Join(errs, "; "))
		} else if ownedLabel(k) {
			v.Add("labels", "label key %q is reserved for the provider and Argo CD", k)
		}
		if errs := validation.IsValidLabelValue(s.Labels[k]); len(errs) > 0 {
			v.Add("labels", "label value %q of %q is invalid: %s", s.Labels[k], k, strings.Join(errs, "; "))
		}
	}
	return v.Err()
}

// validatePEM checks that pemText holds at least one certificate and
// nothing else.
func validatePEM(pemText string) error {
	rest := []byte(pemText)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a PEM block of type %q, want only CERTIFICATE", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", n+1, err)
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("is not a PEM-encoded certificate bundle")
	}
	return nil
}

// ownedLabel reports whether label key is set by the engine or Argo CD,
// not by the user.
func ownedLabel(key string) bool {
	return strings.HasPrefix(key, "mc.mcplatform.dev/") || key == registry.LabelManagedBy ||
		key == kube.LabelArgoCDSecretType || kube.IsArgoCDLabel(key)
}

// userLabels returns the labels of l that the user set.
func userLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if !ownedLabel(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
