// Package harborsim simulates the subset of Harbor's v2.0 REST API that the
// provider uses, keeping its state in memory. It starts as a fresh Harbor:
// the admin and the public project "library".
//
// It answers as Harbor does: the same paths, status codes and error bodies
// ({"errors":[{"code","message"}]}), basic authentication of the admin and of
// robot accounts (wrong credentials read as anonymous, as in Harbor, so they
// fail with 401 wherever authentication is required), pagination
// (X-Total-Count, and Link with rel="prev"/"next"), and Harbor's validation.
//
// Endpoints below /api/v2.0 and their answers (401 for anonymous callers and
// 403 for robots without the permission apply to every endpoint that needs
// them):
//
//	GET    /health, /systeminfo              200, no credentials needed (anonymous: no harbor_version)
//	GET    /users/current                    200; 401 anonymous; 412 robot
//	GET    /projects                         200 paged (anonymous: public only); 400 bad q; 422 page_size > 100
//	HEAD   /projects?project_name=           200; 404; 400 no name
//	POST   /projects                         201 Location; 400 name rule, metadata; 422 name > 255; 409
//	GET    /projects/{name_or_id}            200; 403 unknown name; 404 unknown id (admin)
//	PUT    /projects/{name_or_id}            200; 400; 403/404 as GET
//	DELETE /projects/{name_or_id}            200; 412 with repositories; 403/404 as GET
//	GET    /projects/{p}/members             200 paged
//	POST   /projects/{p}/members             201 Location; 400 role, group; 404 unknown user; 409
//	GET|PUT|DELETE /projects/{p}/members/{mid}  200; 400 role; 404
//	GET    /projects/{p}/repositories/{r}/artifacts[/{reference}]  200 (paged); 404; r encoded twice
//	GET    /registries                       200 paged
//	POST   /registries                       201 Location; 400 name, url, type; 409
//	GET    /registries/{id}                  200 (secret masked); 404
//	PUT    /registries/{id}                  200; 400; 404; 409
//	DELETE /registries/{id}                  200; 404; 412 used by policies or proxy-cache projects
//	POST   /registries/ping                  200; 400 unreachable; 404 unknown id
//	GET    /replication/policies             200 paged
//	POST   /replication/policies             201 Location; 400 filters, cron, trigger, namespace, sides; 404 unknown registry; 409
//	GET    /replication/policies/{id}        200; 404
//	PUT    /replication/policies/{id}        200; 400; 404; 409
//	DELETE /replication/policies/{id}        200; 404; 412 while an execution runs
//	POST   /replication/executions           201 Location; 404 unknown policy; 412 disabled policy
//	GET    /replication/executions           200 paged, newest first (policy_id, status, trigger)
//	GET    /replication/executions/{id}      200; 404
//	PUT    /replication/executions/{id}      200 (stop); 404
//	GET    /replication/executions/{id}/tasks            200 paged
//	GET    /replication/executions/{id}/tasks/{tid}/log  200 text/plain; 404
//	GET    /robots                           200 paged
//	POST   /robots                           201 Location, the secret once; 400; 404 project; 409
//	GET|DELETE /robots/{id}                  200; 404
//
// Below /v2/ it serves Options.Registry, a real OCI registry, as Harbor
// does: Basic credentials (Harbor would send clients to its token service),
// the catalog for the admin only, pulls and pushes by project permission
// (anonymous pulls from public projects), 404 NAME_UNKNOWN for a missing
// project. A manifest pushed by tag through it is recorded as an artifact
// and starts the event-based policies, as Harbor's push event does; with
// Options.SyncRegistry, images pushed straight into the registry are listed
// from it on demand (SyncRegistry). StartSite runs a distribution registry
// process with a simulator in front of it.
//
// Replication executions go InProgress, then Succeed, Failed or Stopped, with
// one task per artifact: the simulator applies the policy's filters and
// destination namespace as Harbor does and copies through a pluggable
// Replicator (OCIReplicator speaks the distribution API to real registries). Event-based policies run on AddArtifact, as on a push. A fault
// injector (SetFaults) answers a share of requests with 500, 503 or 429
// (with Retry-After), loses the answers of some writes after applying them,
// or delays requests.
package harborsim
