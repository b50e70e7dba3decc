#!/usr/bin/env bash
# The demo: starts the local platform, installs the provider into a local
# filesystem mirror (through a generated CLI config, never ~/.terraformrc),
# applies examples/quickstart, and shows that a second plan changes nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
cache="${MC_CACHE_DIR:-$HOME/.cache/mc-sandbox}"
state="${MC_SANDBOX_DIR:-$cache/state}"
step() { printf '\n==> %s\n' "$*"; }

step "Starting the local platform (state in $state)"
"$bin/mc-sandbox" up --state-dir "$state"
# shellcheck disable=SC1091
source "$state/env"

step "Installing the provider into a local filesystem mirror"
version=0.1.0
os_arch="$(go env GOOS)_$(go env GOARCH)"
tfdir="$cache/terraform"
plugin_dir="$tfdir/plugins/registry.terraform.io/mcplatform/mc/$version/$os_arch"
mkdir -p "$plugin_dir"
quickstart="$root/examples/quickstart"
if ! cmp -s "$bin/terraform-provider-mc" "$plugin_dir/terraform-provider-mc_v$version"; then
  cp "$bin/terraform-provider-mc" "$plugin_dir/terraform-provider-mc_v$version"
  # A rebuilt provider has another checksum than the one locked before.
  rm -f "$quickstart/.terraform.lock.hcl"
fi
cat >"$tfdir/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$tfdir/plugins"
    include = ["registry.terraform.io/mcplatform/mc"]
  }
  direct {
    exclude = ["registry.terraform.io/mcplatform/mc"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$tfdir/terraformrc"
export TF_IN_AUTOMATION=1

step "Seeding the site's GitOps repository on the local git server"
"$bin/mc-sandbox" git-repo --state-dir "$state" --name platform-gitops --from "$quickstart/gitops"
export TF_VAR_gitops_repo_url="$MC_SANDBOX_GIT_URL/platform-gitops.git"
export TF_VAR_gitops_username="$MC_SANDBOX_GIT_USERNAME"
export TF_VAR_gitops_password="$MC_SANDBOX_GIT_PASSWORD"

step "Pushing an image built at site B into its registry"
"$bin/mc-sandbox" push-image --state-dir "$state" --site site-b --image library/demo:v1
export TF_VAR_harbor_a_url="$MC_SANDBOX_HARBOR_A_URL"
export TF_VAR_harbor_b_url="$MC_SANDBOX_HARBOR_B_URL"
export TF_VAR_harbor_username="$MC_SANDBOX_HARBOR_USERNAME"
export TF_VAR_harbor_password="$MC_SANDBOX_HARBOR_PASSWORD"
export TF_VAR_workload_server="$MC_SANDBOX_WORKLOAD_SERVER"
export TF_VAR_workload_ca_file="$MC_SANDBOX_WORKLOAD_CA_FILE"
export TF_VAR_workload_token="$MC_SANDBOX_WORKLOAD_TOKEN"
# The platform's Bitbucket and Jira, for mc_project.
export MC_BITBUCKET_URL="$MC_SANDBOX_BITBUCKET_URL" MC_BITBUCKET_USERNAME="$MC_SANDBOX_BITBUCKET_USERNAME" MC_BITBUCKET_TOKEN="$MC_SANDBOX_BITBUCKET_PASSWORD"
export MC_JIRA_URL="$MC_SANDBOX_JIRA_URL" MC_JIRA_EMAIL="$MC_SANDBOX_JIRA_EMAIL" MC_JIRA_API_TOKEN="$MC_SANDBOX_JIRA_API_TOKEN"
export TF_VAR_bitbucket_workspace="$MC_SANDBOX_BITBUCKET_WORKSPACE"
# The Go service templates the sandbox seeds in its Bitbucket, for mc_application.
export TF_VAR_template_source_repo="$MC_SANDBOX_TEMPLATE_SOURCE_REPO" TF_VAR_template_yaml_repo="$MC_SANDBOX_TEMPLATE_YAML_REPO"

# A state left by a demo against an earlier platform (stopped since) names
# objects that are gone: start from an empty state on a new platform. The env
# file differs per platform (its ports are chosen at start).
platform_id=$(sha256sum "$state/env" | cut -c1-16)
if [ -f "$quickstart/terraform.tfstate" ] && [ "$(cat "$quickstart/.demo-platform" 2>/dev/null)" != "$platform_id" ]; then
  step "Forgetting the Terraform state of an earlier platform"
  rm -f "$quickstart/terraform.tfstate" "$quickstart/terraform.tfstate.backup"
fi
echo "$platform_id" >"$quickstart/.demo-platform"

step "Starting a webhook receiver for the quickstart's notification channel"
# Its key is fixed per platform, and the URL's version follows the URL (its
# port is chosen at start), so a second demo on the same platform writes the
# new URL and a second plan still changes nothing.
notices="$state/demo-notices.jsonl"
url_file="$state/demo-webhook-url"
rm -f "$notices" "$url_file"
export TF_VAR_notify_hmac_secret="demo-$platform_id"
MC_SANDBOX_WEBHOOK_HMAC="$TF_VAR_notify_hmac_secret" "$bin/mc-sandbox" webhook-receiver --out "$notices" --url-file "$url_file" \
  >"$state/logs/demo-webhook-receiver.log" 2>&1 &
receiver_pid=$!
trap 'kill "$receiver_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$url_file" ] && break
  kill -0 "$receiver_pid" 2>/dev/null || { echo "demo: the webhook receiver did not start (see $state/logs/demo-webhook-receiver.log)" >&2; exit 1; }
  sleep 0.1
done
TF_VAR_notify_webhook_url="$(cat "$url_file")"
TF_VAR_notify_webhook_url_version="$(printf %s "$TF_VAR_notify_webhook_url" | cksum | cut -d' ' -f1)"
export TF_VAR_notify_webhook_url TF_VAR_notify_webhook_url_version
fresh_state=0
[ -f "$quickstart/terraform.tfstate" ] || fresh_state=1

cd "$quickstart"
step "terraform init"
terraform init -input=false
step "terraform apply"
terraform apply -input=false -auto-approve
step "terraform plan (a second plan must change nothing)"
set +e
terraform plan -input=false -detailed-exitcode
code=$?
set -e
case $code in
  0) echo "No changes: the estate matches the configuration." ;;
  2) echo "demo: the second plan wants changes: that is a bug" >&2; exit 1 ;;
  *) exit $code ;;
