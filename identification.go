package sdkfinance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// ResetRequestStatus is the state of a reset identification request.
// Values other than the constants below may appear and are kept as they
// are.
type ResetRequestStatus string

// Known reset request statuses.
const (
	StatusPending  ResetRequestStatus = "PENDING"
	StatusApproved ResetRequestStatus = "APPROVED"
	StatusDeclined ResetRequestStatus = "DECLINED"
)

// ResetRequest is a user's request to reset their identification. The
// JSON names are the API's.
type ResetRequest struct {
	ID             string             `json:"id"`
	Description    string             `json:"description"`
	OrganizationID string             `json:"organizationId"`
	Status         ResetRequestStatus `json:"status"`
	// InitiatorUserID is the user who asked for the reset.
	InitiatorUserID string `json:"initiatorUserId"`
	InitiatorRole   string `json:"initiatorRole"`
}

// ResetResult is the response to an approve or decline: the request in its
// new state, the server's status word ("ok") and its message. Marshalled
// to JSON it has the API's response shape.
type ResetResult struct {
	Request ResetRequest `json:"request"`
	Status  string       `json:"status"`
	Message string       `json:"message"`
	// Reconciled is true when the response to the approve or decline was
	// lost and the SDK read the request's state back from the list to
	// learn that it had succeeded. A lost response is a timeout, a broken
	// connection, a 5xx, or a 409 to a resent request. Request then holds
	// the record from the list, and Status and Message are empty.
	Reconciled bool `json:"-"`
	// Attempts is how many approve or decline requests were sent.
	Attempts int `json:"-"`
}

// SortDirection orders a list by one field.
type SortDirection string

// Sort directions.
const (
	SortAscending  SortDirection = "asc"
	SortDescending SortDirection = "desc"
)

// ListQuery selects and orders reset requests for [Client.ListResetRequests].
// The zero value requests the first page of every request, in the server's
// default order and page size.
type ListQuery struct {
	// Status keeps only requests in this state; empty keeps all.
	Status ResetRequestStatus
	// OrganizationID keeps only requests of this organization; empty
	// keeps all.
	OrganizationID string
	// SortByOrganizationID and SortByStatus order the list; empty leaves
	// the server's order.
	SortByOrganizationID SortDirection
	SortByStatus         SortDirection
	// PageNumber is the zero-based page to return.
	PageNumber int
	// PageSize is how many records a page holds; zero leaves the server's
	// default (20 on SDK.Finance).
	PageSize int
}

// ResetRequestPage is one page of reset requests.
type ResetRequestPage struct {
	Records []ResetRequest
	// PageNumber is the zero-based number of this page.
	PageNumber int
	PageSize   int
	// TotalRecords and TotalPages count every request that matches the
	// query, as the server reported them.
	TotalRecords int64
	TotalPages   int
}

// maxPageSize bounds a page size the SDK sends.
const maxPageSize = 10_000

// maxIDLen bounds the length of a user or request id.
const maxIDLen = 256

// ResetIdentification resets the identification of user userID by
// approving their pending reset request id, as SDK.Finance's use case
// "Reset an identification of user" prescribes:
//
//  1. It checks both ids; a bad one gives an error matching
//     [ErrInvalidArgument] and nothing is sent.
//  2. It logs in when the client has credentials and no fresh token.
//  3. It pages through the pending requests
//     (POST /profiles/view-reset-identification-requests) until it finds
//     id. A request that is not pending gives a [*NotPendingError]
//     (matching [ErrNotFound]); one initiated by another user gives a
//     [*UserMismatchError] (matching [ErrUserMismatch]), and nothing is
//     approved.
//  4. It approves the request
//     (POST /profiles/{userId}/reset-identification-requests/{id}/approve,
//     operationId approveResetIdentification) and returns the result.
//
// The approve is retried only when the server cannot have processed the
// failed attempt; see [RetryPolicy].
func (c *Client) ResetIdentification(ctx context.Context, userID, id string) (res *ResetResult, err error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	start := time.Now()
	defer func() { c.audit("approve", userID, id, start, res, err) }()

	if _, err := c.CheckResetIdentification(ctx, userID, id); err != nil {
		return nil, err
	}
	return c.decide(ctx, c.approval(), userID, id)
}

