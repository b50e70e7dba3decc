package sandbox

import (
	"context"
	"fmt"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
)

// The template repositories of the sandbox's Bitbucket, from which
// mc_application makes an application's repositories: a small Go service
// and its yaml (deployment manifests) repository, in the Bitbucket project
// TemplatesProject of the sandbox's workspace. Their ".tmpl" files are
// filled with the application's initial values (see the application
// engine's Render): the source template needs the value "port".
const (
	// TemplatesProject is the key of the Bitbucket project holding the
	// template repositories.
	TemplatesProject = "TEMPLATES"
	// TemplateGoService is the slug of the Go service's source template.
	TemplateGoService = "template-go-service"
	// TemplateGoServiceYAML is the slug of the Go service's yaml template.
	TemplateGoServiceYAML = "template-go-service-yaml"
)

// templateFiles are the files of each template repository.
var templateFiles = map[string]map[string]string{
	TemplateGoService: {
		"README.md.tmpl": "# {{ .name }}\n\nA Go service of project {{ .project }}, listening on port {{ .port }}.\n",
		"go.mod.tmpl":    "module example.com/{{ .project }}/{{ .name }}\n\ngo 1.24\n",
		"main.go.tmpl": `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "{{ .name }}") })
	_ = http.ListenAndServe(":{{ .port }}", nil)
}
`,
		"Dockerfile": "FROM golang:1.24 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\n\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n",
	},
	TemplateGoServiceYAML: {
		"README.md.tmpl": "# {{ .name }}-yaml\n\nDeployment manifests of {{ .name }} (project {{ .project }}). " +
			"Each mc_application_deployment owns deploy/<site>/<cluster>/.\n",
		"deploy/.keep": "",
	},
}

// TemplateURL returns the https clone URL of template repository slug.
func (b BitbucketSim) TemplateURL(slug string) string {
	return b.ServerURL() + "/" + b.Workspace + "/" + slug + ".git"
}

// SeedTemplates makes the template repositories in b (the project, both
// repositories and their files) unless they are there already. It is
// idempotent and safe to call from every test of a shared platform.
func SeedTemplates(ctx context.Context, b BitbucketSim) error {
	c := bitbucket.NewCloud(b.URL, bitbucket.Auth{Username: b.Username, Token: b.Password})
	if _, _, err := bitbucket.CreateOrGetProject(ctx, c, b.Workspace, bitbucket.ProjectInput{
		Key: TemplatesProject, Name: "Templates", Description: "Template repositories of mc_application", IsPrivate: true,
	}); err != nil {
		return fmt.Errorf("cannot make the templates project: %w", err)
	}
	committer := git.NewCommitter()
	for _, slug := range []string{TemplateGoService, TemplateGoServiceYAML} {
		if _, _, err := bitbucket.CreateOrGetRepository(ctx, c, b.Workspace, slug, bitbucket.RepositoryInput{
			ProjectKey: TemplatesProject, Name: slug, IsPrivate: true,
		}); err != nil {
			return fmt.Errorf("cannot make template repository %s: %w", slug, err)
		}
		repo := git.Repository{URL: b.TemplateURL(slug), Username: b.Username, Password: b.Password}
		if _, err := committer.Commit(ctx, repo, "main", git.Change{Files: templateFiles[slug], Message: "Template " + slug}); err != nil {
			return fmt.Errorf("cannot push template repository %s: %w", slug, err)
		}
	}
	return nil
}
