// Package application implements the engine client for applications: a
// project's pair of Bitbucket repositories made from template repositories,
// a source repository named after the application and a yaml (deployment
// manifests) repository named <name>-yaml, both in the project's Bitbucket
// project.
//
// Each repository is made in three steps: the template repository is read
// at its ref (go-git, in memory) and its files filled with the initial
// values (see Render), the repository is created (or found and adopted),
// and the filled files are pushed as its first commit on DefaultBranch.
// Every step is recorded in the application record in the registry
// namespace (registry.Application) as soon as it is done, and the first
// commit carries a trailer naming the application, so a create cut off at
// any point resumes: a repository that exists and is empty gets the push; a
// repository whose first commit is ours is adopted; a second repository is
// never made. A repository that holds commits not made for the application
// is refused.
//
// The template and the initial values only fill the repositories at their
// first push. Changing them later changes nothing in git: Status.Notice
// says that the repositories were made from something else.
package application

import (
	"fmt"
	"maps"
	"strings"
)

// Values of Spec.OnDestroy.
const (
	// OnDestroyDelete deletes both repositories (the default).
	OnDestroyDelete = "delete"
	// OnDestroyOrphan leaves both repositories and only forgets the record.
	OnDestroyOrphan = "orphan"
)

// DefaultBranch is the branch the first commit of both repositories is
// pushed to.
const DefaultBranch = "main"

// DefaultRef is the template ref used when none is given.
const DefaultRef = "main"

// YAMLSuffix is appended to the application's name to name the yaml
// repository.
const YAMLSuffix = "-yaml"

// TemplateSuffix marks the template files that are filled (see Render).
const TemplateSuffix = ".tmpl"

// Spec is the desired application, shared by both front-ends.
type Spec struct {
	// Project is the key of the project whose Bitbucket project holds the
	// repositories.
	Project string
	// Name is the application's name and the source repository's slug.
	Name string
	// Template names the template repositories.
	Template Template
	// InitialValues fill the template files at the first push.
	InitialValues map[string]string
	// OnDestroy is OnDestroyDelete or OnDestroyOrphan.
	OnDestroy string
}

// Template names the template repositories by their https clone URLs and
// the branch or tag read from both.
type Template struct {
	SourceRepo string
	YAMLRepo   string
	// Ref is a branch or tag of both template repositories (default main).
	Ref string
}

// Status is what the engine reports of an application.
type Status struct {
	SourceCloneURL      string
	YAMLCloneURL        string
	SourceUUID          string
	YAMLUUID            string
	SourceInitialCommit string
	YAMLInitialCommit   string
	// DefaultBranch is the branch the initial commits were pushed to.
	DefaultBranch string
	// Notice says when the declared template or initial values differ from
	// what the repositories were made from; empty otherwise.
	Notice string
}

// ReplaceFields are the arguments of an application whose change needs a
// new application: the project and the name name the repositories. The
// template and the initial values change in place (they only matter at
// the first push), and so does on_destroy.
var ReplaceFields = []string{"project", "name"}

// ID returns the application's id, "<PROJECT>/<name>", also its import id.
func (s Spec) ID() string { return s.Project + "/" + s.Name }

// ParseID reads an id of ID.
func ParseID(id string) (project, name string, err error) {
	project, name, ok := strings.Cut(id, "/")
	if !ok || project == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not <PROJECT>/<name>", id)
	}
	return project, name, nil
}

// SourceSlug is the source repository's slug.
func (s Spec) SourceSlug() string { return s.Name }

// YAMLSlug is the yaml repository's slug.
func (s Spec) YAMLSlug() string { return s.Name + YAMLSuffix }

// WithDefaults returns s with its unset arguments at their defaults: ref
// main, on_destroy delete.
func WithDefaults(s Spec) Spec {
	if s.Template.Ref == "" {
		s.Template.Ref = DefaultRef
	}
	if s.OnDestroy == "" {
		s.OnDestroy = OnDestroyDelete
	}
	s.InitialValues = maps.Clone(s.InitialValues)
	return s
}
