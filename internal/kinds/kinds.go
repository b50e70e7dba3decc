// Package kinds is the one list of the kinds of resource the project
// manages. The Terraform provider and mc-controller each serve exactly these
// kinds, and their tests hold them to the list: a kind's Terraform type, its
// Kubernetes kind and the arguments whose change forces a new resource are
// written here once.
package kinds

import (
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cirun"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// Kind describes one kind of resource to both front-ends.
type Kind struct {
	// Name is the kind's engine package name, and its key in the
	// front-ends' tables.
	Name string
	// TerraformType is the Terraform resource type, such as mc_cluster.
	TerraformType string
	// CRDKind is the Kubernetes kind in mc.mcplatform.dev/v1alpha1, such
	// as Cluster.
	CRDKind string
	// ReplaceFields are the arguments, as snake_case dotted paths, whose
	// change needs a new resource: RequiresReplace in Terraform, an
	// immutable field (or metadata.name) on the Kubernetes kind.
	ReplaceFields []string
}

// All is every kind, in the order the front-ends list them.
var All = []Kind{
	{Name: "site", TerraformType: "mc_site", CRDKind: "Site", ReplaceFields: site.ReplaceFields},
	{Name: "imagereplication", TerraformType: "mc_image_replication", CRDKind: "ImageReplication", ReplaceFields: imagereplication.ReplaceFields},
	{Name: "cluster", TerraformType: "mc_cluster", CRDKind: "Cluster", ReplaceFields: cluster.ReplaceFields},
	{Name: "clusterregistration", TerraformType: "mc_cluster_registration", CRDKind: "ClusterRegistration", ReplaceFields: clusterregistration.ReplaceFields},
	{Name: "project", TerraformType: "mc_project", CRDKind: "Project", ReplaceFields: project.ReplaceFields},
	{Name: "projectmember", TerraformType: "mc_project_member", CRDKind: "ProjectMember", ReplaceFields: projectmember.ReplaceFields},
	{Name: "application", TerraformType: "mc_application", CRDKind: "GitOpsApplication", ReplaceFields: application.ReplaceFields},
	{Name: "applicationdeployment", TerraformType: "mc_application_deployment", CRDKind: "ApplicationDeployment", ReplaceFields: applicationdeployment.ReplaceFields},
	{Name: "helmrelease", TerraformType: "mc_helm_release", CRDKind: "HelmRelease", ReplaceFields: helmrelease.ReplaceFields},
	{Name: "notificationchannel", TerraformType: "mc_notification_channel", CRDKind: "NotificationChannel", ReplaceFields: notificationchannel.ReplaceFields},
	{Name: "cirun", TerraformType: "mc_ci_run", CRDKind: "CIRun", ReplaceFields: cirun.ReplaceFields},
}
