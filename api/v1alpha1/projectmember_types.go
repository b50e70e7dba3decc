package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProjectMemberParameters is the desired state of one member of a project:
// a user (accountID) or a group, with one role in every system of the
// project.
// +kubebuilder:validation:XValidation:rule="has(self.accountID) != has(self.group)",message="set exactly one of accountID and group: a member is one user or one group"
// +kubebuilder:validation:XValidation:rule="!(has(self.harborUser) && has(self.harborGroup))",message="set at most one of harborUser and harborGroup"
// +kubebuilder:validation:XValidation:rule="has(self.accountID) == has(oldSelf.accountID) && has(self.harborUser) == has(oldSelf.harborUser) && has(self.harborGroup) == has(oldSelf.harborGroup)",message="the member's identities cannot be added or removed: that is another member; make a new ProjectMember"
type ProjectMemberParameters struct {
	// Project is the key of the project (a Project's spec.forProvider.key).
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Z0-9]{1,9}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="project is immutable: make a new ProjectMember"
	Project string `json:"project"`

	// AccountID is the Atlassian account id of a user, used by Bitbucket
	// Cloud and Jira Cloud alike.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9:_-]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="accountID is immutable: make a new ProjectMember"
	AccountID string `json:"accountID,omitempty"`

	// Group is an Atlassian group name; in Argo CD, the SSO group bound to
	// the AppProject role.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="group is immutable: make a new ProjectMember"
	Group string `json:"group,omitempty"`

	// Role is admin, developer or viewer: Bitbucket admin/write/read, Jira
	// Administrators/Developers/Viewers, Harbor projectAdmin/developer/guest,
	// Argo CD AppProject role admin/developer/viewer (groups only).
	// +kubebuilder:validation:Enum=admin;developer;viewer
	Role string `json:"role"`

	// HarborUser is the Harbor user made a member of the project's Harbor
	// project; with neither harborUser nor harborGroup, Harbor is left
	// alone. Needs a project with a harbor part.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="harborUser is immutable: make a new ProjectMember"
	HarborUser string `json:"harborUser,omitempty"`

	// HarborGroup is the Harbor group made a member instead of a user.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="harborGroup is immutable: make a new ProjectMember"
	HarborGroup string `json:"harborGroup,omitempty"`
}

// ProjectMemberObservation is what the controller observed of the member.
type ProjectMemberObservation struct {
	// Grants holds the member's grant in each part of the project, in that
	// system's words (keys bitbucket, jira, harbor and argocd/<site>);
	// "none" where the member has none.
	// +optional
	Grants map[string]string `json:"grants,omitempty"`
}

// ProjectMemberSpec is the desired state of a ProjectMember.
type ProjectMemberSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the member.
	ForProvider ProjectMemberParameters `json:"forProvider"`
}

// ProjectMemberStatus is the observed state of a ProjectMember.
type ProjectMemberStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the member.
	// +optional
	AtProvider ProjectMemberObservation `json:"atProvider,omitempty"`
}

// ProjectMember is one member of a project, a user or a group, with one role
// in every system of the project: a Bitbucket project permission, a Jira
// project role, a Harbor project membership and, for a group, the group in
// the matching role of the project's Argo CD AppProjects. Only the member's
// own grants are managed. Its external name is "<KEY>/<accountID>" or
// "<KEY>/group:<group>", with "#harbor_user=<name>" or
// "#harbor_group=<name>" after it when the member has a Harbor identity.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type ProjectMember struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ProjectMember.
	Spec ProjectMemberSpec `json:"spec"`
	// Status is the observed state of the ProjectMember.
	// +optional
	Status ProjectMemberStatus `json:"status,omitempty"`
}

// ProjectMemberList is a list of ProjectMembers.
// +kubebuilder:object:root=true
type ProjectMemberList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ProjectMembers.
	Items []ProjectMember `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ProjectMember{}, &ProjectMemberList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (m *ProjectMember) GetResourceSpec() *ResourceSpec { return &m.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (m *ProjectMember) GetResourceStatus() *ResourceStatus { return &m.Status.ResourceStatus }
