// Package jirasim simulates the part of Jira Cloud's REST API v3 that the
// provider uses, keeping its state in memory: projects (with the trash),
// project roles and their actors, users and groups. It starts as a fresh
// site: the admin, the users and groups of Options, the project roles
// (DefaultRoles, with ids that differ from site to site) and no projects.
//
// It answers as Jira Cloud does: the same paths, status codes and error body
// ({"errorMessages":[...],"errors":{"field":"message"}}), basic
// authentication with the admin's email and API token (anything else is
// 401; only /serverInfo takes anonymous callers), offset pagination
// (startAt, maxResults capped per endpoint, total, isLast, values, self and
// nextPage), and Jira's validation.
//
// Endpoints below /rest/api/3 and their answers (401 without the admin's
// credentials applies to all):
//
//	GET    /serverInfo                       200, also anonymous (wrong credentials 401)
//	GET    /myself                           200
//	POST   /project                          201 {self,id,key}; 400 with errors.projectKey (rule: an uppercase
//	                                         letter then uppercase letters or digits, 2-10 in all; reserved words;
//	                                         in use by a live project, one in the trash or as an earlier key),
//	                                         errors.projectName (empty, > 80, taken), errors.projectLead (missing,
//	                                         unknown or inactive account), type and template (unknown, mismatched);
//	                                         unknown body fields
//	GET    /project                          200 live projects, unpaged
//	GET    /project/search                   200 PageBean (maxResults <= 100; keys, id, query, typeKey,
//	                                         status=live|archived|deleted); 400 bad status, > 50 keys or ids
//	GET    /project/{projectIdOrKey}         200 (by id, key or earlier key); 404 unknown or in the trash
//	PUT    /project/{projectIdOrKey}         200; 400 as POST (a new key keeps the old one reserved); 404
//	DELETE /project/{projectIdOrKey}         204: enableUndo=true moves to the trash (key and name stay
//	                                         reserved, retentionTillDate +60 days), false deletes for good (also
//	                                         from the trash); 404 unknown (or in the trash with enableUndo=true);
//	                                         400 enableUndo not a boolean
//	POST   /project/{projectIdOrKey}/restore 200; 400 a live project; 404
//	GET    /project/{projectIdOrKey}/role    200 {name: role URL}; 404
//	GET    /project/{projectIdOrKey}/role/{id}   200 with actors sorted by display name; 404 project or role
//	POST   /project/{projectIdOrKey}/role/{id}   200 role with all actors; every actor checked before any is
//	                                         added: 404 unknown or inactive user, unknown group; 400 already in
//	                                         the role, none given, group and groupId together; 404 project or role
//	DELETE /project/{projectIdOrKey}/role/{id}?user=|group=|groupId=   204; 400 not exactly one;
//	                                         404 project, role, or actor not in the role
//	GET    /role                             200 the site's roles
//	GET    /user?accountId=                  200; 400 no accountId; 404 unknown
//	GET    /user/search?query=|accountId=    200 bare array (startAt/maxResults); 400 neither or both
//	GET    /group/bulk?groupName=&groupId=   200 PageBean (maxResults <= 50)
//	GET    /group/member?groupname=|groupId= 200 PageBean of users (maxResults <= 50); 400; 404 unknown group
//
// Sandbox-only endpoints, without authentication or faults, for
// `mc-sandbox atlassian-user`:
//
//	POST   /_sandbox/users   {"account_id","display_name","email"}  201; 400 no account id
//	POST   /_sandbox/groups  {"name","members":[account ids]}       201 (replaces the members); 400 unknown member
//	POST   /_sandbox/faults  a Faults (Go field names; {} turns off)   204; 400 rate outside 0..1
//	GET    /_sandbox/faults  the FaultStats so far                      200
//	POST   /_sandbox/credentials  {"email","apiToken","readOnly"}      201; 400 no email or token, or the admin's
//
// A further credential logs in with the admin's rights under its own email,
// so that faults can be aimed at it (Faults.Users); a read-only one gets 403
// on every write, as a user with only the Browse projects permission does.
//
// A fault injector (SetFaults, internal/sandbox/simfault) answers a share of
// API requests with 500, 503 or 429 (with Retry-After), loses the answers of
// some writes after applying them, or delays requests.
package jirasim
