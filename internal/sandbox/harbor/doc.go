// Package harborsim simulates the subset of Harbor's v2.0 REST API that the
// provider uses, keeping its state in memory. It starts as a fresh Harbor:
// the admin and the public project "library".
//
// It answers as Harbor does: the same paths, status codes and error bodies
// ({"errors":[{"code","message"}]}; a 500 says only "internal server
// error", as Harbor's SendError hides the cause), basic authentication of
// the admin, of users and of robot accounts (wrong credentials read as
// anonymous, as in Harbor, so they fail with 401 wherever authentication is
// required), pagination (X-Total-Count, and Link with rel="prev"/"next"),
// and Harbor's validation. Binding errors (a body that is missing or does
// not parse, a non-numeric path id, a page_size over 100) are 422, as
// go-openapi's CompositeValidationError reaches Harbor's error handler.
//
// Options.Version is the Harbor version simulated (default DefaultVersion,
// v2.14.3), reported as harbor_version in /systeminfo; the behaviours that
// changed between releases follow it, as the table says. Options.AuthMode
// is db_auth or oidc_auth (see below).
//
// Endpoints below /api/v2.0 and their answers (401 for anonymous callers and
// 403 for callers without the permission apply to every endpoint that needs
// them):
//
//	GET    /api/version (no prefix)          200 {"version":"v2.0"}, no credentials needed
//	GET    /health, /systeminfo              200, no credentials needed (anonymous: no harbor_version)
//	GET    /users/current                    200; 401 anonymous; 412 robot
//	PUT    /users/{user_id}/password         200; 400 weak or unchanged password; 403 wrong old_password
//	                                         (own password), other users outside db_auth; 404; 422 id
//	GET    /projects                         200 paged (anonymous: public only); 400 bad q; 422 page_size > 100
//	HEAD   /projects?project_name=           200; 404; 400 no name
//	POST   /projects                         201 Location; 400 name rule, metadata; 422 name > 255; 409
//	GET    /projects/{name_or_id}            200; 403 unknown (robots, users); admin: 404 unknown id, and
//	                                         unknown name from v2.7 (403 before)
//	PUT    /projects/{name_or_id}            200; 400; 403/404 as GET
//	DELETE /projects/{name_or_id}            200; 412 with repositories; 403/404 as GET
//	GET    /projects/{p}/members             200 paged
//	POST   /projects/{p}/members             201 Location; 400 role, group, unknown user id; 404 unknown
//	                                         user name; 409
//	GET|PUT|DELETE /projects/{p}/members/{mid}  200; 400 role; 404
//	GET    /projects/{p}/repositories        200 paged, newest first (q name); 403/404 as GET project
//	DELETE /projects/{p}/repositories/{r}    200, removing its artifacts and their manifests from the
//	                                         registry; 404; r encoded twice
//	GET    /projects/{p}/repositories/{r}/artifacts[/{reference}]  200 (paged); 404; r encoded twice;
//	                                         with_scan_overview: scan_overview keyed by the report MIME type
//	POST   /projects/{p}/repositories/{r}/artifacts/{reference}/scan  202, scanned in the background
//	                                         (also on push into a project with auto_scan); 400 scan_type
//	                                         sbom, not an image; 404; 409 while the previous scan runs;
//	                                         422 unknown scan_type (see scan.go for the scanner)
//	GET    .../artifacts/{reference}/additions/vulnerabilities  200 {mime: report} or {} unscanned; 404
//	GET    .../artifacts/{reference}/scan/{report_id}/log  200 text/plain; 404 another report
//	GET    /registries                       200 paged
//	POST   /registries                       201 Location; 400 name empty or over 64, url scheme, the
//	                                         registry is unhealthy, ca_certificate (v2.15+); 500 unknown
//	                                         type, unreachable; 409
//	GET    /registries/{id}                  200 (secret masked); 404
//	GET    /registries/{id}/info             200 (supported_triggers: manual, scheduled; id 0, this Harbor,
//	                                         event_based too); 404
//	PUT    /registries/{id}                  200; 400, 500 as POST; 404; 409
//	DELETE /registries/{id}                  200; 404; 412 used by policies or proxy-cache projects
//	POST   /registries/ping                  200; 400 type or url empty, unhealthy; 404 unknown id; 500 as POST
//	GET    /replication/policies             200 paged
//	POST   /replication/policies             201 Location; 400 filters, cron, trigger, namespace, sides;
//	                                         404 unknown registry; 409; 422 replace count beyond int8;
//	                                         500 single_active_replication with event_based (v2.14+)
//	GET    /replication/policies/{id}        200; 404 (single_active_replication shown from v2.14)
//	PUT    /replication/policies/{id}        200, replacing the whole policy; 400; 404; 409; 422; 500 as POST
//	DELETE /replication/policies/{id}        200; 404; 412 while an execution is not final
//	POST   /replication/executions           201 Location; 404 unknown policy; 412 disabled policy
//	GET    /replication/executions           200 paged, newest first (policy_id, status, trigger)
//	GET    /replication/executions/{id}      200; 404
//	PUT    /replication/executions/{id}      200 (stop; a stuck execution ends Stopped); 404
//	GET    /replication/executions/{id}/tasks            200 paged; 404 unknown execution (v2.8+)
//	GET    /replication/executions/{id}/tasks/{tid}/log  200 text/plain; 404
//	GET    /robots                           200 paged
//	POST   /robots                           201 Location, the secret once; 400 name, duration, level,
//	                                         permissions, unknown access (v2.10+), system replication
//	                                         access before v2.10; 404 project; 409
//	GET|DELETE /robots/{id}                  200; 404
//	PUT    /robots/{id}                      200; 400 as POST, name, level or project changed; 404
//	PATCH  /robots/{id}                      200 (secret refresh: the given one, or a new one in the
//	                                         answer); 400 weak secret; 404
//
// What each behaviour was checked against in goharbor/harbor (v2.14.3
// unless another version is named; unchanged v2.7 to v2.15 unless said):
//
//   - Registries (src/controller/registry/controller.go validate and
//     IsHealthy; src/server/v2.0/handler/registry.go Create/Update/
//     PingRegistry; src/lib/endpoint.go ValidateHTTPURL): the name is 1 to
//     64 characters; a URL without "://" gets "http://"; create, update and
//     ping health-check the endpoint from Harbor's own side with its
//     credentials and insecure flag (HealthCheck, replaceable by
//     Options.Pinger): a Harbor adapter first asks GET <url>/api/version
//     (src/pkg/reg/adapter/harbor/base/client.go GetAPIVersion), and a
//     failure there (unreachable, untrusted certificate) fails the
//     adapter's creation, a 500; then GET <url>/v2/ must answer 2xx with the
//     credentials (src/pkg/reg/adapter/native/adapter.go HealthCheck, 401
//     and 403 are fine without credentials): otherwise 400 "the registry is
//     unhealthy". An unknown type has no adapter factory: 500. From v2.15 a
//     registry may carry ca_certificate (PEM, 400 when it holds no
//     certificate), trusted besides the system's CAs, and then insecure is
//     not used (src/common/http/transport.go GetHTTPTransport); older
//     versions ignore the field.
//   - Replication policies (src/server/v2.0/handler/replication.go
//     Create/UpdateReplicationPolicy, convertReplicationPolicy): a PUT
//     builds the whole policy from the body, so dest_namespace_replace_count
//     falls back to -1 (the legacy mode, which keeps only the last path
//     component), speed to 0 (no limit; a negative speed is stored as 0),
//     copy_by_chunk and single_active_replication to false. Harbor reads
//     "deletion" and ignores "replicate_deletion" on input, and shows both.
//     single_active_replication exists from v2.14 (older versions ignore it
//     and do not show it); with it an execution started while another runs
//     fails at once with "Execution skipped: active replication still in
//     progress." (src/controller/replication/execution.go Start).
//   - Executions (src/controller/replication/flow/copy.go and stage.go):
//     one task per source repository, resource type "artifact" from a
//     Harbor and "image" from other registries, src_resource and
//     dst_resource "repo [N item(s) in total]" counting every tag, or the
//     digest of an untagged artifact; the destination path applies the
//     replace count (replaceNamespace). Nothing to copy ends Succeed with
//     "no resources need to be replicated"; failed tasks end the execution
//     Failed with no status text; counts are the tasks'
//     (convertExecution: in_progress counts pending and running tasks).
//     Deleting a policy with an execution not in a final status is 412
//     (src/pkg/task/execution.go DeleteByVendor); stopping an execution
//     without tasks marks it Stopped (Stop). StickExecutions reproduces the
//     known failure of executions that stay InProgress.
//   - Filters (src/pkg/reg/model/policy.go Filter.Validate;
//     src/pkg/reg/filter/artifact.go and repository.go;
//     src/pkg/reg/util/pattern.go Match): doublestar patterns, the empty
//     pattern matches all; only the tags that match are copied; an untagged
//     artifact matches as the empty tag; the resource filter is validated
//     but takes no part in the selection; a bad pattern fails the execution.
//   - Repositories (src/server/v2.0/handler/repository.go
//     ListRepositories, DeleteRepository): listing needs repository:list
//     on the project (anyone may list a public project's), deletion
//     repository:delete; a repository exists while it has artifacts.
//   - Listing a source (src/pkg/reg/adapter/harbor/base/adapter.go
//     FetchArtifacts): a remote Harbor is listed through its API with the
//     endpoint's credentials (projects, their repositories, their
//     artifacts with tags, untagged ones included), so a robot sees the
//     projects it has permissions on and the public ones; other registries
//     through /v2/_catalog and the tags lists (native adapter).
//   - Triggers: event-based policies run on a push into this Harbor
//     (AddArtifact, or a push through /v2/), and only those with a local
//     source (src/controller/event/handler/replication/event/handler.go
//     getRelatedPolicies): an event-based pull policy is accepted and never
//     runs. Scheduled policies fire on their six-field cron (seconds first,
//     robfig/cron semantics) by Options.Now, with trigger "scheduled"
//     (RunSchedules; src/controller/replication/policy.go schedules enabled
//     policies only).
//   - Robots (src/server/v2.0/handler/robot.go validate, updateV2Robot,
//     RefreshSec; src/common/rbac/const.go PoliciesMap and NolimitProvider):
//     from v2.10 every access must be one Harbor knows for its kind (400
//     "bad request permission: resource:action"), and system robots may hold
//     the registry and replication permissions; before v2.10 Harbor checked
//     no access and had no system permission set, and the simulator refuses
//     those permissions on system robots. PUT keeps the name, level and
//     project (the body's name is the robot's full name, robot$name or
//     robot$project+name, as updateV2Robot compares it); PATCH sets the
//     given secret (8-128 characters, upper, lower, digit) or answers a new
//     one.
//   - Users (src/server/v2.0/handler/user.go UpdateUserPassword): in
//     db_auth the admin sets anyone's password, everyone their own with the
//     old one; the rule is the robot secret's.
//   - OIDC (src/server/middleware/security/oidc_cli.go): in oidc_auth a
//     user's CLI secret (Options.Passwords) is accepted only on /v2/,
//     /service/token and the project, repository, artifact, label,
//     systeminfo and version reads and project creation that replication
//     needs; on the registry and replication APIs the request is anonymous,
//     401. The admin logs in with its password in both modes.
//   - Projects (src/server/v2.0/handler/base.go HasProjectPermission; v2.6
//     against v2.7): an unknown project name is project 0 from v2.7, on which
//     the admin may do everything, so the admin gets the handler's 404.
//   - Members (src/controller/member/controller.go Create): an unknown user
//     id is a 400 "Failed to get user"; an unknown user name fails the
//     on-boarding search, 404.
//
// Below /v2/ it serves Options.Registry, a real OCI registry, as Harbor
// does: Basic credentials (Harbor would send clients to its token service),
// the catalog for whoever may read the system catalog (the admin, a system
// robot with catalog:read; src/server/middleware/v2auth/auth.go), pulls and pushes by project permission
// (anonymous pulls from public projects), 404 NAME_UNKNOWN for a missing
// project. A manifest pushed by tag through it is recorded as an artifact
// and starts the event-based policies, as Harbor's push event does; with
// Options.SyncRegistry, images pushed straight into the registry are listed
// from it on demand (SyncRegistry). StartSite runs a distribution registry
// process with a simulator in front of it.
//
// Replication executions go InProgress, then Succeed, Failed or Stopped:
// the simulator applies the policy's filters and destination namespace as
// Harbor does and copies through a pluggable Replicator (OCIReplicator
// speaks the distribution API to real registries). A fault injector
// (SetFaults) answers a share of requests with 500, 503 or 429 (with
// Retry-After), loses the answers of some writes after applying them, or
// delays requests.
package harborsim
