package controller

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// secretValue reads the value selected by ref. secrets should be an
// uncached reader so that the controller neither watches nor caches every
// Secret of the cluster.
func secretValue(ctx context.Context, secrets client.Reader, ref v1alpha1.SecretKeySelector) (string, error) {
	var secret corev1.Secret
	if err := secrets.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &secret); err != nil {
		return "", fmt.Errorf("cannot get secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	value, ok := secret.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("secret %s/%s has no key %q", ref.Namespace, ref.Name, ref.Key)
	}
	return string(value), nil
}

// SecretVersion is the stable version of a secret value that the engine
// stores instead of the value: FNV-64a of the value, masked to a
// non-negative int64. A changed Secret changes the version, which the
// engine reports as drift, so the controller updates the external resource.
func SecretVersion(value string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(value))
	return int64(h.Sum64() & math.MaxInt64)
}