// CheckResetIdentification does the lookup step of
// [Client.ResetIdentification] alone and approves nothing: it checks both
// ids, pages through the pending list until it finds request id, and
// checks that user userID initiated it. It returns the pending record, or
// the same errors as ResetIdentification. Use it for a dry run.
func (c *Client) CheckResetIdentification(ctx context.Context, userID, id string) (*ResetRequest, error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	if err := validateIDs(userID, id); err != nil {
		return nil, err
	}
	rec, err := c.findPending(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Status != StatusPending && rec.Status != "" {
		// The server ignored the status filter.
		return nil, &NotPendingError{RequestID: id, Status: rec.Status}
	}
	if rec.InitiatorUserID != userID {
		return nil, &UserMismatchError{RequestID: id, UserID: userID, InitiatorUserID: rec.InitiatorUserID}
	}
	return rec, nil
}

// ApproveResetRequest approves reset request id of user userID without
// looking it up first
// (POST /profiles/{userId}/reset-identification-requests/{id}/approve,
// operationId approveResetIdentification). Prefer
// [Client.ResetIdentification], which checks that the request is pending
// and belongs to the user. A request that is not pending gives an error
// matching [ErrConflict].
func (c *Client) ApproveResetRequest(ctx context.Context, userID, id string) (res *ResetResult, err error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	start := time.Now()
	defer func() { c.audit("approve", userID, id, start, res, err) }()

	if err := validateIDs(userID, id); err != nil {
		return nil, err
	}
	return c.decide(ctx, c.approval(), userID, id)
}

// DeclineResetRequest declines reset request id of user userID
// (POST /profiles/{userId}/reset-identification-requests/{id}/decline,
// operationId declineResetIdentification). A request that is not pending
// gives an error matching [ErrConflict].
func (c *Client) DeclineResetRequest(ctx context.Context, userID, id string) (res *ResetResult, err error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	start := time.Now()
	defer func() { c.audit("decline", userID, id, start, res, err) }()

	if err := validateIDs(userID, id); err != nil {
		return nil, err
	}
	return c.decide(ctx, c.declining(), userID, id)
}

// decideFunc is the generated client's approve or decline method.
type decideFunc func(ctx context.Context, userID, id string,
	editors ...api.RequestEditorFn) (*http.Response, error)

// decision is an approve or a decline.
type decision struct {
	name   string             // operationId, for logs
	verb   string             // "approve" or "decline", for messages
	target ResetRequestStatus // the state a success leaves the request in
	call   decideFunc
}

func (c *Client) approval() decision {
	return decision{"approveResetIdentification", "approve", StatusApproved,
		c.api.ApproveResetIdentification}
}

func (c *Client) declining() decision {
	return decision{"declineResetIdentification", "decline", StatusDeclined,
		c.api.DeclineResetIdentification}
}

// sendDecision sends an approve or decline, with the retries the send
// loop allows for calls that change state, and decodes the result.
func (c *Client) sendDecision(ctx context.Context, d decision, userID, id string) (*ResetResult, error) {
	op := operation{name: d.name, kind: changesState, auth: true,
		call: func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
			return d.call(ctx, userID, id, edit)
		}}
	resp, err := c.send(ctx, op)
	if err != nil {
		return nil, err
	}
	return decodeResetResult(resp)
}

// resetRequestEnvelopeJSON is api.ResetRequestEnvelope with plain fields,
// so that the record decodes without a pointer per field. A JSON null
// leaves a field empty, as a nil pointer did, and the decode accepts and
// rejects the same bodies.
type resetRequestEnvelopeJSON struct {
	Request ResetRequest `json:"request"`
	Status  string       `json:"status"`
	Message string       `json:"message"`
}

// decodeResetResult decodes the response to an approve, decline or reset
// request.
func decodeResetResult(resp *response) (*ResetResult, error) {
	var env resetRequestEnvelopeJSON
	if err := decodeResponse(resp, &env); err != nil {
		return nil, err
	}
	return &ResetResult{
		Request:  env.Request,
		Status:   env.Status,
		Message:  env.Message,
		Attempts: resp.attempts,
	}, nil
}

// ListResetRequests returns one page of reset identification requests
// (POST /profiles/view-reset-identification-requests, operationId
// viewResetIdentificationRequests). Pages are numbered from zero and by
// offset, so while other operators approve requests, records move between
// pages.
func (c *Client) ListResetRequests(ctx context.Context, q ListQuery) (*ResetRequestPage, error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	body, err := q.body()
	if err != nil {
		return nil, err
	}
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return nil, err
	}
	op := operation{name: "viewResetIdentificationRequests", kind: safeToRepeat, auth: true,
		call: func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
			return c.api.ViewResetIdentificationRequests(ctx, body, edit)
		}}
	var page resetRequestPageJSON
	if err := c.do(ctx, op, &page); err != nil {
		return nil, err
	}
	return page.toPage(), nil
}

