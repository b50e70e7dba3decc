// Package bitbucketsim simulates the subset of Bitbucket Cloud's REST API
// 2.0 that the provider uses, and serves every repository as a real git
// repository over smart HTTP. State is kept in memory (the repositories'
// contents on disk, below Options.GitRoot).
//
// It starts with one workspace (Options.Workspace, default "mcplatform")
// owned by the account whose credentials Options gives, and, unless
// Options.NoSeed, the sandbox's fixed Atlassian identities (SeedUsers:
// alice, bob, carol; SeedGroups: platform-devs). Every account is a member
// of the workspace; groups belong to the workspace and are addressed by
// their slug (GroupSlug).
//
// It answers as Bitbucket Cloud does: the same paths (with or without a
// trailing slash), status codes, the error body
// {"type":"error","error":{"message","detail","fields"}}, pagination
// (pagelen 1-100, default 10; page; size; next and previous links that keep
// the query), authentication (basic with the owner's username or email and
// app password or API token; a workspace access token as a bearer token, or
// for git with the username x-token-auth; anything else: 401 with
// WWW-Authenticate: Basic realm="Bitbucket.org HTTP"), and Bitbucket's
// validation.
//
// Endpoints below /2.0 and their answers (401 without valid credentials
// applies to all; 404 for an unknown workspace, project, repository,
// account or group in the path):
//
//	GET    /user                                              200 (the owner)
//	GET    /users/{account_id|uuid}                           200; 404
//	GET    /workspaces/{workspace}                            200; 404
//	GET    /workspaces/{workspace}/members                    200 paged
//	GET    /workspaces/{workspace}/members/{account_id|uuid}  200; 404
//	GET    /workspaces/{workspace}/projects                   200 paged; 400 bad pagelen or page
//	POST   /workspaces/{workspace}/projects                   201 Location; 400 fields (key rule, key or name missing),
//	                                                          400 __all__ "Project with this Owner and Key already exists."
//	GET    /workspaces/{workspace}/projects/{key|uuid}        200; 404
//	PUT    /workspaces/{workspace}/projects/{key}             200 updated (a new key in the body moves it: Location);
//	                                                          201 created at a free key; 400 as POST, or private with public repositories
//	DELETE /workspaces/{workspace}/projects/{key}             204; 403 while it holds repositories
//	GET    .../projects/{key}/permissions-config/users|groups                 200 paged (explicit grants)
//	GET    .../projects/{key}/permissions-config/users/{account_id}           200; 404 no explicit grant
//	PUT    .../projects/{key}/permissions-config/users/{account_id}           200; 400 permission not admin|create-repo|write|read,
//	                                                                          or the workspace owner
//	DELETE .../projects/{key}/permissions-config/users/{account_id}           204 (also when there was no grant)
//	GET|PUT|DELETE .../projects/{key}/permissions-config/groups/{group_slug}  as for users
//	GET    /repositories/{workspace}                          200 paged; q (BBQL: =, !=, ~, !~ on project.key, name,
//	                                                          slug, full_name, is_private, joined by AND) and sort; 400 bad q or sort
//	POST   /repositories/{workspace}/{slug}                   200; 400 slug rule, scm, fork_policy, unknown project,
//	                                                          public in private project, "Repository with this Slug and Owner already exists."
//	GET    /repositories/{workspace}/{slug|uuid}              200; 404
//	PUT    /repositories/{workspace}/{slug}                   200 updated; 201 created; 400 as POST
//	DELETE /repositories/{workspace}/{slug}                   204 (the git repository is removed)
//	GET|PUT|DELETE /repositories/{workspace}/{slug}/permissions-config/users|groups[/{id}]
//	                                                          as for projects; values admin|write|read
//	GET|POST /repositories/{workspace}/{slug}/branch-restrictions       200 paged (kind, pattern filters); 201; 400 kind,
//	                                                                    match kind, pattern or branch_type, value, users/groups
//	GET|PUT|DELETE /repositories/{workspace}/{slug}/branch-restrictions/{id}  200; 200; 204; 404
//	GET|POST /repositories/{workspace}/{slug}/hooks, /workspaces/{workspace}/hooks  200 paged; 201; 400 url, events
//	GET|PUT|DELETE .../hooks/{uid}                            200; 200; 204; 404 (the secret is never shown: secret_set)
//
// A repository is cloned, fetched and pushed at /{workspace}/{slug}.git (or
// without .git) of the server, with the API's credentials, as its https
// clone link says; the ssh link is listed but not served.
//
// Sandbox endpoints (same credentials, no faults): POST /_sandbox/users
// {"account_id","display_name","email"} and POST /_sandbox/groups
// {"name","members"} answer 201 (400 for an invalid account id or an
// unknown member); GET /_sandbox/faults answers the injector's FaultStats,
// POST /_sandbox/faults sets Faults (204); POST /_sandbox/credentials
// {"username","password","read_only"} adds a further app password of the
// owner under its own username (201), which faults can be aimed at
// (Faults.Users); a read-only one gets 403 "Your credentials lack one or
// more required privilege scopes." on every write, as an app password with
// only read scopes does.
//
// Faults (SetFaults) apply to the API below /2.0 only.
//
// Choices where Bitbucket's documentation says nothing: project keys are
// stored upper-cased and looked up in any case; a project or repository
// created without is_private is private; asking for a user's or group's
// permission where there is no explicit one answers 404.
package bitbucketsim
