// Package httpapi serves the verifier's HTTP API on fasthttp: the /v1
// verification endpoints behind bearer API keys, health and readiness
// probes, Prometheus metrics and the client assets. The README (its tour
// for a backend developer) is the contract clients read; this package
// keeps it:
//
//   - A verification is answered as one JSON object, {"id", "status",
//     "phone", "origin", "embedded_origin", "created_at", "expires_at",
//     "resend_after", "sends", "attempts_left"}: the phone masked by
//     verifier.MaskPhone, the times in UTC as RFC 3339 with seconds,
//     "embedded_origin" only when there is one. A check answers
//     {"valid", "verification"}.
//   - A request body is one JSON object sent as application/json, read
//     strictly: exact keys, none unknown or repeated, string values only
//     (see decodeJSON), so that no proxy or log in front of the verifier
//     reads a body otherwise.
//   - Every error is {"error":{"code","message"}}, with "status" for
//     not_pending, "retry_after" (and a Retry-After header) for
//     rate_limited and "id" for delivery_failed. The code is the domain's
//     (verifier.Code) or one only HTTP has (CodeInvalidJSON and the
//     others declared here); one table, statusOf, gives each its status.
//     An error that is not a *verifier.Error is internal: logged with its
//     cause, answered as a bare "internal".
//   - The access log and the metrics name the route pattern, never the
//     path, query, body or headers, so they hold no code, phone number or
//     API key.
package httpapi
