package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/mcplatform/terraform-provider-mc/internal/kinds"
)

// resourcesByKind is the Terraform resource of each kind of kinds.All.
var resourcesByKind = map[string]func() resource.Resource{
	"site":                  NewSiteResource,
	"imagereplication":      NewImageReplicationResource,
	"cluster":               NewClusterResource,
	"clusterregistration":   NewClusterRegistrationResource,
	"project":               NewProjectResource,
	"projectmember":         NewProjectMemberResource,
	"application":           NewApplicationResource,
	"applicationdeployment": NewApplicationDeploymentResource,
	"helmrelease":           NewHelmReleaseResource,
	"notificationchannel":   NewNotificationChannelResource,
	"cirun":                 NewCIRunResource,
}

// kindResources returns the resources of kinds.All, in its order. A kind
// without a resource is a programming error that the tests catch.
func kindResources() []func() resource.Resource {
	out := make([]func() resource.Resource, 0, len(kinds.All))
	for _, k := range kinds.All {
		if r, ok := resourcesByKind[k.Name]; ok {
			out = append(out, r)
		}
	}
	return out
}