// resetRequestPageJSON is api.ResetRequestPage with plain fields, so that
// a page decodes straight into the records the SDK returns: no pointer per
// field and no second copy of the records. The number types are the
// generated ones, so an out-of-range number fails the same way.
type resetRequestPageJSON struct {
	Records      []ResetRequest `json:"records"`
	PageNumber   int32          `json:"pageNumber"`
	PageSize     int32          `json:"pageSize"`
	TotalRecords int64          `json:"totalRecords"`
	TotalPages   int32          `json:"totalPages"`
}

func (p *resetRequestPageJSON) toPage() *ResetRequestPage {
	records := p.Records
	if records == nil {
		// Absent or null records give an empty page, not a nil slice.
		records = []ResetRequest{}
	}
	return &ResetRequestPage{
		Records:      records,
		PageNumber:   int(p.PageNumber),
		PageSize:     int(p.PageSize),
		TotalRecords: p.TotalRecords,
		TotalPages:   int(p.TotalPages),
	}
}

// body checks q and builds the request body.
func (q ListQuery) body() (api.ResetRequestPageRequest, error) {
	var b api.ResetRequestPageRequest
	if q.PageNumber < 0 || q.PageNumber > 1<<30 {
		return b, invalidArgument("ListQuery.PageNumber", fmt.Sprint(q.PageNumber),
			"must be zero or more; pages are numbered from zero")
	}
	if q.PageSize < 0 || q.PageSize > maxPageSize {
		return b, invalidArgument("ListQuery.PageSize", fmt.Sprint(q.PageSize),
			fmt.Sprintf("must be from 1 to %d, or zero for the server's default", maxPageSize))
	}
	if err := checkQueryText("ListQuery.Status", string(q.Status)); err != nil {
		return b, err
	}
	if err := checkQueryText("ListQuery.OrganizationID", q.OrganizationID); err != nil {
		return b, err
	}
	if err := checkSort("ListQuery.SortByOrganizationID", q.SortByOrganizationID); err != nil {
		return b, err
	}
	if err := checkSort("ListQuery.SortByStatus", q.SortByStatus); err != nil {
		return b, err
	}

	if q.Status != "" || q.OrganizationID != "" {
		b.Filter = &api.ResetRequestFilter{
			Status:         nonEmpty(string(q.Status)),
			OrganizationID: nonEmpty(q.OrganizationID),
		}
	}
	if q.SortByOrganizationID != "" || q.SortByStatus != "" {
		b.Sort = &api.ResetRequestSort{
			OrganizationID: sortDirection(q.SortByOrganizationID),
			Status:         sortDirection(q.SortByStatus),
		}
	}
	pageNumber := int32(q.PageNumber)
	b.PageNumber = &pageNumber
	if q.PageSize > 0 {
		pageSize := int32(q.PageSize)
		b.PageSize = &pageSize
	}
	return b, nil
}

func checkQueryText(name, v string) error {
	if hasControl(v) || len(v) > maxIDLen {
		return invalidArgument(name, v, fmt.Sprintf(
			"must have at most %d bytes and no control characters", maxIDLen))
	}
	return nil
}

func checkSort(name string, d SortDirection) error {
	if d != "" && d != SortAscending && d != SortDescending {
		return invalidArgument(name, string(d), `must be "asc", "desc" or empty`)
	}
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func sortDirection(d SortDirection) *api.SortDirection {
	if d == "" {
		return nil
	}
	v := api.SortDirection(d)
	return &v
}

// validateIDs checks a user id and a request id before they go into a
// path.
func validateIDs(userID, id string) error {
	if err := validateID("userID", userID); err != nil {
		return err
	}
	return validateID("id", id)
}

// validateID rejects what cannot be sent as one path segment. Every other
// string is accepted and escaped by the generated client, so a "/", "?" or
// "%" in it stays inside the segment.
func validateID(name, v string) error {
	switch {
	case v == "":
		return invalidArgument(name, v, "is empty; pass the id from the reset request record")
	case len(v) > maxIDLen:
		return invalidArgument(name, v, fmt.Sprintf("is %d bytes long; the maximum is %d",
			len(v), maxIDLen))
	case hasControl(v):
		return invalidArgument(name, v, fmt.Sprintf("contains a control character at byte %d",
			strings.IndexFunc(v, func(r rune) bool { return hasControl(string(r)) })))
	case !utf8.ValidString(v):
		return invalidArgument(name, v, "is not valid UTF-8, which JSON cannot carry, "+
			"so the id could never match a record")
	case v == "." || v == "..":
		// NOTE: the generated client resolves the path against the base
		// URL, which removes "." and ".." segments, and RFC 3986 lets
		// servers decode "%2E" to "." before they clean the path. No
		// SDK.Finance id is known to take these values.
		return invalidArgument(name, v, "is a dot segment, which cannot be sent as a path segment")
	}
	return nil
}
