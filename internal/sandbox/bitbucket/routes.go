package bitbucketsim

import (
	"net/http"
	"sort"
)

func (s *Server) routes() {
	m := s.mux
	const ws = apiPrefix + "/workspaces/{workspace}"
	const pr = ws + "/projects/{project_key}"
	const rp = apiPrefix + "/repositories/{workspace}/{repo_slug}"

	m.HandleFunc("POST /_sandbox/users", s.postSandboxUser)
	m.HandleFunc("POST /_sandbox/groups", s.postSandboxGroup)
	m.HandleFunc("GET /_sandbox/faults", s.getSandboxFaults)
	m.HandleFunc("POST /_sandbox/faults", s.postSandboxFaults)
	m.HandleFunc("POST /_sandbox/credentials", s.postSandboxCredential)

	m.HandleFunc("GET "+apiPrefix+"/user", s.getCurrentUser)
	m.HandleFunc("GET "+apiPrefix+"/users/{selected_user}", s.getUser)
	m.HandleFunc("GET "+ws, s.getWorkspace)
	m.HandleFunc("GET "+ws+"/members", s.listMembers)
	m.HandleFunc("GET "+ws+"/members/{member}", s.getMember)

	m.HandleFunc("GET "+ws+"/projects", s.listProjects)
	m.HandleFunc("POST "+ws+"/projects", s.createProject)
	m.HandleFunc("GET "+pr, s.getProject)
	m.HandleFunc("PUT "+pr, s.putProject)
	m.HandleFunc("DELETE "+pr, s.deleteProject)

	for base, resolve := range map[string]resolver{pr: s.projectTarget, rp: s.repoTarget} {
		m.HandleFunc("GET "+base+"/permissions-config/users", s.listUserPerms(resolve))
		m.HandleFunc("GET "+base+"/permissions-config/users/{selected_user_id}", s.getUserPerm(resolve))
		m.HandleFunc("PUT "+base+"/permissions-config/users/{selected_user_id}", s.putUserPerm(resolve))
		m.HandleFunc("DELETE "+base+"/permissions-config/users/{selected_user_id}", s.deleteUserPerm(resolve))
		m.HandleFunc("GET "+base+"/permissions-config/groups", s.listGroupPerms(resolve))
		m.HandleFunc("GET "+base+"/permissions-config/groups/{group_slug}", s.getGroupPerm(resolve))
		m.HandleFunc("PUT "+base+"/permissions-config/groups/{group_slug}", s.putGroupPerm(resolve))
		m.HandleFunc("DELETE "+base+"/permissions-config/groups/{group_slug}", s.deleteGroupPerm(resolve))
	}

	m.HandleFunc("GET "+apiPrefix+"/repositories/{workspace}", s.listRepositories)
	m.HandleFunc("GET "+rp, s.getRepository)
	m.HandleFunc("POST "+rp, s.createRepository)
	m.HandleFunc("PUT "+rp, s.putRepository)
	m.HandleFunc("DELETE "+rp, s.deleteRepository)

	m.HandleFunc("GET "+rp+"/branch-restrictions", s.listRestrictions)
	m.HandleFunc("POST "+rp+"/branch-restrictions", s.createRestriction)
	m.HandleFunc("GET "+rp+"/branch-restrictions/{id}", s.getRestriction)
	m.HandleFunc("PUT "+rp+"/branch-restrictions/{id}", s.putRestriction)
	m.HandleFunc("DELETE "+rp+"/branch-restrictions/{id}", s.deleteRestriction)

	for base, scope := range map[string]func(http.ResponseWriter, *http.Request) *hookScope{rp: s.repoHookScope, ws: s.workspaceHookScope} {
		m.HandleFunc("GET "+base+"/hooks", s.listHooks(scope))
		m.HandleFunc("POST "+base+"/hooks", s.createHook(scope))
		m.HandleFunc("GET "+base+"/hooks/{uid}", s.getHook(scope))
		m.HandleFunc("PUT "+base+"/hooks/{uid}", s.putHook(scope))
		m.HandleFunc("DELETE "+base+"/hooks/{uid}", s.deleteHook(scope))
	}
}

func sortStrings(s []string) { sort.Strings(s) }
