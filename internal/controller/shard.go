package controller

import (
	"fmt"
	"reflect"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// DefaultLeaderElectionID is the name of the Lease the replicas of an
// unsharded mc-controller elect their leader with.
const DefaultLeaderElectionID = "mc-controller." + v1alpha1.Group

// ShardLeaderElectionID is the Lease name of the replicas of the shard
// shard: each shard elects its own leader, so that the Deployments of two
// shards both reconcile. An empty shard gives DefaultLeaderElectionID.
func ShardLeaderElectionID(shard string) string {
	if shard == "" {
		return DefaultLeaderElectionID
	}
	return "mc-controller-" + shard + "." + v1alpha1.Group
}

// ValidateShard reports whether shard can be the value of the label
// v1alpha1.LabelShard.
func ValidateShard(shard string) error {
	if shard == "" {
		return nil
	}
	if errs := validation.IsValidLabelValue(shard); len(errs) > 0 {
		return fmt.Errorf("shard %q is not a valid label value: %s", shard, errs[0])
	}
	return nil
}

// ShardCacheOptions returns the cache options of a manager that reconciles
// only the managed resources of shard: the cache, and with it every watch
// of a managed kind known to scheme, holds only the objects labelled
// v1alpha1.LabelShard=shard. ProviderConfigs and Secrets stay unfiltered:
// the resources of every shard share them. An empty shard returns
// options that filter nothing.
func ShardCacheOptions(scheme *runtime.Scheme, shard string) (cache.Options, error) {
	if err := ValidateShard(shard); err != nil {
		return cache.Options{}, err
	}
	if shard == "" {
		return cache.Options{}, nil
	}
	selector := labels.SelectorFromSet(labels.Set{v1alpha1.LabelShard: shard})
	byObject := map[client.Object]cache.ByObject{}
	for _, obj := range managedKinds(scheme) {
		byObject[obj] = cache.ByObject{Label: selector}
	}
	return cache.Options{ByObject: byObject}, nil
}

// managedKinds returns an empty object of every managed kind of the
// mc.mcplatform.dev API registered in scheme, in the order of their names.
func managedKinds(scheme *runtime.Scheme) []Managed {
	types := scheme.KnownTypes(v1alpha1.GroupVersion)
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Managed
	for _, name := range names {
		t := types[name]
		if t.Kind() != reflect.Struct {
			continue
		}
		if mg, ok := reflect.New(t).Interface().(Managed); ok {
			out = append(out, mg)
		}
	}
	return out
}
