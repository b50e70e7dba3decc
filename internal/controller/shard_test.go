package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/kinds"
)

func shardTestScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return scheme
}

func TestShardCacheOptionsFilterEveryManagedKind(t *testing.T) {
	scheme := shardTestScheme(t)
	opts, err := ShardCacheOptions(scheme, "eu-1")
	if err != nil {
		t.Fatalf("ShardCacheOptions() error = %v", err)
	}
	want := labels.SelectorFromSet(labels.Set{v1alpha1.LabelShard: "eu-1"}).String()
	got := map[string]string{}
	for obj, by := range opts.ByObject {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			t.Fatal(err)
		}
		got[gvk.Kind] = by.Label.String()
	}
	wantKinds := map[string]string{}
	for _, k := range kinds.All {
		wantKinds[k.CRDKind] = want
	}
	if diff := cmp.Diff(wantKinds, got); diff != "" {
		t.Errorf("label selectors by kind (-want +got):\n%s", diff)
	}
	if opts.DefaultLabelSelector != nil {
		t.Errorf("DefaultLabelSelector = %v, want none: ProviderConfigs and Secrets are shared by every shard", opts.DefaultLabelSelector)
	}
}

func TestShardCacheOptionsUnsharded(t *testing.T) {
	opts, err := ShardCacheOptions(shardTestScheme(t), "")
	if err != nil {
		t.Fatalf("ShardCacheOptions() error = %v", err)
	}
	if len(opts.ByObject) != 0 || opts.DefaultLabelSelector != nil {
		t.Errorf("ShardCacheOptions(\"\") = %+v, want options that filter nothing", opts)
	}
}

func TestShardCacheOptionsInvalidShard(t *testing.T) {
	for _, shard := range []string{"eu 1", "-eu", "a/b"} {
		if _, err := ShardCacheOptions(shardTestScheme(t), shard); err == nil {
			t.Errorf("ShardCacheOptions(%q) error = nil, want an invalid label value", shard)
		}
	}
}

func TestShardLeaderElectionID(t *testing.T) {
	tests := map[string]string{
		"":     "mc-controller.mc.mcplatform.dev",
		"eu-1": "mc-controller-eu-1.mc.mcplatform.dev",
	}
	for shard, want := range tests {
		if got := ShardLeaderElectionID(shard); got != want {
			t.Errorf("ShardLeaderElectionID(%q) = %q, want %q", shard, got, want)
		}
	}
}
