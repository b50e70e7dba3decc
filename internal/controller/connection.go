package controller

import (
	"bytes"
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// ConnectionPublisher is implemented by adapters whose kind has connection
// details, such as a cluster's kubeconfig. When the managed resource sets
// spec.writeConnectionSecretToRef, the reconciler writes them to that
// Secret once the external resource is Ready, updates the Secret when they
// change, and deletes it when the managed resource goes. The Secret is
// owned by the managed resource.
type ConnectionPublisher[S, O any] interface {
	// ConnectionDetails returns the connection details of the Ready
	// external resource id, read through external. Nil details mean none
	// are available yet: nothing is written. The values are credentials:
	// errors never quote them.
	ConnectionDetails(ctx context.Context, mg Managed, external engine.Client[S, O], id string) (map[string][]byte, error)
}

// publishConnectionDetails writes the connection details of external
// resource id to the Secret mg's writeConnectionSecretToRef names, when mg's
// adapter is a ConnectionPublisher and the reference is set.
func (r *Reconciler[S, O]) publishConnectionDetails(ctx context.Context, mg Managed, external engine.Client[S, O], id string) error {
	publisher, ok := r.adapter.(ConnectionPublisher[S, O])
	ref := mg.GetResourceSpec().WriteConnectionSecretToReference
	if !ok || ref == nil {
		return nil
	}
	details, err := publisher.ConnectionDetails(ctx, mg, external, id)
	if err != nil {
		return fmt.Errorf("cannot read the connection details of external resource %q: %w", id, err)
	}
	if details == nil {
		return nil
	}

	var secret corev1.Secret
	err = r.secrets.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
			Type:       corev1.SecretTypeOpaque,
			Data:       details,
		}
		if err := controllerutil.SetControllerReference(mg, &secret, r.kube.Scheme()); err != nil {
			return fmt.Errorf("cannot make %q the owner of Secret %s/%s: %w", mg.GetName(), ref.Namespace, ref.Name, err)
		}
		if err := r.kube.Create(ctx, &secret); err != nil {
			return fmt.Errorf("cannot create Secret %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("cannot get Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	if !metav1.IsControlledBy(&secret, mg) {
		return fmt.Errorf("the Secret %s/%s exists and is not owned by %q: name another Secret in spec.writeConnectionSecretToRef, or delete this one",
			ref.Namespace, ref.Name, mg.GetName())
	}
	if maps.EqualFunc(secret.Data, details, bytes.Equal) {
		return nil
	}
	secret.Data = details
	if err := r.kube.Update(ctx, &secret); err != nil {
		return fmt.Errorf("cannot update Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	return nil
}

// unpublishConnectionDetails deletes the Secret mg's
// writeConnectionSecretToRef names, if mg owns it. Owner references would
// have it garbage-collected too, but not on an API server without the
// garbage collector, and not before the managed resource is gone.
func (r *Reconciler[S, O]) unpublishConnectionDetails(ctx context.Context, mg Managed) error {
	if _, ok := r.adapter.(ConnectionPublisher[S, O]); !ok {
		return nil
	}
	ref := mg.GetResourceSpec().WriteConnectionSecretToReference
	if ref == nil {
		return nil
	}
	var secret corev1.Secret
	err := r.secrets.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &secret)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot get Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	if !metav1.IsControlledBy(&secret, mg) {
		return nil
	}
	err = r.kube.Delete(ctx, &secret, client.Preconditions{UID: &secret.UID})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	return nil
}
