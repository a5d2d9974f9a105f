// Package sdkfinance is a client for the identification-reset API of
// SDK.Finance. A compliance back office, or a service acting for one, uses
// it to log in as a System Operator, look through pending "reset
// identification" requests, and approve (reset) or decline them.
//
// # Quick start
//
//	client, err := sdkfinance.NewClient("https://sdkfinance.example/api/v1",
//		sdkfinance.WithCredentials(login, password))
//	if err != nil {
//		return err
//	}
//	result, err := client.ResetIdentification(ctx, userID, requestID)
//
// [Client.ResetIdentification] follows SDK.Finance's use case "Reset an
// identification of user": it finds the request in the pending list,
// checks that the user initiated it, then approves it. The package
// sdkfinancetest serves an in-memory SDK.Finance on loopback for tests and
// examples.
//
// # Authentication
//
// [WithToken] sends a token as it is. [WithCredentials] logs in with
// POST /authorization on first use, caches the token until shortly before
// it expires, and logs in again once when the server responds with 401. The
// Authorization header reads "TOKEN <token>", the scheme SDK.Finance's own
// web client sends; [WithAuthScheme] changes it. Tokens and passwords never
// appear in logs, error text or fmt output of the SDK's values.
//
// # Errors
//
// Every HTTP error is an [*APIError] with the status, the server's code,
// field errors and mdcId (the id to quote to SDK.Finance support). Match
// classes with errors.Is: [ErrUnauthorized], [ErrForbidden],
// [ErrNotFound], [ErrConflict], [ErrRateLimited], [ErrServer]. Checks the
// SDK makes before sending give [ErrInvalidArgument], [ErrNotFound] (the
// request is not pending) and [ErrUserMismatch].
//
// # Retries and exactly-once approval
//
// Listing and login are retried after connection errors, 429, 502, 503 and
// 504, with exponential backoff, full jitter, Retry-After honoured and a
// retry budget per client. Approve and decline are retried only when the
// server cannot have processed the failed attempt. When an approve's
// outcome is unknown, the client reads the request's state back from the
// list and approves again only if it is still pending, so a retry never
// approves twice; see [RetryPolicy] and [ErrOutcomeUnknown].
//
// # Paging
//
// [Client.ListResetRequests] returns one page and [Client.ResetRequests]
// iterates over all of them. Pages are numbered from zero and by offset,
// so records move between pages while others approve requests; the lookup
// in [Client.ResetIdentification] scans again when the total changes
// under it. [Client.ResetIdentifications] resets many requests with one
// read of the pending list.
//
// # Hooks and audit
//
// [WithRequestHook] and [WithResponseHook] see every attempt, for tracing
// and metrics. [WithAuditHook] receives one [AuditEvent] per approve or
// decline decision, for a compliance trail.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by many goroutines. Reuse one
// client: it holds the connection pool and the cached login.
package sdkfinance