esac

step "The image replicated to the hub (site A)"
accept='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
for site in B A; do
  registry_var="MC_SANDBOX_HARBOR_${site}_REGISTRY"
  digest=$(curl -fsSI -H "Accept: $accept" "${!registry_var}/v2/library/demo/manifests/v1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
  echo "  site $site: library/demo:v1 @ ${digest:-MISSING}"
  [ -n "$digest" ] || { echo "demo: library/demo:v1 is missing at site $site" >&2; exit 1; }
  [ "$site" = B ] && pushed=$digest
done
[ "$digest" = "$pushed" ] || { echo "demo: the hub has another digest than site B" >&2; exit 1; }

step "The workload cluster at site B"
terraform output -json cluster
terraform output -json cluster | grep -q '"ready":true' || { echo "demo: the cluster is not ready" >&2; exit 1; }

step "The existing cluster registered in site B's Argo CD"
terraform output -json brownfield
terraform output -json brownfield | grep -q '"kubernetes_version":"v' || { echo "demo: the registered cluster does not answer" >&2; exit 1; }

step "The shop application's repositories"
terraform output -json application
terraform output -json application | grep -q '"source_initial_commit":"[0-9a-f]\{40\}"' || { echo "demo: the application has no first commit" >&2; exit 1; }

step "The shop application deployed to the registered cluster by Argo CD"
terraform output -json deployment
terraform output -json deployment | grep -q '"health_status":"Healthy"' || { echo "demo: the deployment is not Healthy" >&2; exit 1; }
kubectl --kubeconfig "$MC_SANDBOX_WORKLOAD_KUBECONFIG" -n shop wait --for=condition=Available --timeout=60s deployment/shop
kubectl --kubeconfig "$MC_SANDBOX_WORKLOAD_KUBECONFIG" -n shop get deployment/shop -o wide

step "Notices the webhook receiver got (signed, from the GitOps resources' waits)"
cat "$notices" 2>/dev/null || true
# A first apply creates both GitOps resources, and each sends one
# sync_succeeded; a second demo on the same platform changes nothing and
# sends none.
if [ "$fresh_state" = 1 ]; then
  for kind in mc_helm_release mc_application_deployment; do
    n=$(grep '"event":"sync_succeeded"' "$notices" | grep -c "\"kind\":\"$kind\"" || true)
    [ "$n" = 1 ] || { echo "demo: the receiver got $n sync_succeeded notices of $kind, want 1" >&2; exit 1; }
  done
fi

cat <<DONE

The local platform is running.
  kubeconfig:     $MC_KUBECONFIG   (kubectl --kubeconfig $MC_KUBECONFIG get secrets -n $MC_NAMESPACE)
  environment:    source $state/env
  Argo CD:        $MC_SANDBOX_ARGOCD_URL
  stop it with:   $bin/mc-sandbox down --state-dir $state   (or: make down)
DONE
