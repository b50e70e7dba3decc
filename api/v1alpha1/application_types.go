package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GitOpsApplicationTemplate names the template repositories an
// application's repositories are made from.
type GitOpsApplicationTemplate struct {
	// SourceRepo is the https clone URL of the source template repository.
	// +kubebuilder:validation:Pattern=`^https?://`
	SourceRepo string `json:"sourceRepo"`
	// YAMLRepo is the https clone URL of the yaml template repository.
	// +kubebuilder:validation:Pattern=`^https?://`
	YAMLRepo string `json:"yamlRepo"`
	// Ref is a branch or tag of both template repositories (default main).
	// +optional
	// +kubebuilder:default=main
	Ref string `json:"ref,omitempty"`
}

// GitOpsApplicationParameters is the desired state of an application: two
// repositories in its project's Bitbucket project, made from templates.
type GitOpsApplicationParameters struct {
	// Project is the key of the project (a Project's spec.forProvider.key);
	// it needs a Bitbucket part.
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Z0-9]{1,9}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="project is immutable: make a new GitOpsApplication"
	Project string `json:"project"`

	// Name is the application's name and the source repository's slug; the
	// yaml repository is <name>-yaml (Bitbucket's slug rule).
	// +kubebuilder:validation:Pattern=`^[a-z0-9_][a-z0-9_.-]{0,56}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="name is immutable: make a new GitOpsApplication"
	Name string `json:"name"`

	// Template names the template repositories, read at the first push only.
	Template GitOpsApplicationTemplate `json:"template"`

	// InitialValues fill the template's ".tmpl" files (Go text/template,
	// {{ .key }}) at the first push only.
	// +optional
	InitialValues map[string]string `json:"initialValues,omitempty"`
}

// GitOpsApplicationObservation is what the controller observed of the
// application.
type GitOpsApplicationObservation struct {
	// +optional
	SourceCloneURL string `json:"sourceCloneURL,omitempty"`
	// +optional
	YAMLCloneURL string `json:"yamlCloneURL,omitempty"`
	// +optional
	SourceInitialCommit string `json:"sourceInitialCommit,omitempty"`
	// +optional
	YAMLInitialCommit string `json:"yamlInitialCommit,omitempty"`
	// +optional
	DefaultBranch string `json:"defaultBranch,omitempty"`
	// Notice says when the template or initial values differ from what the
	// repositories were made from.
	// +optional
	Notice string `json:"notice,omitempty"`
}

// GitOpsApplicationSpec is the desired state of a GitOpsApplication.
type GitOpsApplicationSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the application.
	ForProvider GitOpsApplicationParameters `json:"forProvider"`
}

// GitOpsApplicationStatus is the observed state of a GitOpsApplication.
type GitOpsApplicationStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the application.
	// +optional
	AtProvider GitOpsApplicationObservation `json:"atProvider,omitempty"`
}

// GitOpsApplication is an application of a project (Terraform's
// mc_application): a source repository <name> and a yaml repository
// <name>-yaml in the project's Bitbucket project, made from template
// repositories. It is not Argo CD's Application (argoproj.io), which lives
// in the same management cluster; the name keeps the two apart. Its
// external name is "<PROJECT>/<name>". deletionPolicy Orphan leaves both
// repositories.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type GitOpsApplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the GitOpsApplication.
	Spec GitOpsApplicationSpec `json:"spec"`
	// Status is the observed state of the GitOpsApplication.
	// +optional
	Status GitOpsApplicationStatus `json:"status,omitempty"`
}

// GitOpsApplicationList is a list of GitOpsApplications.
// +kubebuilder:object:root=true
type GitOpsApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the GitOpsApplications.
	Items []GitOpsApplication `json:"items"`
}

func init() {
	SchemeBuilder.Register(&GitOpsApplication{}, &GitOpsApplicationList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (m *GitOpsApplication) GetResourceSpec() *ResourceSpec { return &m.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (m *GitOpsApplication) GetResourceStatus() *ResourceStatus { return &m.Status.ResourceStatus }
