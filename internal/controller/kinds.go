package controller

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/mcplatform/terraform-provider-mc/internal/kinds"
)

// kindController is what the controller has for one kind of kinds.All.
type kindController struct {
	// setup registers the kind's controller with a manager.
	setup func(ctrl.Manager, Options) error
	// fieldPaths names the kind's engine arguments as field paths of its
	// Kubernetes kind.
	fieldPaths FieldPathTranslator
}

// controllersByKind is the controller of each kind of kinds.All.
var controllersByKind = map[string]kindController{
	"site":                  {setup: SetupSite, fieldPaths: &SiteAdapter{}},
	"imagereplication":      {setup: SetupImageReplication, fieldPaths: &ImageReplicationAdapter{}},
	"cluster":               {setup: SetupCluster, fieldPaths: &ClusterAdapter{}},
	"clusterregistration":   {setup: SetupClusterRegistration, fieldPaths: &ClusterRegistrationAdapter{}},
	"project":               {setup: SetupProject, fieldPaths: &ProjectAdapter{}},
	"projectmember":         {setup: SetupProjectMember, fieldPaths: &ProjectMemberAdapter{}},
	"application":           {setup: SetupApplication, fieldPaths: &ApplicationAdapter{}},
	"applicationdeployment": {setup: SetupApplicationDeployment, fieldPaths: &ApplicationDeploymentAdapter{}},
	"helmrelease":           {setup: SetupHelmRelease, fieldPaths: &HelmReleaseAdapter{}},
	"notificationchannel":   {setup: SetupNotificationChannel, fieldPaths: &NotificationChannelAdapter{}},
	"cirun":                 {setup: SetupCIRun, fieldPaths: &CIRunAdapter{}},
}

// SetupAll registers the controller of every kind of kinds.All with mgr.
func SetupAll(mgr ctrl.Manager, o Options) error {
	for _, k := range kinds.All {
		c, ok := controllersByKind[k.Name]
		if !ok {
			return fmt.Errorf("kind %q has no controller", k.Name)
		}
		if err := c.setup(mgr, o); err != nil {
			return fmt.Errorf("cannot set up the %s controller: %w", k.CRDKind, err)
		}
	}
	return nil
}
