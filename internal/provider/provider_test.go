//go:build platform

package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestMain runs the acceptance tests against the sandbox platform. The
// build tag platform already asks for them, so they run without TF_ACC=1
// too instead of skipping, with the terraform CLI on PATH unless
// TF_ACC_TERRAFORM_PATH names one.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		_ = os.Setenv("TF_ACC", "1")
	}
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if path, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", path)
		}
	}
	sandboxtest.Main(m)
}

// protoV6ProviderFactories serves the provider in-process to the real
// terraform CLI that terraform-plugin-testing drives.
var protoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"mc": providerserver.NewProtocol6WithError(New("test")()),
}

// providerBlock configures the provider for the shared sandbox platform.
func providerBlock(p *sandbox.Platform) string {
	return fmt.Sprintf(`
provider "mc" {
  kubeconfig_path = %q
  namespace       = %q
}
`, p.KubeconfigPath, p.Namespace)
}

// platformClients returns a clientset for the sandbox platform.
func platformClients(t *testing.T, p *sandbox.Platform) kubernetes.Interface {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatalf("RESTConfig() error = %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("NewForConfig() error = %v", err)
	}
	return cs
}

// gitRepo creates a repository on the sandbox git server holding one
// ConfigMap manifest under path.
func gitRepo(t testing.TB, p *sandbox.Platform, name, path string) string {
	t.Helper()
	url, err := p.CreateGitRepo(context.Background(), name, map[string]string{
		path + "/configmap.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-marker\n  namespace: default\ndata:\n  site: %s\n", name, name),
	})
	if err != nil {
		t.Fatalf("CreateGitRepo(%q) error = %v", name, err)
	}
	return url
}
