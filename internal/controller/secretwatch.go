package controller

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// SecretReferencer is implemented by adapters whose kind reads Secrets
// named in its spec (credentials, passwords). The controller then watches
// the metadata of Secrets and reconciles a managed resource as soon as a
// Secret it references changes, instead of at its next poll.
type SecretReferencer interface {
	// ReferencedSecrets returns the Secrets mg's spec names.
	ReferencedSecrets(mg Managed) []types.NamespacedName
}

// RecordKeeper is implemented by adapters whose kind keeps its external
// resource in a Secret of the platform plane (a site's record). The
// controller then reconciles the managed resource as soon as that Secret
// changes, from the Secret metadata it watches anyway, so that a change
// made outside (a drift) is corrected within a second instead of at the
// next poll.
type RecordKeeper interface {
	// RecordOf returns the external name of the resource whose record
	// secret is, and whether secret is such a record.
	RecordOf(secret client.Object) (externalName string, ok bool)
}

// externalNameIndex is the field index of managed resources by their
// external name.
const externalNameIndex = "mc.mcplatform.dev/external-name"

// referencedSecretsIndex is the field index of managed resources by the
// "<namespace>/<name>" of each Secret they reference.
const referencedSecretsIndex = "mc.mcplatform.dev/referenced-secrets"

// watchSecrets makes the controller b builds reconcile the managed
// resources of r whose connection Secret, or (when r's adapter is a
// SecretReferencer) a referenced Secret, changes. Only the metadata of
// Secrets is watched and cached, never their data. newList returns an
// empty list of the managed kind.
func watchSecrets[S, O any](mgr ctrl.Manager, b *builder.Builder, r *Reconciler[S, O], newList func() client.ObjectList) (*builder.Builder, error) {
	owner, err := apiutil.GVKForObject(r.newManaged(), mgr.GetScheme())
	if err != nil {
		return nil, fmt.Errorf("cannot tell the kind of the managed resources: %w", err)
	}
	referencer, references := r.adapter.(SecretReferencer)
	_, publishes := r.adapter.(ConnectionPublisher[S, O])
	keeper, keeps := r.adapter.(RecordKeeper)
	if !references && !publishes && !keeps {
		return b, nil
	}
	if keeps {
		err := mgr.GetFieldIndexer().IndexField(context.Background(), r.newManaged(), externalNameIndex, func(o client.Object) []string {
			return []string{ExternalName(o)}
		})
		if err != nil {
			return nil, fmt.Errorf("cannot index %s by external name: %w", owner.Kind, err)
		}
	}
	if references {
		err := mgr.GetFieldIndexer().IndexField(context.Background(), r.newManaged(), referencedSecretsIndex, referencedSecretKeys(referencer))
		if err != nil {
			return nil, fmt.Errorf("cannot index %s by referenced Secrets: %w", owner.Kind, err)
		}
	}
	w := secretWatch{kube: mgr.GetClient(), owner: owner, publishes: publishes, references: references, records: keeper, newList: newList}
	return b.WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(w.requests)), nil
}

// secretWatch maps a changed Secret to the managed resources to reconcile.
type secretWatch struct {
	// kube lists managed resources by the referencedSecretsIndex.
	kube client.Reader
	// owner is the kind of the managed resources.
	owner schema.GroupVersionKind
	// publishes tells whether the kind publishes connection Secrets, and
	// references whether it reads Secrets its spec names.
	publishes, references bool
	// records, when set, tells the records of the kind's external
	// resources.
	records RecordKeeper
	newList func() client.ObjectList
}

// requests returns the managed resource that controls secret, if the kind
// publishes connection Secrets, and those whose spec references it.
func (w secretWatch) requests(ctx context.Context, secret client.Object) []reconcile.Request {
	var requests []reconcile.Request
	if ref := metav1.GetControllerOf(secret); ref != nil && w.publishes {
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil && gv.Group == w.owner.Group && ref.Kind == w.owner.Kind {
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: ref.Name}})
		}
	}
	key := types.NamespacedName{Namespace: secret.GetNamespace(), Name: secret.GetName()}.String()
	if w.records != nil {
		if name, ok := w.records.RecordOf(secret); ok {
			requests = w.appendListed(ctx, requests, client.MatchingFields{externalNameIndex: name}, "secret", key)
		}
	}
	if w.references {
		requests = w.appendListed(ctx, requests, client.MatchingFields{referencedSecretsIndex: key}, "secret", key)
	}
	return requests
}

// appendListed appends to requests the managed resources that match, from
// the cache.
func (w secretWatch) appendListed(ctx context.Context, requests []reconcile.Request, match client.MatchingFields, logKeysAndValues ...any) []reconcile.Request {
	list := w.newList()
	if err := w.kube.List(ctx, list, match); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "cannot list the managed resources a Secret concerns", logKeysAndValues...)
		return requests
	}
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok {
			req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)}
			if !slices.Contains(requests, req) {
				requests = append(requests, req)
			}
		}
		return nil
	})
	return requests
}

// referencedSecretKeys is the index function of referencedSecretsIndex.
func referencedSecretKeys(referencer SecretReferencer) client.IndexerFunc {
	return func(o client.Object) []string {
		mg, ok := o.(Managed)
		if !ok {
			return nil
		}
		var keys []string
		for _, s := range referencer.ReferencedSecrets(mg) {
			keys = append(keys, s.String())
		}
		return keys
	}
}
