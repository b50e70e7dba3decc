package applicationdeployment

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

var (
	// imageRepository is a container image repository (a registry host
	// and a path of lower-case components).
	imageRepository = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	imageTag        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	imageDigest     = regexp.MustCompile(`^[a-z0-9]+([+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$`)
)

// Validate checks a spec without talking to any backend; every error names
// its argument, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks of unknown arguments are skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if v.Known("notify") {
		for _, name := range s.Notify {
			if _, err := notificationchannel.ParseID(name); err != nil {
				v.Add("notify", "%v", err)
			}
		}
	}
	if _, _, err := SplitApplication(s.Application); err != nil {
		v.Add("application", "%v", err)
	} else if _, name, _ := SplitApplication(s.Application); len(validation.IsDNS1123Label(strings.ToLower(name))) > 0 {
		v.Add("application", "%q: the application name must be a DNS-1123 label, it names the Deployment", s.Application)
	}
	if err := registry.ValidateName(s.Site); err != nil {
		v.Add("site", "%v", err)
	}
	if errs := validation.IsDNS1123Label(s.Cluster); len(errs) > 0 {
		v.Add("cluster", "%q is not an Argo CD cluster name: %s", s.Cluster, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		v.Add("namespace", "%q is not a namespace name: %s", s.Namespace, strings.Join(errs, "; "))
	}
	if !imageRepository.MatchString(s.Image.Repository) {
		v.Add("image.repository", "%q is not an image repository", s.Image.Repository)
	}
	if v.Known("image.tag", "image.digest") {
		switch {
		case s.Image.Tag != "" && s.Image.Digest != "":
			v.Add("image.digest", "set either tag or digest, not both: a digest names the image by itself")
		case s.Image.Tag == "" && s.Image.Digest == "":
			v.Add("image.tag", "set exactly one of tag and digest")
		case s.Image.Tag != "" && !imageTag.MatchString(s.Image.Tag):
			v.Add("image.tag", "%q is not an image tag", s.Image.Tag)
		case s.Image.Digest != "" && !imageDigest.MatchString(s.Image.Digest):
			v.Add("image.digest", "%q is not an image digest such as sha256:<hex>", s.Image.Digest)
		}
	}
	p := s.SyncPolicy
	if !p.Automated && v.Known("sync_policy.automated") {
		if p.Prune {
			v.Add("sync_policy.prune", "prune applies to automated sync only: set automated = true, or drop prune")
		}
		if p.SelfHeal {
			v.Add("sync_policy.self_heal", "self_heal applies to automated sync only: set automated = true, or drop self_heal")
		}
	}
	seen := map[string]int{}
	for i, o := range p.SyncOptions {
		at := fmt.Sprintf("sync_policy.sync_options[%d]", i)
		k, _, ok := strings.Cut(o, "=")
		if !ok || k == "" || strings.TrimSpace(o) != o {
			v.Add(at, "%q is not a sync option such as CreateNamespace=true", o)
			continue
		}
		if j, dup := seen[k]; dup {
			v.Add(at, "option %s is already set by sync_policy.sync_options[%d]", k, j)
		}
		seen[k] = i
	}
	if r := p.Retry; r != nil {
		if r.Limit < 0 {
			v.Add("sync_policy.retry.limit", "%d is negative", r.Limit)
		}
		for path, d := range map[string]string{"sync_policy.retry.backoff_duration": r.BackoffDuration, "sync_policy.retry.backoff_max_duration": r.BackoffMaxDuration} {
			if d == "" {
				continue
			}
			if dur, err := time.ParseDuration(d); err != nil {
				v.Add(path, "%q is not a duration such as 5s or 3m", d)
			} else if dur <= 0 {
				v.Add(path, "%q is not positive", d)
			}
		}
		if r.BackoffFactor < 0 {
			v.Add("sync_policy.retry.backoff_factor", "%d is negative", r.BackoffFactor)
		}
	}
	return v.Err()
}
