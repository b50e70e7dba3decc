package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProjectBitbucket turns on the project's Bitbucket Cloud project.
type ProjectBitbucket struct {
	// Workspace is the Bitbucket workspace's slug. Changing it needs a new
	// Project.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=62
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9_-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="workspace is immutable: a Bitbucket project cannot move; make a new Project"
	Workspace string `json:"workspace"`

	// Private makes the Bitbucket project private.
	// +optional
	// +kubebuilder:default=true
	Private *bool `json:"private,omitempty"`
}

// ProjectJira turns on the project's Jira Cloud project.
type ProjectJira struct {
	// LeadAccountID is the Atlassian account id of the project lead.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	LeadAccountID string `json:"leadAccountId"`

	// Type is the Jira project type. Changing it needs a new Project.
	// +optional
	// +kubebuilder:default=software
	// +kubebuilder:validation:Enum=software;business;service_desk
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="type is immutable: it is chosen when the Jira project is made; make a new Project"
	Type string `json:"type,omitempty"`

	// Template is the Jira project template key; omitted lets Jira choose
	// the type's default. Changing it needs a new Project.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="template is immutable: it is only used when the Jira project is made; make a new Project"
	Template string `json:"template,omitempty"`

	// DeletePermanently deletes the Jira project for good when the Project
	// is deleted. By default it goes to Jira's trash, where its key stays
	// reserved until it is deleted from the trash.
	// +optional
	DeletePermanently bool `json:"deletePermanently,omitempty"`
}

// ProjectHarbor turns on the project's Harbor project.
type ProjectHarbor struct {
	// Site is the Site whose Harbor holds the project; default the hub Site
	// (spec.forProvider.hub), filled in once the Harbor project is made.
	// Changing it needs a new Project.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable: a Harbor project cannot move; make a new Project"
	Site string `json:"site,omitempty"`

	// Public lets anyone pull from the Harbor project.
	// +optional
	Public bool `json:"public,omitempty"`

	// ForceDestroy deletes the Harbor project even when it holds
	// repositories, deleting them first. By default Harbor refuses, and its
	// answer is reported.
	// +optional
	ForceDestroy bool `json:"forceDestroy,omitempty"`
}

// ProjectArgoCD turns on the project's Argo CD AppProjects.
type ProjectArgoCD struct {
	// Sites are the Sites whose Argo CD gets an AppProject.
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Sites []string `json:"sites"`
}

// ProjectParameters is the desired state of a project. The project's key
// is metadata.name in upper case.
type ProjectParameters struct {
	// Name is the project's name in Bitbucket and Jira (Jira wants it unique).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=80
	Name string `json:"name"`

	// Description is the project's description.
	// +optional
	// +kubebuilder:validation:MaxLength=2000
	Description string `json:"description,omitempty"`

	// Bitbucket turns on the Bitbucket Cloud project.
	// +optional
	Bitbucket *ProjectBitbucket `json:"bitbucket,omitempty"`

	// Jira turns on the Jira Cloud project.
	// +optional
	Jira *ProjectJira `json:"jira,omitempty"`

	// Harbor turns on the Harbor project, named after the key in lower case.
	// +optional
	Harbor *ProjectHarbor `json:"harbor,omitempty"`

	// ArgoCD turns on an Argo CD AppProject, named after the key in lower
	// case, at each of its sites.
	// +optional
	ArgoCD *ProjectArgoCD `json:"argocd,omitempty"`
}

// ProjectCondition is one observed fact about a part of the project.
type ProjectCondition struct {
	// Type is BitbucketReady, JiraReady, HarborReady or ArgoCDReady.
	Type string `json:"type"`
	// Status is True or False.
	Status string `json:"status"`
	// Reason is Available, Missing or Drifted.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message is a human-readable detail.
	// +optional
	Message string `json:"message,omitempty"`
}

// ProjectObservation is what the controller observed of the project.
type ProjectObservation struct {
	// BitbucketUUID is the Bitbucket project's uuid.
	// +optional
	BitbucketUUID string `json:"bitbucketUUID,omitempty"`
	// JiraID is the Jira project's id.
	// +optional
	JiraID string `json:"jiraID,omitempty"`
	// HarborProjectID is the Harbor project's id.
	// +optional
	HarborProjectID int64 `json:"harborProjectID,omitempty"`
	// HarborProject is the Harbor project's name.
	// +optional
	HarborProject string `json:"harborProject,omitempty"`
	// AppProjects are the AppProjects' names by site.
	// +optional
	AppProjects map[string]string `json:"appProjects,omitempty"`
	// Parts are one condition per declared part.
	// +optional
	// +listType=map
	// +listMapKey=type
	Parts []ProjectCondition `json:"parts,omitempty"`
}

// ProjectSpec is the desired state of a Project.
type ProjectSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the project.
	ForProvider ProjectParameters `json:"forProvider"`
}

// ProjectStatus is the observed state of a Project.
type ProjectStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the project.
	// +optional
	AtProvider ProjectObservation `json:"atProvider,omitempty"`
}

// Project is a team's project across the platform's systems: a Bitbucket
// Cloud project, a Jira Cloud project, a Harbor project at a site and an
// Argo CD AppProject at each of a list of sites, each turned on by its block
// of spec.forProvider. metadata.name is the project's key in lower case
// (Jira's key rule: a letter, then letters or digits, 2 to 10 in all); the
// external name is the key. The Bitbucket and Jira credentials come from
// the ProviderConfig's credentials Secret (keys bitbucket-url,
// bitbucket-username, bitbucket-token, jira-url, jira-email,
// jira-api-token).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z][a-z0-9]{1,9}$')",message="metadata.name is the project's key in lower case: a letter, then letters or digits, 2 to 10 characters in all",fieldPath=".metadata"
type Project struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Project.
	Spec ProjectSpec `json:"spec"`
	// Status is the observed state of the Project.
	// +optional
	Status ProjectStatus `json:"status,omitempty"`
}

// ProjectList is a list of Projects.
// +kubebuilder:object:root=true
type ProjectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Projects.
	Items []Project `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Project{}, &ProjectList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (p *Project) GetResourceSpec() *ResourceSpec { return &p.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (p *Project) GetResourceStatus() *ResourceStatus { return &p.Status.ResourceStatus }
